"""The main window: lays out the query bar, the filter bar, the folders side bar, the justified results grid
(``JustifiedView``), the preview, the viewer over the window and the status bar, and wires them to the parts that do the work — ``SearchPresenter`` (queries and what they
show), ``FolderController``, ``ModelController``, ``ResultActions``, ``StatusArea`` and ``LibraryState``
(folders and counts, read off the UI thread after each change). The user's verbs are in ``photosearch.app``."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photosearch.app.library_settings import LibrarySettings
from photosearch.app.library_settings import load as load_library_settings
from photosearch.app.session import open_writable_or_read_only
from photosearch.app.status import LibrarySummary, summary
from photosearch.config import Paths
from photosearch.gui.accessible import CurrentPhotoName
from photosearch.gui.albums_controller import AlbumsController
from photosearch.gui.bursts_view import BurstController
from photosearch.gui.filters import FilterBar
from photosearch.gui.folder_controller import FolderController
from photosearch.gui.grid import JustifiedView
from photosearch.gui.library_state import LibraryState
from photosearch.gui.message_panel import MessagePanel
from photosearch.gui.model_controller import ModelController
from photosearch.gui.model_dialog import ModelDialog
from photosearch.gui.places_controller import PlacesController
from photosearch.gui.preview import PreviewPanel
from photosearch.gui.query_bar import QueryBar
from photosearch.gui.resources import resource_path
from photosearch.gui.result_actions import ResultActions
from photosearch.gui.results import ResultsModel
from photosearch.gui.search_presenter import SearchPresenter
from photosearch.gui.shortcuts import Shortcuts
from photosearch.gui.sidebar import FolderSidebar
from photosearch.gui.status_area import StatusArea
from photosearch.gui.steer_controller import SteerController
from photosearch.gui.theme import ThemeFollower
from photosearch.gui.viewer import PhotoViewer
from photosearch.gui.window_settings import restore_library_settings, restore_settings, save_settings
from photosearch.gui.workers import IndexingBridge, SearchController, TaskRunner, ThumbnailLoader
from photosearch.library.library import Library
from photosearch.progress import Progress
from photosearch.search.engine import SearchResponse
from photosearch.states import FileStatus

log = logging.getLogger(__name__)

Opened = tuple[Library, bool, LibrarySummary, LibrarySettings]


def open_library(paths: Paths) -> Opened:
    """Open the library as the window needs it (on the library worker: opening checks the catalog)."""
    lib, read_only = open_writable_or_read_only(paths, "photosearch-gui")
    return lib, read_only, summary(lib), load_library_settings(paths)


class MainWindow(QMainWindow):
    engine_ready = Signal()
    results_shown = Signal()
    library_opened = Signal()
    models_changed_elsewhere = Signal(object)  # a handed-over `models` answer (emitted on another thread)

    def __init__(
        self,
        paths: Paths | None = None,
        *,
        settings: QSettings | None = None,
        watch: bool = True,
        prompt_model: bool = True,
        service_factory: type | None = None,
    ) -> None:
        super().__init__()
        t0 = time.perf_counter()
        self.paths = paths or Paths.resolve()
        self.settings = settings or QSettings()
        self.prompt_model = prompt_model
        self.watch = watch
        self.service_factory = service_factory
        self.read_only = False
        self.library: Library | None = None  # opened on the library worker right after the window shows
        self.indexing: IndexingBridge | None = None
        self.closed = False
        self._shown_once = False
        self._visible_seen = 0  # photos that could be found at the last library summary
        self._model_failed: str | None = None  # the model last loaded on the summary's word
        self.preview_width = 0  # the width the person gave the preview panel (0: a third of the window)
        self.setWindowTitle("PhotoSearch")
        icon = resource_path("icon.svg") or resource_path("icon.png")
        if icon:
            self.setWindowIcon(QIcon(str(icon)))
        self.resize(1180, 760)

        self.search = SearchController(self)
        self.tasks = TaskRunner(1, self)  # model loading, model import, export
        self.library_tasks = TaskRunner(1, self)  # opening the library, folder changes, summaries
        self.thumbs = ThumbnailLoader(None, None, self)
        app = QApplication.instance()
        self.theme = ThemeFollower.install(app) if isinstance(app, QApplication) else None
        self.state = LibraryState(self.library_tasks, self)
        self._build()
        self.models = ModelController(self, self)
        self.folders = FolderController(self, self.state, self.library_tasks, self)
        self.presenter = SearchPresenter(self, self)
        self.actions_ = ResultActions(self, self)
        self.viewer = PhotoViewer(self, self.model)
        self.places = PlacesController(self)  # chips, the place list, the photo's metadata
        self.viewer.meta_reader = self.places.read_meta  # the viewer's details: the preview's (photo_details)
        self.steer = SteerController(self)  # 👍/👎, "more like these", strictness
        self.bursts = BurstController(self)  # bursts stacked, with their count; expanded on a click
        self.albums = AlbumsController(self)  # the albums in the side bar; "Save as album…"
        self._wire()
        restore_settings(self)
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
        v.addWidget(self.query_bar)
        self.side = FilterBar(central)  # the filters, above the results
        v.addWidget(self.side)
        v.addWidget(
            self.side.chips
        )  # the active filters' chips: a row under the bar, shown when there are any
        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.sidebar = FolderSidebar(self.splitter)  # the folders (collapsible)
        self.stack = QStackedWidget(self.splitter)
        self.model = ResultsModel(self.thumbs, self)
        self.view = JustifiedView(self.stack)
        self.view.setModel(self.model)
        CurrentPhotoName(self.view)  # a screen reader hears which photo the keyboard is on
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.welcome = MessagePanel(self.stack)
        self.welcome.show_message(
            "Add the folders where your photos live",
            "PhotoSearch finds photos by what is in them: type “kids on a beach at sunset” or drop in a photo.\n"
            "Everything runs on this computer; nothing leaves it.",
            "Add folder…",
        )
        self.message = MessagePanel(self.stack)
        for w in (self.view, self.welcome, self.message):
            self.stack.addWidget(w)
        self.preview = PreviewPanel(self.splitter)
        self.preview.hide()
        for part in (self.sidebar, self.stack, self.preview):
            self.splitter.addWidget(part)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(2, False)
        self.splitter.setSizes([220, 960, 0])
        v.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status = StatusArea(self)
        bar_layout = self.query_bar.layout()  # where the field and the filter row start
        edge = bar_layout.contentsMargins().left() if bar_layout is not None else 2
        self.status.label.setContentsMargins(max(0, edge - 2), 0, 0, 0)  # (QStatusBar puts 2 px before it)
        self.progress_bar, self.skipped_button = self.status.progress_bar, self.status.skipped_button
        self.readonly_label, self.size_slider = self.status.readonly_label, self.status.size_slider

    def _wire(self) -> None:
        qb, folders = self.query_bar, self.folders
        qb.query_changed.connect(self.run_query)
        qb.gear_clicked.connect(folders.open_folders_dialog)
        qb.help_clicked.connect(self.show_shortcuts)
        qb.problem.connect(self.status.say)
        self.side.changed.connect(self.run_query)
        self.side.changed.connect(lambda: self.sidebar.set_current(self.side.folder_combo.currentData()))
        self.side.sidebar_toggled.connect(self.sidebar.setVisible)
        self.sidebar.add_folder_clicked.connect(folders.add_folder_interactive)
        self.sidebar.manage_folders_clicked.connect(folders.open_folders_dialog)
        self.sidebar.folder_chosen.connect(self.side.set_folder)
        self.welcome.action_clicked.connect(folders.add_folder_interactive)
        self.preview.similar_requested.connect(self.find_similar)
        self.preview.reference_requested.connect(self.use_as_reference)
        self.status.pause_toggled.connect(self.set_indexing_paused)
        self.status.skipped_clicked.connect(folders.show_skipped)
        self.size_slider.valueChanged.connect(self.view.set_thumb_size)
        self.view.size_changed.connect(self.size_slider.setValue)  # Ctrl+wheel moves the size control
        self.state.updated.connect(self._library_changed)
        self.models.engine_loaded.connect(self._engine_loaded)
        self.models.engine_failed.connect(self.presenter.engine_failed)
        self.presenter.results_shown.connect(self.results_shown)
        self.models_changed_elsewhere.connect(
            self._models_changed_elsewhere, Qt.ConnectionType.QueuedConnection
        )
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(700)
        self._refresh_timer.timeout.connect(self.state.refresh)

        self.keys = Shortcuts(self, folders.add_folder_interactive)
        v = self.viewer
        self.view.viewer_requested.connect(v.open_row)
        v.row_changed.connect(self._viewer_moved)
        v.open_requested.connect(lambda p: self.actions_.open_paths([p]))
        v.show_requested.connect(self.actions_.show_in_folder)
        v.similar_requested.connect(self.find_similar)
        v.reference_requested.connect(self.use_as_reference)
        v.copy_requested.connect(lambda p: self.actions_.copy_paths([p]))
        v.help_requested.connect(self.show_shortcuts)
        v.closed.connect(self.view.setFocus)
        self.preview.view_large_requested.connect(self._view_large)
        v.total_of = self._results_total
        self.keys.act_help.triggered.connect(self.show_shortcuts)
        self.act_find, self.act_add = self.keys.act_find, self.keys.act_add

    # -- start-up: the library opens (and checks its catalog) on the library worker --------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self._open_library)

    def _open_library(self) -> None:
        from photosearch.app.language import apply_query_language

        paths = self.paths
        apply_query_language(paths)  # the query language chosen in the model manager

        self.library_tasks.submit(lambda: open_library(paths), self._library_ready, self._library_failed)

    def _library_ready(self, opened: Opened) -> None:
        lib, self.read_only, first, own = opened
        if self.closed:
            lib.close()
            return
        self.library = lib
        self.readonly_label.setVisible(self.read_only)
        if self.read_only and lib.read_only_reason:
            self.readonly_label.setText(f"Read-only: {lib.read_only_reason}; search still works")
        self.search.catalog = lib.catalog
        self.thumbs.thumbs = lib.thumbs
        self.thumbs.catalog = None if self.read_only else lib.catalog
        self.thumbs.colour_catalog = lib.catalog
        if not self.read_only:
            self.indexing = IndexingBridge(
                lib, watch=self.watch, parent=self, service_factory=self.service_factory
            )
            self.indexing.progress.connect(self._indexing_progress)
            self.indexing.changed.connect(self._schedule_refresh)
        restore_library_settings(self, own)
        self.state.attach(lib, first)
        self.library_opened.emit()
        if first.active_model is None:
            self.status.say("No search model yet")
            if self.prompt_model:
                self.models.open_model_dialog()
        else:
            self.models.load_engine()
        self.run_query()

    def _library_failed(self, e: BaseException) -> None:
        self.message.show_message("Your library could not be opened", str(e))
        self.stack.setCurrentWidget(self.message)

    @property
    def lib(self) -> Library:
        assert self.library is not None, "the library is not open yet"
        return self.library

    def _engine_loaded(self) -> None:
        eng = self.search.engine
        if eng is not None:  # the active model's name, visible in the window
            self.setWindowTitle(f"PhotoSearch — {eng.runtime.package.manifest.name}")
        self.engine_ready.emit()
        self.presenter.engine_loaded()

    # -- the library changed (summary read off the UI thread) -----------------------------------------
    def _library_changed(self, s: LibrarySummary) -> None:
        if self.closed:
            return
        self.side.set_folders(list(s.folders))
        self.sidebar.set_folders(list(s.folders), self.side.folder_combo.currentData())
        self.status.set_skipped(s.counts.get(FileStatus.ERROR, 0))
        self.status.set_indexed(s.visible)
        seen, self._visible_seen = self._visible_seen, s.visible
        self._follow_model(s)
        if not s.folders:
            self.stack.setCurrentWidget(self.welcome)
        elif self.stack.currentWidget() is self.welcome:
            self.stack.setCurrentWidget(self.view)
            self.run_query()
        elif s.visible != seen:  # photos arrived or left: the current query again, nothing retyped
            self.presenter.refresh_live()

    def _follow_model(self, s: LibrarySummary) -> None:
        """The active model changed (here, through the hand-over, or by another process): load it."""
        if s.active_model is None or self.models.loading:
            return
        eng = self.search.engine
        if eng is not None and eng.runtime.id == s.active_model:
            return
        if self.models.error and eng is None and s.active_model == self._model_failed:
            return  # it failed to load already: the message says so; don't retry on every summary
        dlg = self.models.dialog
        if dlg is not None:  # the first-run "set up a model" prompt is answered
            dlg.install_finished.emit(True, f"Using {s.active_model}")
        self._model_failed = s.active_model
        self.models.load_engine()

    def _schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def folder_added(self) -> None:
        if self.state.summary.active_model is None and self.prompt_model and self.models.dialog is None:
            self.models.open_model_dialog()

    def folder_removed(self) -> None:
        self.run_query()

    def _results_total(self) -> int:
        resp = self.presenter.current_response
        total = resp.extra.get("total") if resp is not None and resp.kind == "browse" else None
        return int(total) if total else self.model.rowCount()

    def _view_large(self, path: str) -> None:
        rows = [i for i, r in enumerate(self.model.results) if r.path == path]
        if rows:
            self.viewer.open_row(rows[0])

    def _viewer_moved(self, row: int) -> None:
        idx = self.model.index(row)
        self.view.setCurrentIndex(idx)
        self.view.scrollTo(idx)

    def show_shortcuts(self) -> None:
        from photosearch.gui.help_dialog import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.open()

    # -- what parts and tests reach through the window ---------------------------------------------
    def run_query(self) -> None:
        self.presenter.run_query()

    def find_similar(self, path: str) -> None:
        self.presenter.find_similar(path)

    def use_as_reference(self, path: str) -> None:
        self.query_bar.well.set_path(path)
        self.query_bar.field.setFocus()

    @property
    def current_request(self) -> Any:
        return self.presenter.current_request

    @property
    def current_response(self) -> SearchResponse | None:
        return self.presenter.current_response

    @property
    def model_dialog(self) -> ModelDialog | None:
        return self.models.dialog

    def open_model_manager(self) -> Any:
        """⚙ → Models…: the model manager (install, import, switch, remove)."""
        from photosearch.gui.model_manager import ModelManagerDialog

        self.model_manager = ModelManagerDialog(self, self)
        self.model_manager.open()
        return self.model_manager

    def model_changed(self) -> None:
        self.models.load_engine()  # the old engine serves until the new one is loaded

    def _models_changed_elsewhere(self, answer: dict[str, Any]) -> None:
        """Another process imported, installed or chose a model through this window's hand-over: show it."""
        if self.closed:
            return
        model_id = str(answer.get("installed") or answer.get("target") or "")
        active = answer.get("active")
        dlg = self.models.dialog
        if dlg is not None and active:  # the first-run "set up a model" prompt is answered
            dlg.install_finished.emit(True, f"Installed {model_id}")
        manager = getattr(self, "model_manager", None)
        if manager is not None and manager.isVisible():
            manager.refresh(select=model_id or None)
        if active and answer.get("chosen"):
            self.status.say(
                f"Model {model_id} is ready" if active == model_id else f"Switching to {model_id}…"
            )
            self.models.load_engine()
        elif model_id:
            self.status.say(f"Model {model_id} was added (⚙ → Models… to use it)")
        self.state.refresh()

    def act_on_message(self, action: str) -> None:
        {
            "nearest": lambda: self.stack.setCurrentWidget(self.view),
            "reset": self.side.reset,
            "add": self.folders.add_folder_interactive,
            "model": self.models.open_model_dialog,
        }.get(action, lambda: None)()

    def choose_folder(self, title: str) -> str | None:
        """A native folder dialog (tests replace this)."""
        return QFileDialog.getExistingDirectory(self, title, str(Path.home())) or None

    def choose_model_folder(self) -> str | None:
        return QFileDialog.getExistingDirectory(self, "Choose a model folder (any supported layout)") or None

    def error_box(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.open()
        self.last_error_box = box

    # -- indexing ----------------------------------------------------------------------------------
    def _indexing_progress(self, p: Progress) -> None:
        if self.closed:
            return
        self.status.show_progress(p)
        if p.errors or p.stage.finished:
            self._schedule_refresh()

    def set_indexing_paused(self, paused: bool) -> None:
        if self.indexing is not None:
            (self.indexing.pause if paused else self.indexing.resume)()

    # -- shutdown ----------------------------------------------------------------------------------
    def forget_library(self, confirm: bool = True) -> None:
        """Delete everything derived from the photos (after the person agrees), then start afresh."""
        from photosearch.gui.forget_flow import forget_library

        forget_library(self, confirm)

    def shutdown(self) -> None:
        """Stop every worker and close the library (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self.state.closed = True
        self.state.stop()
        with contextlib.suppress(RuntimeError):
            save_settings(self)
        self._refresh_timer.stop()
        self.query_bar.debounce.stop()
        if self.indexing is not None:
            self.indexing.stop()
        self.search.generation += 1
        self.thumbs.wait()
        self.search.runner.wait()
        self.tasks.wait()
        self.library_tasks.wait()
        self.preview.loader.wait()
        self.viewer.loader.wait()
        self.presenter.timeline_tasks.wait()
        self.albums.tasks.wait()
        self.query_bar.well.loader.wait()
        if getattr(self, "model_manager", None) is not None:
            self.model_manager.wait_idle()
        self.actions_.release_clipboard()
        if self.library is not None:
            self.library.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
