"""The model manager's "Text readers" part: the text-recognition models the text pass can read with (the
bundled PP-OCRv6 one and those added for other scripts), which one is in use, and the same three verbs as
``photosearch models import FOLDER --script S`` / ``models use ID`` / ``models remove ID`` — all through
``photosearch.app.models``; each runs on the dialog's worker thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from photosearch.app import models as app_models
from photosearch.gui.row_table import row_table
from photosearch.models.text_reader_pkg import SCRIPTS

if TYPE_CHECKING:
    from photosearch.gui.model_manager import ModelManagerDialog

COLUMNS = ("Text reader", "Reads", "State")
IMPORT = "import-reader"  # the dialog's busy/done names for a text reader's import, use and removal
READER_USE = "use-reader"
READER_REMOVE = "remove-reader"
NOT_HERE = "import"  # the search models' import of a folder that holds a text reader (its result is None)
FAILED = {  # the dialog's words when one of these verbs fails
    "remove": "Could not remove it",
    READER_USE: "Could not read text with it",
    READER_REMOVE: "Could not remove it",
}


class TextReadersPanel(QGroupBox):
    def __init__(self, dialog: ModelManagerDialog) -> None:
        super().__init__("Text readers (reading the words in photos)", dialog)
        self.dialog = dialog
        self.rows: list[app_models.TextReaderRow] = []
        self._select_next: str | None = None  # the one just imported, chosen at the next listing
        lay = QVBoxLayout(self)
        self.table = row_table(self, COLUMNS)
        self.table.setAccessibleName("Text readers")
        self.table.setMaximumHeight(110)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        add_label = QLabel("Add one for", self)
        row.addWidget(add_label)
        self.script = QComboBox(self)
        add_label.setBuddy(self.script)
        for s in SCRIPTS:
            self.script.addItem(s, s)
        self.script.setToolTip("The script the added model reads (never guessed from its file name)")
        self.script.setAccessibleName("Script of the text reader to add")
        row.addWidget(self.script)
        self.import_button = QPushButton("Import a text reader…", self)
        self.use_button = QPushButton("Read text with this one", self)
        self.remove_button = QPushButton("Remove", self)
        for b in (self.import_button, self.use_button, self.remove_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.import_button.clicked.connect(self.import_interactive)
        self.use_button.clicked.connect(self.use_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemSelectionChanged.connect(self.update_buttons)

    def show_rows(self, rows: tuple[app_models.TextReaderRow, ...], select: str | None = None) -> None:
        current = self.selected()
        select = select or self._select_next or (current.id if current is not None else None)
        self._select_next = None
        self.rows = list(rows)
        self.table.set_rows(((_name(r), ", ".join(r.scripts), _state(r)), r.id, ()) for r in self.rows)
        ids = [r.id for r in self.rows]
        self.table.selectRow(ids.index(select) if select in ids else 0)
        self.update_buttons()

    def selected(self) -> app_models.TextReaderRow | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        i = rows[0].row() if rows else -1
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def update_buttons(self) -> None:
        r = self.selected()
        idle = self.dialog.busy is None and not self.dialog.loading
        has_lib = self.dialog.host.library is not None
        self.import_button.setEnabled(self.dialog.busy is None)  # needs no row: not held by loading
        self.use_button.setEnabled(idle and has_lib and r is not None and not r.chosen)
        self.remove_button.setEnabled(idle and has_lib and r is not None and not r.bundled)

    # -- the verbs ----------------------------------------------------------------------------------
    def import_interactive(self) -> None:
        folder = self.dialog.choose_folder()
        if folder:
            self.import_folder(folder, str(self.script.currentData()))

    def import_folder(self, folder: str, script: str) -> None:
        """``photosearch models import FOLDER --script SCRIPT``, on the dialog's worker thread."""
        paths = self.dialog.host.paths
        self.dialog._set_busy(IMPORT, "Checking and copying the text reader…")
        self.dialog._run(IMPORT, lambda: app_models.import_model(folder, paths, (script,))[0])

    def use_selected(self) -> None:
        """``photosearch models use ID`` for a text reader, on the dialog's worker thread."""
        r = self.selected()
        lib = self.dialog.host.library
        if r is None or lib is None or self.dialog.busy:
            return
        self.dialog._set_busy(READER_USE, f"Choosing {r.name} to read the text…")
        self.dialog._run(READER_USE, lambda: (app_models.use_text_reader(lib, r.id), r)[1])  # r: the message

    def remove_selected(self) -> None:
        """``photosearch models remove ID`` for a text reader, on the dialog's worker thread."""
        r = self.selected()
        lib = self.dialog.host.library
        if r is None or r.bundled or lib is None or self.dialog.busy:
            return
        if not self.dialog.confirm_remove_reader(r.name):
            return
        self.dialog._set_busy(READER_REMOVE, f"Removing {r.name}…")

        def work() -> app_models.TextReaderRow:
            app_models.remove_model(lib, r.id)
            return r

        self.dialog._run(READER_REMOVE, work)

    def done(self, what: str, r: object) -> bool:
        """The dialog's worker finished one of this panel's verbs (``what``): say so; False for another's."""
        if what == IMPORT:  # chosen on purpose, never made the reader by importing it
            assert isinstance(r, app_models.TextReaderPackage)
            m = r.manifest
            self.dialog.status.setText(
                f"Installed the text reader {m.name} (reads {', '.join(m.scripts)}). Choose “Read text with "
                "this one” to read new photos' text with it."
            )
            self._select_next = r.id
        elif what == NOT_HERE and r is None:
            self.dialog.status.setText(
                "That folder holds a text reader (a model that reads words in photos): choose the script it "
                "reads under “Text readers” and import it there."
            )
        elif what == READER_USE:
            assert isinstance(r, app_models.TextReaderRow)
            self.dialog.status.setText(
                f"New photos' text is now read with {r.name}; photos already read keep their text."
            )
        elif what == READER_REMOVE:
            assert isinstance(r, app_models.TextReaderRow)
            self.dialog.status.setText(f"Removed {r.name}.")
        else:
            return False
        return True


def _name(r: app_models.TextReaderRow) -> str:
    return r.name + (f" (RapidOCR's {r.published})" if r.published else "")


def _state(r: app_models.TextReaderRow) -> str:
    return "● reads the text" if r.chosen else ("bundled" if r.bundled else "installed")
