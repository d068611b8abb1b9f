"""Library management: the folders dialog (add, remove, pause) and the list of skipped files with reasons."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photosearch.gui.row_table import row_table
from photosearch.progress import plural


class FoldersDialog(QDialog):
    """``controller`` is the main window: ``folders()``, ``add_folder_interactive()``,
    ``remove_folder(path)``, ``set_folder_paused(path, paused)``, ``set_folder_read_text(path, on)`` and ``open_model_manager()`` (the
    "Models…" button: installed and available models, install, import, switch, remove)."""

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Folders and models")
        self.resize(560, 360)
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(
                "PhotoSearch indexes the photos in these folders and keeps watching them.\n"
                "Nothing leaves this computer.",
                self,
            )
        )
        self.list = QListWidget(self)
        self.list.setAccessibleName("Photo folders")
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add folder…", self)
        self.remove_button = QPushButton("Remove", self)
        self.pause_button = QPushButton("Pause", self)
        self.text_button = QPushButton("Read text: on", self)
        self.text_button.setCheckable(True)
        self.text_button.setToolTip(
            "Read the words in this folder's photos (signs, receipts, screens) so a search finds them"
        )
        self.models_button = QPushButton("Models…", self)
        self.forget_button = QPushButton("Forget this library…", self)
        self.forget_button.setToolTip(
            "Delete everything PhotoSearch made from your photos (catalog, index, thumbnails, backups); "
            "your photos and models stay"
        )
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.pause_button)
        row.addWidget(self.text_button)
        row.addWidget(self.models_button)
        row.addWidget(self.forget_button)
        row.addStretch(1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        box.rejected.connect(self.reject)
        row.addWidget(box)
        lay.addLayout(row)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.pause_button.clicked.connect(self._toggle_pause)
        self.text_button.clicked.connect(self._toggle_text)
        open_models = getattr(controller, "open_model_manager", None)
        self.models_button.setVisible(open_models is not None)
        if open_models is not None:
            self.models_button.clicked.connect(open_models)
        forget = getattr(controller, "forget_library", None)
        self.forget_button.setVisible(forget is not None)
        if forget is not None:
            self.forget_button.clicked.connect(lambda: self._forget(forget))
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    def _forget(self, forget: Any) -> None:
        self.accept()
        forget()

    def refresh(self) -> None:
        current = self.selected_path()
        self.list.clear()
        for f in self.controller.folders():
            note = {"paused": "  — paused", "offline": "  — offline (not reachable)"}.get(f.state, "")
            reads = getattr(f, "read_text", True)
            note += "" if reads else "  — text in photos not read"
            item = QListWidgetItem(f"{f.path}{note}")
            item.setData(Qt.ItemDataRole.UserRole, f.path)
            item.setData(Qt.ItemDataRole.UserRole + 1, f.state)
            item.setData(Qt.ItemDataRole.UserRole + 2, reads)
            self.list.addItem(item)
            if f.path == current:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    def selected_path(self) -> str | None:
        item = self.list.currentItem() if hasattr(self, "list") else None
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        self.remove_button.setEnabled(item is not None)
        self.pause_button.setEnabled(item is not None)
        paused = item is not None and item.data(Qt.ItemDataRole.UserRole + 1) == "paused"
        self.pause_button.setText("Resume" if paused else "Pause")
        reads = item is None or bool(item.data(Qt.ItemDataRole.UserRole + 2))
        self.text_button.setEnabled(item is not None and hasattr(self.controller, "set_folder_read_text"))
        self.text_button.setChecked(reads)
        self.text_button.setText("Read text: on" if reads else "Read text: off")

    def _add(self) -> None:
        self.controller.add_folder_interactive()
        self.refresh()

    def _remove(self) -> None:
        p = self.selected_path()
        if p:
            self.controller.remove_folder(p)
            self.refresh()

    def _toggle_text(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            on = not bool(item.data(Qt.ItemDataRole.UserRole + 2))
            self.controller.set_folder_read_text(item.data(Qt.ItemDataRole.UserRole), on)
            self.refresh()

    def _toggle_pause(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            paused = item.data(Qt.ItemDataRole.UserRole + 1) == "paused"
            self.controller.set_folder_paused(item.data(Qt.ItemDataRole.UserRole), not paused)
            self.refresh()


class SkippedDialog(QDialog):
    """The files indexing skipped, each with the reason (not an error dialog per file)."""

    def __init__(self, rows: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skipped files")
        self.resize(760, 400)
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(
                f"{plural(len(rows), 'file')} could not be indexed. They stay where they are; "
                "fix or replace them and they are picked up again.",
                self,
            )
        )
        # the file's own name first (a whole path in a column cut the name off), its folder, the reason;
        # the columns fit the dialog and the cells wrap (no scrolling sideways); the whole path in a tooltip
        self.table = row_table(self, ("File", "Folder", "Reason"))
        self.table.setWordWrap(True)
        self.table.set_rows(
            ((os.path.basename(r.path), os.path.dirname(r.path), r.error or "unknown"), r.path, (r.path,))
            for r in rows
        )
        lay.addWidget(self.table, 1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
