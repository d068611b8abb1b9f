"""What the window shows about the library (folders, counts, the active model, skipped files), read on a
worker thread whenever something changed: the UI thread never waits on the catalog."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from photosearch.app.status import LibrarySummary, change_stamp, summary
from photosearch.gui.workers import TaskRunner
from photosearch.library.library import Library


class LibraryState(QObject):
    """The latest ``LibrarySummary``; ``refresh()`` reads a new one off the UI thread (requests that arrive
    while one is being read are folded into one more read); ``updated`` carries it to the UI thread."""

    updated = Signal(LibrarySummary)
    CHECK_MS = 1000  # how often the library is checked for changes made by other processes

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.library: Library | None = None
        self.summary = LibrarySummary()
        self.loaded = False  # a summary of the open library has arrived
        self._reading = False
        self._again = False
        self.closed = False
        self._stamp: tuple[object, ...] | None = None
        self._checking = False
        self._timer = QTimer(self)
        self._timer.setInterval(self.CHECK_MS)
        self._timer.timeout.connect(self._check)

    def attach(self, lib: Library, first: LibrarySummary | None = None) -> None:
        self.library = lib
        if first is not None:
            self._arrived(first)
        self._timer.start()

    # -- changes by other processes (a model copied into models/, a CLI run without a hand-over): a few
    # stat calls on the library worker each second; a new summary only when they differ
    def _check(self) -> None:
        lib = self.library
        if lib is None or self.closed:
            self._timer.stop()
            return
        if self._checking:
            return
        self._checking = True
        self.runner.submit(lambda: change_stamp(lib), self._checked, self._check_failed)

    def _checked(self, stamp: tuple[object, ...]) -> None:
        self._checking = False
        if self.closed:
            return
        if stamp != self._stamp:  # the first time too: a change may have come after the first summary
            self.refresh()
        self._stamp = stamp

    def _check_failed(self, _e: BaseException) -> None:
        self._checking = False

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        lib = self.library
        if lib is None or self.closed:
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        self.runner.submit(lambda: summary(lib), self._arrived, self._failed)

    def _arrived(self, s: LibrarySummary) -> None:
        self._reading = False
        if self.closed:
            return
        self.summary = s
        self.loaded = True
        self.updated.emit(s)
        if self._again:
            self._again = False
            self.refresh()

    def _failed(self, _e: BaseException) -> None:
        self._reading = False
        if self._again and not self.closed:
            self._again = False
            self.refresh()
