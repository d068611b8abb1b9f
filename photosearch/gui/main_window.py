"""The main window: query bar, side panel (library + filters), results grid, status bar with indexing
progress. A thin layer over the core: Library, SearchEngine and the indexing service."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QImage, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photosearch.config import Paths
from photosearch.errors import IndexLocked, PhotoSearchError
from photosearch.gui import desktop
from photosearch.gui.filters import FilterPanel
from photosearch.gui.library_dialog import FoldersDialog, SkippedDialog
from photosearch.gui.model_dialog import ModelDialog, call_installer
from photosearch.gui.preview import PreviewPanel
from photosearch.gui.query_bar import QueryBar, Reference
from photosearch.gui.resources import resource_path
from photosearch.gui.results import ResultsModel, ResultsView
from photosearch.gui.workers import (
    IndexingBridge,
    SearchController,
    SearchRequest,
    TaskRunner,
    ThumbnailLoader,
)
from photosearch.progress import Progress, format_duration

if TYPE_CHECKING:
    from photosearch.library.library import Library

log = logging.getLogger(__name__)

SEARCH_K = 200  # results per page of a search
SEARCH_K_MAX = 5000  # scrolling further re-runs the search for up to this many
BROWSE_PAGE = 500


def progress_text(p: Progress) -> str:
    if p.phase == "scanning":
        return "Looking for new and changed photos…"
    if p.phase == "embedding":
        if p.total == 0:
            return "Indexing…"
        bits = [f"Indexing {p.done:,} / {p.total:,}"]
        if p.rate > 0:
            bits.append(f"{p.rate:.1f} photos/s")
        if p.eta is not None and p.done < p.total:
            bits.append(f"{format_duration(p.eta)} left")
        text = " · ".join(bits)
        return f"Paused — {text}" if p.paused else text
    if p.phase == "saving":
        return "Saving the search index…"
    if p.phase == "error":
        return f"Indexing stopped: {p.message}"
    if p.phase == "cancelled":
        return "Indexing stopped"
    return ""


def unique_destination(folder: Path, name: str) -> Path:
    dest = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while dest.exists():
        dest = folder / f"{stem} ({n}){suffix}"
        n += 1
    return dest


def export_files(paths: list[str], folder: str | Path) -> list[Path]:
    """Copy files into ``folder`` (keeping dates; never overwriting: a clash gets " (1)")."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for p in paths:
        dest = unique_destination(folder, os.path.basename(p))
        shutil.copy2(p, dest)
        out.append(dest)
    return out


class _ProgressRelay(QObject):
    """Carries progress reports from a worker thread to the UI thread (a queued signal)."""

    report = Signal(object)


class MessagePanel(QWidget):
    """A plain-words state of the results area, with one obvious next step."""

    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        self.title = QLabel("", self)
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.hint = QLabel("", self)
        self.hint.setObjectName("EmptyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.button = QPushButton("", self)
        self.button.setObjectName("BigButton")
        self.button.clicked.connect(self.action_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        row.addStretch(1)
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        lay.addLayout(row)
        lay.addStretch(3)

    def show_message(self, title: str, hint: str = "", button: str = "") -> None:
        self.title.setText(title)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.button.setText(button)
        self.button.setVisible(bool(button))


class MainWindow(QMainWindow):
    engine_ready = Signal()
    results_shown = Signal()

    def __init__(self, paths: Paths | None = None, *, settings: QSettings | None = None, watch: bool = True,
                 prompt_model: bool = True, service_factory: type | None = None) -> None:
        super().__init__()
        t0 = time.perf_counter()
        self.paths = paths or Paths.resolve()
        self.settings = settings or QSettings()
        self.prompt_model = prompt_model
        self.watch = watch
        self.service_factory = service_factory
        self.read_only = False
        self.library: Library | None = None  # opened right after the window is shown (imports are slow)
        self.setWindowTitle("PhotoSearch")
        icon = resource_path("icon.svg") or resource_path("icon.png")
        if icon:
            self.setWindowIcon(QIcon(str(icon)))
        self.resize(1180, 760)

        self.search = SearchController(self)
        self.search.finished.connect(self._search_finished)
        self.search.failed.connect(self._search_failed)
        self.tasks = TaskRunner(1, self)  # model loading, model import, export
        self.thumbs = ThumbnailLoader(None, None, self)
        self.indexing: IndexingBridge | None = None
        self.last_progress: Progress | None = None
        self.engine_loading = False
        self.engine_error = ""
        self.pending_query = False
        self.current_request: SearchRequest | None = None
        self.current_response: Any = None
        self.model_dialog: ModelDialog | None = None
        self._shown_once = False
        self.preview_width = 0  # the width the person gave the preview panel (0: a third of the window)
        self._closed = False
        self._build()
        self._restore_settings()
        self.message.show_message("Opening your library…")
        self.stack.setCurrentWidget(self.message)
        log.info("main window built in %.0f ms", 1000 * (time.perf_counter() - t0))

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget(self)
        v = QVBoxLayout(central)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        self.query_bar = QueryBar(central)
        self.query_bar.query_changed.connect(self.run_query)
        self.query_bar.gear_clicked.connect(self.open_folders_dialog)
        self.query_bar.field.installEventFilter(self)
        v.addWidget(self.query_bar)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.side = FilterPanel(self.splitter)
        self.side.changed.connect(self.run_query)
        self.side.add_folder_clicked.connect(self.add_folder_interactive)
        self.side.manage_folders_clicked.connect(self.open_folders_dialog)
        self.stack = QStackedWidget(self.splitter)
        self.model = ResultsModel(self.thumbs, self)
        self.view = ResultsView(self.stack)
        self.view.setModel(self.model)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.activated_row.connect(lambda row: self.open_paths([self.model.result(row).path]))
        self.view.preview_requested.connect(self.toggle_preview)
        self.view.verticalScrollBar().valueChanged.connect(self._maybe_load_more)
        self.welcome = MessagePanel(self.stack)
        self.welcome.show_message(
            "Add the folders where your photos live",
            "PhotoSearch finds photos by what is in them: type “kids on a beach at sunset” or drop in a photo.\n"
            "Everything runs on this computer; nothing leaves it.",
            "Add folder…")
        self.welcome.action_clicked.connect(self.add_folder_interactive)
        self.message = MessagePanel(self.stack)
        self.message.action_clicked.connect(self._message_action)
        self._message_action_kind = ""
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.message)
        self.preview = PreviewPanel(self.splitter)
        self.preview.open_requested.connect(lambda p: self.open_paths([p]))
        self.preview.show_requested.connect(self.show_in_folder)
        self.preview.similar_requested.connect(self.find_similar)
        self.preview.reference_requested.connect(self.use_as_reference)
        self.preview.hide()
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(2, False)
        self.splitter.setSizes([220, 960, 0])
        v.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        sb = self.statusBar()
        self.status_label = QLabel("", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.pause_button = QToolButton(self)
        self.pause_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self.pause_button.setToolTip("Pause indexing")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_indexing_paused)
        self.pause_button.hide()
        self.skipped_button = QToolButton(self)
        self.skipped_button.setAutoRaise(True)
        self.skipped_button.setToolTip("Files that could not be indexed, with the reasons")
        self.skipped_button.clicked.connect(self.show_skipped)
        self.skipped_button.hide()
        self.readonly_label = QLabel("Read-only: another PhotoSearch is indexing this library; search still works",
                                     self)
        self.readonly_label.hide()
        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(80, 320)
        self.size_slider.setValue(160)
        self.size_slider.setFixedWidth(110)
        self.size_slider.setToolTip("Thumbnail size")
        self.size_slider.valueChanged.connect(self.view.set_thumb_size)
        sb.addWidget(self.status_label, 1)
        sb.addWidget(self.progress_bar)
        sb.addWidget(self.pause_button)
        sb.addPermanentWidget(self.readonly_label)
        sb.addPermanentWidget(self.skipped_button)
        sb.addPermanentWidget(QLabel("Size", self))
        sb.addPermanentWidget(self.size_slider)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(700)
        self._refresh_timer.timeout.connect(self.refresh_library)

        def act(text: str, keys: Any, slot: Any, context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> QAction:
            a = QAction(text, self)
            a.setShortcut(QKeySequence(keys))
            a.setShortcutContext(context)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.act_find = act("Search", QKeySequence.StandardKey.Find, self.focus_search)
        self.act_find.setShortcuts([QKeySequence("Ctrl+F")])
        self.act_escape = act("Clear", Qt.Key.Key_Escape, self.clear_query)
        self.act_add = act("Add folder…", QKeySequence("Ctrl+O"), self.add_folder_interactive)
        self.act_paste = act("Paste image as reference", QKeySequence.StandardKey.Paste, self.paste_reference)

    # -- settings ----------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geo = self.settings.value("window/geometry")
        if isinstance(geo, QByteArray | bytes) and geo:
            self.restoreGeometry(QByteArray(geo))
        with contextlib.suppress(TypeError, ValueError):
            side = int(self.settings.value("view/side_width", 0))  # type: ignore[call-overload]
            if side > 0:
                self.splitter.setSizes([side, max(200, self.width() - side), 0])
        with contextlib.suppress(TypeError, ValueError):
            self.preview_width = int(self.settings.value("view/preview_width", 0))  # type: ignore[call-overload]
        size = self.settings.value("view/thumb_size", 160)
        with contextlib.suppress(TypeError, ValueError):
            self.size_slider.setValue(int(size))  # type: ignore[call-overload]
        w = self.settings.value("query/weight", 0.5)
        with contextlib.suppress(TypeError, ValueError):
            self.query_bar.set_weight(float(w))  # type: ignore[arg-type]
        last = self.settings.value("query/last", "")
        if isinstance(last, str) and last:
            self.query_bar.field.setText(last)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        sizes = self.splitter.sizes()
        self.settings.setValue("view/side_width", sizes[0])
        if self.preview.isVisible() and sizes[2] > 0:
            self.preview_width = sizes[2]
        if self.preview_width:
            self.settings.setValue("view/preview_width", self.preview_width)
        self.settings.setValue("view/thumb_size", self.size_slider.value())
        self.settings.setValue("query/last", self.query_bar.field.text())
        self.settings.setValue("query/weight", self.query_bar.weight)
        self.settings.sync()

    # -- start-up ----------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self._after_show)

    def open_library(self) -> Library:
        """Open the library (writable, or read-only when another writer holds the lock). Idempotent."""
        if self.library is not None:
            return self.library
        from photosearch.library.library import Library

        try:
            self.library = Library(self.paths, write=True, purpose="photosearch-gui")
        except IndexLocked as e:
            log.info("the library is locked by another writer (%s): opening read-only", e)
            self.library = Library(self.paths, write=False)
            self.read_only = True
        self.readonly_label.setVisible(self.read_only)
        self.search.catalog = self.library.catalog
        self.thumbs.thumbs = self.library.thumbs
        self.thumbs.catalog = None if self.read_only else self.library.catalog
        if not self.read_only:
            self.indexing = IndexingBridge(self.library, watch=self.watch, parent=self,
                                           service_factory=self.service_factory)
            self.indexing.progress.connect(self._indexing_progress)
            self.indexing.changed.connect(self._schedule_refresh)
        self.refresh_library()
        return self.library

    @property
    def lib(self) -> Library:
        return self.library if self.library is not None else self.open_library()

    def _after_show(self) -> None:
        if self._closed:
            return
        from photosearch.app.models import apply_query_language

        apply_query_language(self.paths)  # the query language chosen in the model manager (H-models)
        self.open_library()
        if self.lib.active_model_id() is None:
            self.status_label.setText("No search model yet")
            if self.prompt_model:
                self.open_model_dialog()
            self.run_query()
            return
        self.load_engine()
        self.run_query()

    def load_engine(self) -> None:
        if self.engine_loading:
            return
        self.engine_loading = True
        self.engine_error = ""
        self.status_label.setText("Loading the search model…")
        lib = self.lib

        def work() -> Any:
            eng = lib.search_engine()
            eng.encode_text("a photo")  # the first run of the text encoder is the slow one
            return eng

        self.tasks.submit(work, self._engine_loaded, self._engine_failed)

    def _engine_loaded(self, engine: Any) -> None:
        self.engine_loading = False
        self.search.engine = engine
        self.setWindowTitle(f"PhotoSearch — {engine.runtime.package.manifest.name}")  # the active model (H-models)
        if self.status_label.text().startswith("Loading the search model"):
            self.status_label.setText("")
        if self.indexing is not None and not self._closed:
            self.indexing.start()
            self.indexing.request_scan()
        self.engine_ready.emit()
        if self.pending_query or self.query_bar.text or self.query_bar.reference is not None:
            self.pending_query = False
            self.run_query()

    def _engine_failed(self, e: BaseException) -> None:
        self.engine_loading = False
        self.engine_error = str(e)
        self.status_label.setText(f"The search model could not be loaded: {e}")
        if self.pending_query:
            self.pending_query = False
            self._show_message("The search model could not be loaded", str(e), "Set up a model…", "model")

    # -- library -----------------------------------------------------------------------------------
    def folders(self) -> list[Any]:
        return self.lib.folders()

    def refresh_library(self) -> None:
        if self._closed:
            return
        folders = self.lib.folders()
        self.side.set_folders(folders)
        errors = self.lib.catalog.counts_by_status().get("error", 0)
        self.skipped_button.setText(f"⚠ {errors:,} skipped")
        self.skipped_button.setVisible(errors > 0)
        if not folders:
            self.stack.setCurrentWidget(self.welcome)
        elif self.stack.currentWidget() is self.welcome:
            self.stack.setCurrentWidget(self.view)
            self.run_query()
        elif self.current_request is not None and self.current_request.kind == "browse" and \
                self.model.rowCount() < BROWSE_PAGE and not self.search.busy:
            self.run_query()  # browsing a library that is still being indexed: show what arrived

    def _schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def choose_folder(self, title: str) -> str | None:
        """A native folder dialog (tests replace this)."""
        path = QFileDialog.getExistingDirectory(self, title, str(Path.home()))
        return path or None

    def add_folder_interactive(self) -> None:
        path = self.choose_folder("Add a folder of photos")
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        if self.indexing is None:
            self._error_box("Can't add a folder now",
                            "Another PhotoSearch is indexing this library; add folders there or close it first.")
            return
        if not self._change_folders("add_folder", path, "Can't add this folder"):
            return
        self.status_label.setText(f"Added {path}")
        self.refresh_library()
        if self.lib.active_model_id() is None and self.prompt_model and self.model_dialog is None:
            self.open_model_dialog()

    def _change_folders(self, action: str, path: str, failure: str) -> bool:
        """``add_folder``/``remove_folder`` through the running indexing service (which then indexes or
        forgets the photos), else on the library directly; an error is shown and gives False."""
        assert self.indexing is not None
        target: Any = self.indexing if self.indexing.running else self.lib
        try:
            getattr(target, action)(path)
        except PhotoSearchError as e:
            self._error_box(failure, str(e))
            return False
        return True

    def remove_folder(self, path: str) -> None:
        if self.indexing is None:
            return
        if not self._change_folders("remove_folder", path, "Can't remove this folder"):
            return
        self.refresh_library()
        self.run_query()

    def set_folder_paused(self, path: str, paused: bool) -> None:
        if self.indexing is None:
            return
        try:
            if self.indexing.running:
                self.indexing.set_folder_paused(path, paused)
            else:
                self.lib.set_folder_paused(path, paused)
        except PhotoSearchError as e:
            self._error_box("Can't change this folder", str(e))
        self.refresh_library()

    def open_folders_dialog(self) -> FoldersDialog:
        dlg = FoldersDialog(self, self)
        dlg.open()
        self.folders_dialog = dlg
        return dlg

    def show_skipped(self) -> SkippedDialog:
        dlg = SkippedDialog(self.lib.catalog.errors(), self)
        dlg.open()
        self.skipped_dialog = dlg
        return dlg

    # -- models ------------------------------------------------------------------------------------
    def open_model_manager(self) -> Any:
        from photosearch.gui.model_manager import ModelManagerDialog

        self.model_manager = ModelManagerDialog(self, self)
        self.model_manager.open()
        return self.model_manager

    def model_changed(self) -> None:
        self.load_engine()  # the old engine serves until the new one is loaded

    def open_model_dialog(self) -> ModelDialog:
        dlg = ModelDialog(self, self)
        dlg.finished.connect(lambda _r: setattr(self, "model_dialog", None))
        self.model_dialog = dlg
        dlg.open()
        return dlg

    def choose_model_folder(self) -> str | None:
        path = QFileDialog.getExistingDirectory(self, "Choose a model package folder (with manifest.json)")
        return path or None

    def import_model_interactive(self, dialog: ModelDialog | None = None) -> bool:
        src = self.choose_model_folder()
        if not src:
            return False
        self.import_model(src, dialog)
        return True

    def import_model(self, src: str, dialog: ModelDialog | None = None) -> None:
        from photosearch.app.models import import_model

        paths = self.paths

        def work() -> Any:
            return import_model(src, paths)[0]  # any supported layout (H-models)

        def done(pkg: Any) -> None:
            self._model_installed(pkg.id, dialog)

        def failed(e: BaseException) -> None:
            msg = f"This folder is not a usable model package: {e}"
            if dialog is not None:
                dialog.install_finished.emit(False, msg)
            else:
                self._error_box("Can't import the model", msg)

        self.tasks.submit(work, done, failed)

    def install_registry_model(self, entry: Any, installer: Any, dialog: ModelDialog) -> None:
        """Download and install a registry model in the background; progress goes to the dialog's bar."""
        paths = self.paths
        relay = _ProgressRelay(self)
        relay.report.connect(dialog.progress)

        def work() -> Any:
            return call_installer(installer, entry, paths, relay.report.emit)

        def done(pkg: Any) -> None:
            model_id = getattr(pkg, "id", None) or getattr(entry, "id", "")
            self._model_installed(str(model_id), dialog)

        def failed(e: BaseException) -> None:
            dialog.install_finished.emit(False, f"The model could not be installed: {e}\n"
                                                "If this computer is offline, import a model folder instead.")

        self.tasks.submit(work, done, failed)

    def _model_installed(self, model_id: str, dialog: ModelDialog | None) -> None:
        try:
            from photosearch.app.models import use_model

            use_model(self.lib, model_id)  # the background switch when another model is active (H-models)
        except PhotoSearchError as e:
            log.warning("cannot make %s the active model: %s", model_id, e)
        if dialog is not None:
            dialog.install_finished.emit(True, f"Installed {model_id}")
        self.status_label.setText(f"Model {model_id} is ready")
        self.load_engine()

    # -- queries -----------------------------------------------------------------------------------
    def current_query(self) -> SearchRequest:
        text = self.query_bar.text
        ref: Reference | None = self.query_bar.reference
        filters = self.side.filters()
        if ref is not None:
            if text:
                return SearchRequest("composed", text=text, image=ref.query_image, weight=self.query_bar.weight,
                                     filters=filters, k=SEARCH_K, label=f"{ref.name} + “{text}”")
            return SearchRequest("image", image=ref.query_image, filters=filters, k=SEARCH_K,
                                 label=f"photos like {ref.name}")
        if text:
            return SearchRequest("text", text=text, filters=filters, k=SEARCH_K, label=f"“{text}”")
        return SearchRequest("browse", filters=filters, k=BROWSE_PAGE, label="your library")

    def run_query(self) -> None:
        if self._closed:
            return
        if not self.lib.folders():
            self.stack.setCurrentWidget(self.welcome)
            return
        self.submit(self.current_query())

    def submit(self, req: SearchRequest) -> None:
        if req.kind != "browse" and self.search.engine is None:
            self.pending_query = True
            if self.lib.active_model_id() is None:
                self._show_message("Searching needs a model", "Set up a model to search by words or by photo. "
                                   "Meanwhile, clear the search box to browse your photos by date.",
                                   "Set up a model…", "model")
            elif self.engine_error:
                self._show_message("The search model could not be loaded", self.engine_error,
                                   "Set up a model…", "model")
            else:
                self._show_message("Getting the search model ready…", "Your search runs as soon as it is loaded.")
                if not self.engine_loading:
                    self.load_engine()
            return
        self.current_request = req
        self.search.submit(req)

    def find_similar(self, path: str) -> None:
        self.submit(SearchRequest("similar", image=path, filters=self.side.filters(), k=SEARCH_K,
                                  label=f"photos like {os.path.basename(path)}"))

    def use_as_reference(self, path: str) -> None:
        self.query_bar.well.set_path(path)
        self.query_bar.field.setFocus()

    def _maybe_load_more(self, value: int) -> None:
        """Near the bottom of the grid: the next page of the library (browsing), or — for a search — the
        search again for more results (up to SEARCH_K_MAX), of which the new ones are appended."""
        req, resp = self.current_request, self.current_response
        if req is None or resp is None or self.search.busy or self.stack.currentWidget() is not self.view:
            return
        sb = self.view.verticalScrollBar()
        if value < sb.maximum() - 2 * self.view.gridSize().height():
            return
        shown = self.model.rowCount()
        if req.kind == "browse":
            if shown < int(resp.extra.get("total", 0)):
                more = SearchRequest("browse", filters=req.filters, k=BROWSE_PAGE, offset=shown, label=req.label)
                self.current_request = more
                self.search.submit(more)
            return
        # a search returned a full page: there may be more (filters and the relevance cut-off return fewer)
        if len(resp.results) >= req.k and req.k < SEARCH_K_MAX and shown < resp.library_size:
            more = dataclasses.replace(req, k=min(SEARCH_K_MAX, req.k + SEARCH_K), offset=shown)
            self.current_request = more
            self.search.submit(more)

    def _search_finished(self, req: SearchRequest, resp: Any) -> None:
        if self._closed:
            return
        self.current_response = resp
        if req.kind == "browse" and req.offset > 0:
            self.model.append_results(resp.results)
            return
        if req.offset > 0:  # more of the same search: append what isn't shown yet, in rank order
            have = {self.model.result(i).path for i in range(self.model.rowCount())}
            self.model.append_results([r for r in resp.results if r.path not in have])
            return
        self.model.set_results(resp.results, resp.kind)
        if self.model.rowCount():
            self.view.scrollToTop()
        n = resp.library_size
        if not resp.results:
            if n == 0:
                busy = self.indexing is not None and self.last_progress is not None and \
                    self.last_progress.phase in ("scanning", "embedding")
                self._show_message("No photos are indexed yet",
                                   "Indexing is under way: photos appear here as they are indexed." if busy else
                                   "Add a folder of photos, or wait for indexing to finish.",
                                   "" if busy else "Add folder…", "" if busy else "add")
            elif req.kind == "browse" or req.filters is not None:
                self._show_message(f"No photos match these filters in {n:,} photos",
                                   "Try a wider date range or more file types.", "Reset filters", "reset")
            else:
                self._show_message(f"Nothing matched {req.label}", "")
        elif resp.no_good_matches:
            self._show_message(resp.message or f"Nothing close to {req.label} in {n:,} photos",
                               "Try other words, or look at the nearest photos anyway.",
                               "Show the nearest anyway", "nearest")
        else:
            self.stack.setCurrentWidget(self.view)
            kind = {"text": "", "image": "Photos like the reference · ", "composed": "Reference + change · ",
                    "similar": "Similar photos · ", "browse": "Newest first · "}.get(resp.kind, "")
            total = resp.extra.get("total") if resp.kind == "browse" else None
            count = f"{total:,} photos" if total is not None else f"{len(resp.results):,} best of {n:,} photos"
            if not (self.last_progress and self.last_progress.phase == "embedding"):
                self.status_label.setText(f"{kind}{count}")
        self.results_shown.emit()

    def _search_failed(self, req: SearchRequest, message: str) -> None:
        self.model.clear()
        self._show_message("The search didn't work", message)
        self.results_shown.emit()

    def _show_message(self, title: str, hint: str = "", button: str = "", action: str = "") -> None:
        self.message.show_message(title, hint, button)
        if not (self.last_progress and self.last_progress.phase in ("scanning", "embedding")):
            self.status_label.setText("")
        self._message_action_kind = action
        self.stack.setCurrentWidget(self.message)

    def _message_action(self) -> None:
        kind = self._message_action_kind
        if kind == "nearest":
            self.stack.setCurrentWidget(self.view)
        elif kind == "reset":
            self.side.reset()
        elif kind == "add":
            self.add_folder_interactive()
        elif kind == "model":
            self.open_model_dialog()

    # -- shortcuts ---------------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.query_bar.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_bar.field.selectAll()

    def clear_query(self) -> None:
        self.query_bar.clear()
        self.query_bar.field.setFocus()

    def paste_reference(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and not self.query_bar.well.set_from_mime(mime):
            self.status_label.setText("The clipboard holds no image to search with")

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
        if obj is self.query_bar.field and event.type() == event.Type.KeyPress and \
                event.key() == Qt.Key.Key_Down and self.model.rowCount():
            self.view.setFocus()
            if not self.view.currentIndex().isValid():
                self.view.setCurrentIndex(self.model.index(0))
            return True
        return super().eventFilter(obj, event)

    # -- results actions ---------------------------------------------------------------------------
    def selected_paths(self) -> list[str]:
        rows = self.view.selected_rows()
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return [self.model.result(r).path for r in rows]

    def open_paths(self, paths: list[str]) -> None:
        for p in paths[:20]:
            desktop.open_file(p)

    def show_in_folder(self, path: str) -> None:
        desktop.show_in_folder(path)

    def copy_paths(self, paths: list[str]) -> None:
        QGuiApplication.clipboard().setText("\n".join(paths))
        self.status_label.setText(f"Copied {len(paths)} path{'s' if len(paths) != 1 else ''}")

    def copy_files(self, paths: list[str]) -> None:
        rows = [i for i, r in enumerate(self.model.results) if r.path in set(paths)]
        mime = self.model.mimeData([self.model.index(r) for r in rows])
        QGuiApplication.clipboard().setMimeData(mime)
        self._clipboard_mime: QMimeData | None = mime
        self.status_label.setText(f"Copied {len(paths)} file{'s' if len(paths) != 1 else ''}: paste them in a "
                                  "file manager")

    def copy_image(self, path: str) -> None:
        img = QImage(path)
        if img.isNull():
            self.status_label.setText("This photo can't be copied as an image")
            return
        QGuiApplication.clipboard().setImage(img)
        self.status_label.setText("Copied the image")

    def export_selected(self, paths: list[str] | None = None, folder: str | None = None) -> None:
        paths = paths if paths is not None else self.selected_paths()
        if not paths:
            return
        folder = folder or self.choose_folder(f"Copy {len(paths)} photos to…")
        if not folder:
            return
        self.status_label.setText(f"Copying {len(paths)} photos to {folder}…")
        self.tasks.submit(lambda: export_files(paths, folder),
                          lambda out: self.status_label.setText(f"Copied {len(out)} photos to {folder}"),
                          lambda e: self._error_box("Copying failed", str(e)))

    def toggle_preview(self, row: int) -> None:
        """Space: open the preview panel on this result, or close it."""
        if self.preview.isVisible():
            self.preview_width = self.splitter.sizes()[2] or self.preview_width
            self.preview.close()
            self.view.setFocus()
        else:
            self.show_preview(row)

    def show_preview(self, row: int) -> PreviewPanel:
        was_visible = self.preview.isVisible()
        self.preview.show_result(self.model.result(row), self.model.thumbnail(row, request=False))
        if not was_visible:
            self.preview.show()
            sizes = self.splitter.sizes()
            want = self.preview_width or max(300, min(520, self.width() // 3))
            if sizes[2] < want:
                self.splitter.setSizes([sizes[0], max(200, sizes[1] + sizes[2] - want), want])
        return self.preview

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.preview.isVisible() and current.isValid():
            self.show_preview(current.row())

    def build_context_menu(self, index: QModelIndex) -> QMenu:
        menu = QMenu(self)
        selected = self.selected_paths()
        path = self.model.result(index.row()).path if index.isValid() else (selected[0] if selected else "")
        if path:
            menu.addAction("Open", lambda: self.open_paths([path]))
            menu.addAction("Show in folder", lambda: self.show_in_folder(path))
            menu.addAction("Preview", lambda: self.show_preview(index.row()))
            menu.addSeparator()
            menu.addAction("Copy path", lambda: self.copy_paths([path]))
            menu.addAction("Copy image", lambda: self.copy_image(path))
            menu.addSeparator()
            menu.addAction("Find similar", lambda: self.find_similar(path))
            menu.addAction("Use as reference", lambda: self.use_as_reference(path))
        if len(selected) > 1:
            menu.addSeparator()
            n = len(selected)
            menu.addAction(f"Copy {n} files", lambda: self.copy_files(selected))
            menu.addAction(f"Copy {n} paths", lambda: self.copy_paths(selected))
            menu.addAction(f"Export {n} photos to a folder…", lambda: self.export_selected(selected))
        return menu

    def _context_menu(self, pos: Any) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        menu = self.build_context_menu(index)
        if not menu.isEmpty():
            menu.popup(self.view.viewport().mapToGlobal(pos))

    # -- indexing ----------------------------------------------------------------------------------
    def _indexing_progress(self, p: Progress) -> None:
        if self._closed:
            return
        self.last_progress = p
        active = p.phase in ("scanning", "embedding", "saving")
        self.progress_bar.setVisible(active)
        self.pause_button.setVisible(active)
        if p.phase == "embedding" and p.total:
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
        elif active:
            self.progress_bar.setRange(0, 0)
        text = progress_text(p)
        if p.phase in ("done", "idle") and self.library is not None:
            self.progress_bar.setRange(0, max(p.total, 1))
            self.progress_bar.setValue(max(p.total, 1))
            n = self.lib.catalog.visible_count()
            text = f"{n:,} photos indexed" + (f" · {p.done:,} new" if p.done else "")
            self._schedule_refresh()
        if text:
            self.status_label.setText(text)
        if p.errors or p.phase in ("done", "idle"):
            self._schedule_refresh()

    def set_indexing_paused(self, paused: bool) -> None:
        if self.indexing is None:
            return
        if paused:
            self.indexing.pause()
        else:
            self.indexing.resume()
        self.pause_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))
        self.pause_button.setToolTip("Resume indexing" if paused else "Pause indexing")
        if self.last_progress is not None:
            self.last_progress.paused = paused
            self.status_label.setText(progress_text(self.last_progress))

    # -- errors, shutdown --------------------------------------------------------------------------
    def _error_box(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.open()
        self.last_error_box = box

    def shutdown(self) -> None:
        """Stop every worker and close the library (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(RuntimeError):
            self.save_settings()
        self._refresh_timer.stop()
        self.query_bar.debounce.stop()
        if self.indexing is not None:
            self.indexing.stop()
        self.search.generation += 1
        self.thumbs.wait()
        self.search.runner.wait()
        self.tasks.wait()
        self.preview.loader.wait()
        self._release_clipboard()
        if self.library is not None:
            self.library.close()

    def _release_clipboard(self) -> None:
        """Take back file lists we put on the clipboard: a Python-made QMimeData that Qt destroys after the
        interpreter has shut down crashes the process at exit (PySide6)."""
        mime: QMimeData | None = getattr(self, "_clipboard_mime", None)
        self._clipboard_mime = None
        if mime is None:
            return
        cb = QGuiApplication.clipboard()
        with contextlib.suppress(RuntimeError):
            if cb.mimeData() is mime or cb.ownsClipboard():
                urls = [u.toLocalFile() for u in mime.urls()]
                cb.setText("\n".join(urls))  # keep the paths, in a Qt-made object

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
