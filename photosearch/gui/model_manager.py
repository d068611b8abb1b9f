"""The model manager (⚙ → Models…): the installed models with the active one marked, size on disk, licence,
languages, published quality and what each needs; install from the registry with progress and cancel;
import a folder of any supported layout; switch (the background re-embed, the old model serving until it
is done); remove; calibrate the relevance line on this library (``photosearch.app.calibrate``). Every verb is
``photosearch.app``'s; this module only binds widgets and runs the long ones on a worker thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photosearch.app import models as app_models
from photosearch.app.calibrate import calibrate_model
from photosearch.app.model_install import Installed, download_model, import_and_choose, install_and_choose
from photosearch.errors import Cancelled, PhotoSearchError
from photosearch.gui.model_rows import (
    COLUMNS,
    ManagerQuestions,
    ModelManagerHost,
    Relay,
    details_text,
    opened,
    row_cells,
)
from photosearch.gui.row_table import row_table
from photosearch.gui.text_readers_panel import FAILED, TextReadersPanel
from photosearch.gui.workers import TaskRunner
from photosearch.models.download import DownloadProgress, UnverifiedDownload
from photosearch.models.tokenize import FLORES200, flores_code, locale_language
from photosearch.progress import Progress, WorkControl, plural

log = logging.getLogger(__name__)


class ModelManagerDialog(QDialog, ManagerQuestions):
    def __init__(self, host: ModelManagerHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.setWindowTitle("Search models")
        room = self.screen().availableGeometry().width() if self.screen() is not None else 900
        self.resize(min(1200, max(min(900, room), room * 9 // 10)), 600)  # most columns, within the screen
        self.rows: list[app_models.ModelRow] = []
        self.listing: app_models.ModelListing | None = None
        self.lister = TaskRunner(1, self)  # the listing is read here, never on the UI thread
        self._generation = self._applied = 0
        self._parked: tuple[QWidget, QWidget | None] | None = None  # focus given up while loading
        self.busy: str | None = None  # "install", "import", "use", "switch", "remove", "calibrate"…
        self._cancel = threading.Event()
        self._control: WorkControl | None = None
        self._threads: list[threading.Thread] = []
        self.relay = Relay(self)
        self.relay.download.connect(self._download_progress)
        self.relay.switching.connect(self._switch_progress)
        self.relay.done.connect(self._done)
        self.relay.failed.connect(self._failed)

        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.active_label = QLabel(self)
        self.active_label.hide()  # until the listing says which model is active
        top.addWidget(self.active_label)
        self.loading_label = QLabel("Loading the list of models…", self)
        self.loading_label.hide()
        top.addWidget(self.loading_label)  # beside it (alone, at the first load)
        top.addStretch(1)
        lay.addLayout(top)
        self.table = row_table(self, COLUMNS)
        self.table.setAccessibleName("Search models")
        lay.addWidget(self.table, 1)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.details)
        self.bar = QProgressBar(self)
        self.bar.hide()
        lay.addWidget(self.bar)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        lang_row = QHBoxLayout()
        lang_label = QLabel("Language of your searches (for multilingual models):", self)
        lang_row.addWidget(lang_label)
        self.language = QComboBox(self)
        lang_label.setBuddy(
            self.language
        )  # a screen reader says what the combo box is (its name is its text)
        self.language.addItem("As this computer (" + flores_code(locale_language()) + ")", None)
        for code in sorted(set(FLORES200.values())):
            self.language.addItem(code, code)
        saved = app_models.saved_query_language(host.paths)
        if saved:
            i = self.language.findData(flores_code(saved))
            self.language.setCurrentIndex(max(i, 0))
        self.language.currentIndexChanged.connect(self._language_changed)
        lang_row.addWidget(self.language)
        lang_row.addStretch(1)
        lay.addLayout(lang_row)
        row = QHBoxLayout()
        self.install_button = QPushButton("Install", self)
        self.cancel_button = QPushButton("Cancel", self)
        self.use_button = QPushButton("Use this model", self)
        self.import_button = QPushButton("Import a model folder…", self)
        self.remove_button = QPushButton("Remove", self)
        self.calibrate_button = QPushButton("Calibrate on this library", self)
        self.calibrate_button.setToolTip(
            "Set the line between good and weak matches for text searches on your own photos, with queries "
            "made up to match nothing (no labels, nothing leaves the computer)"
        )
        closing = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)  # as the other dialogs'
        self.close_button = closing.button(QDialogButtonBox.StandardButton.Close)
        for b in (
            self.install_button,
            self.cancel_button,
            self.use_button,
            self.import_button,
            self.remove_button,
            self.calibrate_button,
        ):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)  # these act on the search models above
        self.readers = TextReadersPanel(self)  # the text pass's recognition models (other scripts)
        lay.addWidget(self.readers)
        lay.addWidget(closing)
        self.cancel_button.hide()
        self.install_button.clicked.connect(self.install_selected)
        self.cancel_button.clicked.connect(self.cancel)
        self.use_button.clicked.connect(self.use_selected)
        self.import_button.clicked.connect(self.import_interactive)
        self.remove_button.clicked.connect(self.remove_selected)
        self.calibrate_button.clicked.connect(self.calibrate_selected)
        closing.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.refresh()

    # -- listing -----------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Read the listing again (manifests, sizes on disk, catalog counts) on a worker thread; the table
        keeps what it shows, marked as loading, until the newest listing arrives (an older one arriving late
        is dropped)."""
        current = self.selected()
        select = select or (current.id if current is not None else None)
        self._generation += 1
        gen = self._generation
        paths, lib = self.host.paths, self.host.library
        self._show_loading(True)
        self.lister.submit(
            lambda: app_models.list_models(paths, lib),
            on_done=lambda listing: self._listed(gen, listing, select),
            on_error=lambda e: self._listed(gen, None, select, e),
        )

    @property
    def loading(self) -> bool:
        """A listing asked for has not arrived yet."""
        return self._applied != self._generation

    def _show_loading(self, on: bool) -> None:
        """The loading state: the row verbs wait for the listing (the rows shown may be out of date); a button
        that had the keyboard focus gets it back when the listing is there."""
        focus = self.focusWidget()
        self.loading_label.setVisible(on)
        self._selection_changed()
        self.readers.update_buttons()
        if on and focus is not None and not focus.isEnabled() and self._parked is None:
            self._parked = (focus, self.focusWidget())
        elif not on and self._parked is not None:
            was, moved_to = self._parked
            self._parked = None
            if was.isEnabled() and self.focusWidget() is moved_to:  # the person has not moved it since
                was.setFocus()

    def _listed(
        self,
        gen: int,
        listing: app_models.ModelListing | None,
        select: str | None,
        error: BaseException | None = None,
    ) -> None:
        if gen != self._generation:  # a newer listing was asked for meanwhile: this one is stale
            return
        self._applied = gen
        if listing is not None:
            self._apply(listing, select)
        else:
            self.status.setText(f"Could not read the list of models: {error}")
        self._show_loading(False)

    def _apply(self, listing: app_models.ModelListing, select: str | None) -> None:
        self.listing = listing
        self.rows = list(listing.rows)
        self.table.set_rows((row_cells(r), r.id, ()) for r in self.rows)
        active = next((r for r in self.rows if r.active), None)
        self.active_label.setText(f"Searching with: {active.name}" if active else "No model is active yet.")
        self.active_label.show()
        self.readers.show_rows(listing.text_readers)
        if select in {r.id for r in self.rows}:
            self.select(str(select))
        elif self.rows:  # nothing chosen, or the chosen one is gone (removed)
            self.table.selectRow(0)
        self._selection_changed()

    def select(self, model_id: str) -> None:
        for i, r in enumerate(self.rows):
            if r.id == model_id:
                self.table.selectRow(i)
                return

    def selected(self) -> app_models.ModelRow | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or not self.rows:
            return None
        i = rows[0].row()
        return self.rows[i] if i < len(self.rows) else None

    def _selection_changed(self) -> None:
        r = self.selected()
        idle = self.busy is None and not self.loading  # while loading, the rows shown may be out of date
        self.install_button.setEnabled(idle and r is not None and not r.installed)
        self.use_button.setEnabled(idle and r is not None and r.installed and not r.active)
        self.remove_button.setEnabled(idle and r is not None and r.installed)
        lib = self.host.library
        self.calibrate_button.setEnabled(idle and r is not None and r.installed and lib is not None)
        self.import_button.setEnabled(self.busy is None)
        if r is None or self.listing is None:
            self._details("")
            return
        self._details(*details_text(r, self.listing))

    def _details(self, text: str, figures: str = "") -> None:
        """Plain words; the figures behind them (benchmarks, how it runs here) in its tooltip."""
        self.details.setText(text)  # its name is its text; while empty it says what it is
        self.details.setAccessibleName("" if text else "About the selected model")
        self.details.setToolTip(figures)
        self.details.setAccessibleDescription(figures)

    def _set_busy(self, what: str | None, text: str = "") -> None:
        self.busy = what
        self.cancel_button.setVisible(what in ("install", "switch"))
        self.bar.setVisible(what is not None)
        if what is not None:
            self.bar.setRange(0, 0)
        self.close_button.setEnabled(what is None or what == "switch")
        if text:
            self.status.setText(text)
        self._selection_changed()
        self.readers.update_buttons()

    def _language_changed(self) -> None:
        code = app_models.choose_query_language(self.host.paths, self.language.currentData())
        self.status.setText(f"Searches are read as {code}.")

    # -- workers -----------------------------------------------------------------------------------
    def _run(self, what: str, fn: Callable[[], Any]) -> None:
        """``fn()`` on a worker thread, then the listing it changed read there too (so the rows are up to date
        when the dialog is idle again; a listing asked for before it is stale, ``loading`` until it is there)."""
        paths, lib = self.host.paths, self.host.library
        self._generation += 1

        def listing() -> app_models.ModelListing | None:
            try:
                return app_models.list_models(paths, lib)
            except Exception:
                log.exception("could not read the list of models")
                return None

        def target() -> None:
            try:
                result = fn()
            except BaseException as e:  # reported to the UI thread
                self.relay.failed.emit(what, e, listing())
            else:
                self.relay.done.emit(what, result, listing())

        t = threading.Thread(target=target, name=f"models-{what}", daemon=True)
        self._threads.append(t)
        t.start()

    def wait_idle(self, timeout: float = 30.0) -> None:
        for t in self._threads:
            t.join(timeout)
        self.lister.wait(int(timeout * 1000))

    def _relisted(self, listing: app_models.ModelListing | None, select: str | None = None) -> None:
        """The listing a verb's worker read after it: newer than any refresh asked for before."""
        current = self.selected()
        select = select or (current.id if current is not None else None)  # the row chosen stays chosen
        if listing is None:
            self.refresh(select)
        else:
            self._generation += 1
            self._listed(self._generation, listing, select)

    # -- install -----------------------------------------------------------------------------------
    def install_selected(self, allow_unverified: bool = False) -> None:
        r = self.selected()
        if r is None or r.installed or self.busy:
            return
        from photosearch.models.registry import load_registry

        entry = load_registry().get(r.id)
        paths, lib = self.host.paths, self.host.library
        if app_models.needs_licence_acceptance(entry) and not app_models.licence_accepted(paths, entry):
            if not self.confirm_licence(entry):
                return
            app_models.accept_licence(paths, entry)
        self._cancel.clear()
        self._installing = r.id
        self._set_busy("install", f"Installing {r.name}…")

        def work() -> Installed:
            # the same verb as 'photosearch models install': the download needs no library; the install and
            # the choice (the first model becomes the one searches use) happen together, or not at all
            fetched = download_model(
                r.id,
                paths,
                progress=self.relay.download.emit,
                cancel=self._cancel.is_set,
                allow_unverified=allow_unverified,
                discard_on_cancel=True,
            )
            return install_and_choose(opened(lib), fetched)

        self._run("install", work)

    def cancel(self) -> None:
        self._cancel.set()
        if self._control is not None:
            self._control.cancel()

    def _download_progress(self, p: DownloadProgress) -> None:
        if p.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * p.done / p.total))
            self.status.setText(f"Downloading {p.file}… {p.done / 1e6:,.1f} of {p.total / 1e6:,.1f} MB")

    # -- import ------------------------------------------------------------------------------------
    def import_interactive(self) -> None:
        folder = self.choose_folder()
        if folder:
            self.import_folder(folder)

    def import_folder(self, folder: str) -> None:
        """Import ``folder`` on the worker; a text reader's folder is told apart there too (a chosen folder
        may be on a slow disk) and sent to "Text readers" (its scripts are asked for, never guessed)."""
        lib = self.host.library
        self._set_busy("import", "Checking and copying the model…")

        def work() -> Installed | None:
            if app_models.looks_like_text_reader(folder):
                return None
            return import_and_choose(opened(lib), folder)  # 'photosearch models import': all or nothing

        self._run("import", work)

    # -- use / switch ------------------------------------------------------------------------------
    def use_selected(self) -> None:
        r = self.selected()
        lib = self.host.library
        if r is None or not r.installed or lib is None or self.busy:
            return
        self.use(r.id)

    def use(self, model_id: str) -> None:
        """``use_model`` (it counts the photos the model has not read) on the worker; then, if some are
        missing, the switch's re-embed there too (``_done``)."""
        lib = self.host.library
        assert lib is not None
        name = next((r.name for r in self.rows if r.id == model_id), model_id)
        self._set_busy("use", f"Switching to {name}…")
        self._run("use", lambda: (model_id, app_models.use_model(lib, model_id)))

    def _switch(self, model_id: str, missing: int) -> None:
        lib = self.host.library
        assert lib is not None
        control = WorkControl()
        self._control = control
        self._set_busy(
            "switch",
            f"Preparing {model_id}: {plural(missing, 'photo')} to read again. Searches keep "
            "using the current model until it is done.",
        )

        def work() -> str | None:
            last = None
            for p in app_models.finish_switch(lib, control):
                self.relay.switching.emit(p)
                last = p.phase
            return last

        self._run("switch", work)

    def _switch_progress(self, p: Progress) -> None:
        if p.total:
            self.bar.setRange(0, max(1, p.total))
            self.bar.setValue(p.done)
            self.status.setText(
                f"Preparing the new model: {p.done:,} of {plural(p.total, 'photo')}. "
                "Searches keep using the current model until it is done."
            )

    # -- remove ------------------------------------------------------------------------------------
    def remove_selected(self) -> None:
        r = self.selected()
        lib = self.host.library
        if r is None or not r.installed or lib is None or self.busy or not self.confirm_remove(r):
            return
        self._set_busy("remove", f"Removing {r.name}…")

        def work() -> app_models.ModelRow:
            app_models.remove_model(lib, r.id)
            return r

        self._run("remove", work)

    # -- calibrate ---------------------------------------------------------------------------------
    def calibrate_selected(self) -> None:
        """``photosearch models calibrate`` for the selected model, on a worker thread."""
        r = self.selected()
        lib = self.host.library
        if r is None or not r.installed or lib is None or self.busy:
            return
        self._set_busy("calibrate", f"Calibrating {r.name} on this library…")
        self._run("calibrate", lambda: calibrate_model(lib, r.id))

    # -- results -----------------------------------------------------------------------------------
    def _done(self, what: str, result: Any, listing: app_models.ModelListing | None) -> None:
        self._control = None
        self._set_busy(None)
        if self.readers.done(what, result):  # its verbs, and a text reader's folder sent there
            self._relisted(listing)
        elif what in ("install", "import"):
            pkg, chosen = result.package, result.chosen
            self.status.setText(
                f"Installed {pkg.manifest.name}."
                + ("" if chosen else " Choose “Use this model” to search with it.")
            )
            self._relisted(listing, pkg.id)
            if chosen:
                self.host.model_changed()
        elif what == "use":
            model_id, missing = result
            if missing:
                self._relisted(listing, model_id)
                self._switch(model_id, missing)
                return
            self.status.setText("Switched.")
            self._relisted(listing, model_id)
            self.host.model_changed()
        elif what == "remove":
            self.status.setText(f"Removed {result.name}.")
            self._relisted(listing)
            if result.active:
                self.host.model_changed()
        elif what == "calibrate":
            self.status.setText(
                f"Calibrated on this library: {plural(result.photos, 'photo')}, {result.queries} made-up queries "
                f"of which {100 * result.passed:.1f} % pass; the line for text searches is now {result.line:.2f}."
            )
            self._relisted(listing, result.model)
        elif what == "switch":
            if result == "switched":
                self.status.setText("Switched: searches now use the new model.")
                self.host.model_changed()
            else:
                self.status.setText("Switch paused; it continues next time.")
            self._relisted(listing)

    def _failed(self, what: str, e: BaseException, listing: app_models.ModelListing | None) -> None:
        self._control = None
        self._set_busy(None)
        if isinstance(e, UnverifiedDownload) and what == "install" and self.confirm_unverified(str(e)):
            self.select(getattr(self, "_installing", ""))
            self.install_selected(allow_unverified=True)
            return
        if isinstance(e, Cancelled):
            self.status.setText("Install cancelled: nothing was installed.")
        elif isinstance(e, PhotoSearchError) and what in FAILED:
            self.status.setText(f"{FAILED[what]}: {e}")
        else:
            self.status.setText(f"That did not work: {e}")
        self._relisted(listing)
