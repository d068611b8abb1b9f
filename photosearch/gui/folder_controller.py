"""The folder verbs of the window (add, remove, pause; the folders and skipped-files dialogs). The work runs
through ``photosearch.app.folders`` on the library worker thread; the lists come from ``LibraryState``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject

from photosearch.app import folders as folder_verbs
from photosearch.errors import PhotoSearchError
from photosearch.gui.library_dialog import FoldersDialog, SkippedDialog
from photosearch.gui.library_state import LibraryState
from photosearch.gui.workers import IndexingBridge, TaskRunner
from photosearch.store.catalog import FolderRow

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from photosearch.gui.status_area import StatusArea
    from photosearch.library.library import Library


class FolderActions(Protocol):
    """What the folders dialog needs."""

    def folders(self) -> list[FolderRow]: ...

    def add_folder_interactive(self) -> None: ...

    def remove_folder(self, path: str) -> None: ...

    def set_folder_paused(self, path: str, paused: bool) -> None: ...


class FolderHost(Protocol):
    """What the controller needs of the window."""

    library: Library | None
    indexing: IndexingBridge | None
    status: StatusArea

    def choose_folder(self, title: str) -> str | None: ...

    def error_box(self, title: str, text: str) -> None: ...

    def folder_added(self) -> None: ...

    def folder_removed(self) -> None: ...


class FolderController(QObject):
    def __init__(self, host: FolderHost, state: LibraryState, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self.state = state
        self.runner = runner
        self.parent_widget = parent
        self.folders_dialog: FoldersDialog | None = None
        self.skipped_dialog: SkippedDialog | None = None
        state.updated.connect(self._state_updated)

    def folders(self) -> list[FolderRow]:
        return list(self.state.summary.folders)

    def add_folder_interactive(self) -> None:
        path = self.host.choose_folder("Add a folder of photos")
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        def after() -> None:
            self.host.status.say(f"Added {path}")
            self.host.folder_added()

        self._change(
            lambda lib, svc: folder_verbs.add_folder(lib, path, svc),
            "Can't add this folder",
            after,
            refused="Another PhotoSearch is indexing this library; add folders there or close it first.",
        )

    def remove_folder(self, path: str) -> None:
        self._change(
            lambda lib, svc: folder_verbs.remove_folder(lib, path, svc),
            "Can't remove this folder",
            self.host.folder_removed,
        )

    def set_folder_paused(self, path: str, paused: bool) -> None:
        self._change(
            lambda lib, svc: folder_verbs.set_folder_paused(lib, path, paused, svc),
            "Can't change this folder",
            lambda: None,
        )

    def _change(
        self,
        verb: Callable[[Library, Any], object],
        failure: str,
        after: Callable[[], None],
        refused: str = "",
    ) -> None:
        """Run a folder verb on the library worker (through the running indexing service, if any), then read
        the library summary again; a refusal or an error is shown in a box."""
        lib, bridge = self.host.library, self.host.indexing
        if lib is None or bridge is None:  # read-only: another process writes
            if refused:
                self.host.error_box(failure.replace("this folder", "a folder") + " now", refused)
            return
        service = bridge.service  # told even before it starts: it then picks the change up when it does

        def done(_r: object) -> None:
            self.state.refresh()
            after()

        def failed(e: BaseException) -> None:
            self.host.error_box(
                failure, str(e) if isinstance(e, PhotoSearchError) else f"{type(e).__name__}: {e}"
            )

        self.runner.submit(lambda: verb(lib, service), done, failed)

    # -- dialogs ------------------------------------------------------------------------------------
    def open_folders_dialog(self) -> FoldersDialog:
        dlg = FoldersDialog(self, self.parent_widget)
        dlg.open()
        self.folders_dialog = dlg
        return dlg

    def open_model_manager(self) -> Any:
        """The folders dialog's "Models…" button."""
        return self.host.open_model_manager()  # type: ignore[attr-defined]

    def forget_library(self) -> None:
        """The folders dialog's "Forget this library…" button."""
        self.host.forget_library()  # type: ignore[attr-defined]

    def show_skipped(self) -> SkippedDialog:
        dlg = SkippedDialog(list(self.state.summary.skipped), self.parent_widget)
        dlg.open()
        self.skipped_dialog = dlg
        return dlg

    def _state_updated(self) -> None:
        dlg = self.folders_dialog
        if dlg is not None and dlg.isVisible():
            dlg.refresh()
