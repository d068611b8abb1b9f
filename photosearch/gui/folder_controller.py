"""The folder verbs of the window (add, remove, pause; the folders and skipped-files dialogs). The work runs
through ``photosearch.app.folders`` on the library worker thread; the lists come from ``LibraryState``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from photosearch.app import folders as folder_verbs
from photosearch.errors import ConfirmationNeeded, FolderRefused, PhotoSearchError
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

    def set_folder_read_text(self, path: str, on: bool) -> None: ...


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
        self.confirm_box: QMessageBox | None = (
            None  # "Add this whole folder?" (a disk, a home, a system folder)
        )
        state.updated.connect(self._state_updated)

    def folders(self) -> list[FolderRow]:
        return list(self.state.summary.folders)

    def add_folder_interactive(self) -> None:
        path = self.host.choose_folder("Add a folder of photos")
        if path:
            self.add_folder(path)

    def add_folder(self, path: str, *, confirm: bool = False) -> None:
        """Add a folder; a disk's root, a home or a system folder is added only after the person says yes to
        a box that tells what it would scan (the estimate is sampled, bounded in time, on the worker)."""

        def after() -> None:
            self.host.status.say(f"Added {path}")
            self.host.folder_added()

        def needs_yes(e: BaseException) -> bool:
            if isinstance(e, FolderRefused) and "already covered" in str(e):  # not a failure: it is there
                self.host.error_box("This folder is already in your library", str(e))
                return True
            if not isinstance(e, ConfirmationNeeded):
                return False
            self.ask_to_add(path, e)
            return True

        self._change(
            lambda lib, svc: folder_verbs.add_folder(lib, path, svc, confirm=confirm),
            "Can't add this folder",
            after,
            refused="Another PhotoSearch is indexing this library; add folders there or close it first.",
            on_error=needs_yes,
        )

    def ask_to_add(self, path: str, e: ConfirmationNeeded) -> QMessageBox:
        message = str(e)
        reason, sep, _rest = message.partition(". Adding it would scan")
        est = getattr(e.estimate, "text", None)
        if sep and callable(est):
            body = f"{reason}.\n\nAdding it would look through {est()}.\n\nAdd it anyway?"
        else:
            body = f"{message}\n\nAdd it anyway?"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Add this whole folder?",
            body,
            QMessageBox.StandardButton.Cancel,
            self.parent_widget,
        )
        yes = box.addButton("Add anyway", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered() -> None:
            self.confirm_box = None
            if box.clickedButton() is yes:
                self.add_folder(path, confirm=True)
            else:
                self.host.status.say(f"Not added: {path}")

        box.finished.connect(lambda _r: answered())
        self.confirm_box = box
        box.open()
        return box

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

    def set_folder_read_text(self, path: str, on: bool) -> None:
        """Reading the text in a folder's photos on or off (the second indexing pass)."""
        self._change(
            lambda lib, svc: folder_verbs.set_folder_read_text(lib, path, on, svc),
            "Can't change this folder",
            lambda: None,
        )

    def _change(
        self,
        verb: Callable[[Library, Any], object],
        failure: str,
        after: Callable[[], None],
        refused: str = "",
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> None:
        """Run a folder verb on the library worker (through the running indexing service, if any), then read
        the library summary again; a refusal or an error is shown in a box (unless ``on_error`` takes it)."""
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
            if on_error is not None and on_error(e):
                return
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
