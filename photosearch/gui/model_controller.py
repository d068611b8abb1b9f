"""The search model in the window: loading the engine off the UI thread, and the model set-up dialog's
verbs (import a folder, install from the registry).

# H-models: the model verbs below (import, install, make active) are the place that moves to
# photosearch.app.models; this module is their GUI binding.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal

from photosearch.app.search import open_engine
from photosearch.config import Paths
from photosearch.errors import ManifestError
from photosearch.gui.model_dialog import ModelDialog
from photosearch.gui.model_rows import opened as _opened
from photosearch.gui.workers import IndexingBridge, SearchController, TaskRunner
from photosearch.search.engine import SearchEngine

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from photosearch.gui.status_area import StatusArea
    from photosearch.gui.steer_controller import SteerController
    from photosearch.library.library import Library

log = logging.getLogger(__name__)


class _ProgressRelay(QObject):
    """Carries download progress from a worker thread to the UI thread (a queued signal)."""

    report = Signal(object)  # photosearch.models.download.DownloadProgress (or what a test installer sends)


class ModelHost(Protocol):
    paths: Paths
    library: Library | None
    indexing: IndexingBridge | None
    status: StatusArea
    search: SearchController
    steer: SteerController
    tasks: TaskRunner
    closed: bool

    def choose_model_folder(self) -> str | None: ...

    def error_box(self, title: str, text: str) -> None: ...


class ModelController(QObject):
    engine_loaded = Signal()
    engine_failed = Signal(str)

    def __init__(self, host: ModelHost, parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self.parent_widget = parent
        self.loading = False
        self.error = ""
        self.dialog: ModelDialog | None = None
        self.text_line_calibrated = True  # the active model's text line (read when its engine loads)

    # -- the engine ---------------------------------------------------------------------------------
    def load_engine(self) -> None:
        lib = self.host.library
        if self.loading or lib is None:
            return
        self.loading = True
        self.error = ""
        self.host.status.say("Loading the search model…")

        def work() -> SearchEngine:
            eng = open_engine(lib)
            eng.encode_text("a photo")  # the first run of the text encoder is the slow one
            # whether the text line is calibrated (this library's rule is read from the catalog here, off
            # the UI thread), so the strictness control says so before the first search
            self.text_line_calibrated = bool(eng.line_info("text")["calibrated"])
            return eng

        self.host.tasks.submit(work, self._loaded, self._failed)

    def _loaded(self, engine: SearchEngine) -> None:
        self.loading = False
        h = self.host
        h.search.engine = engine
        h.steer.show_calibrated(self.text_line_calibrated)
        if h.status.text().startswith("Loading the search model"):
            h.status.say("")
        if h.indexing is not None and not h.closed:
            h.indexing.start()
            h.indexing.request_scan()
        self.engine_loaded.emit()

    def _failed(self, e: BaseException) -> None:
        self.loading = False
        self.error = str(e)
        self.host.status.say(f"The search model could not be loaded: {e}")
        self.engine_failed.emit(self.error)

    # -- set-up dialog ------------------------------------------------------------------------------
    def open_model_dialog(self) -> ModelDialog:
        dlg = ModelDialog(self, self.parent_widget)
        dlg.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dlg
        dlg.open()
        return dlg

    def import_model_interactive(self, dialog: ModelDialog | None = None) -> bool:
        src = self.host.choose_model_folder()
        if not src:
            return False
        self.import_model(src, dialog)
        return True

    def import_model(self, src: str, dialog: ModelDialog | None = None) -> None:
        from photosearch.app.model_install import import_and_choose

        lib = self.host.library

        def work() -> Any:  # 'photosearch models import SRC --use': imported and chosen, or nothing
            return import_and_choose(_opened(lib), src, use=True).package  # any supported layout

        def done(pkg: Any) -> None:
            self._model_installed(pkg.id, dialog)

        def failed(e: BaseException) -> None:
            msg = (
                f"This folder is not a usable model package: {e}"
                if isinstance(e, ManifestError)
                else f"The model could not be imported: {e}"
            )
            if dialog is not None:
                dialog.install_finished.emit(False, msg)
            else:
                self.host.error_box("Can't import the model", msg)

        self.host.tasks.submit(work, done, failed)

    def install_registry_model(self, entry: Any, installer: Any, dialog: ModelDialog) -> None:
        """Download and install a registry model in the background; progress goes to the dialog's bar."""
        lib = self.host.library
        relay = _ProgressRelay(self)
        relay.report.connect(dialog.progress)

        def work() -> str:  # installed and chosen, or nothing (model_dialog.registry_installer)
            return str(installer(_opened(lib), entry, relay.report.emit).package.id)

        def done(model_id: str) -> None:
            self._model_installed(model_id, dialog)

        def failed(e: BaseException) -> None:
            dialog.install_finished.emit(
                False,
                f"The model could not be installed: {e}\n"
                "If this computer is offline, import a model folder instead.",
            )

        self.host.tasks.submit(work, done, failed)

    def _model_installed(self, model_id: str, dialog: ModelDialog | None) -> None:
        if dialog is not None:
            dialog.install_finished.emit(True, f"Installed {model_id}")
        self.host.status.say(f"Model {model_id} is ready")
        self.load_engine()
