"""Folder watching: watchdog observers (inotify on Linux) → a debounced queue of changes.

One observer per added folder, recursive. Irrelevant files (hidden, non-images, inside hidden or system
folders) are dropped in the observer thread, before they reach the queue. The queue hands the worker
a batch once the folders have been quiet for ``debounce`` seconds (or the oldest change has waited
``max_delay``), so a burst of writes becomes one batch.

When a folder cannot be watched with events — the OS watch limit would be exceeded (inotify's
``max_user_watches``, or a forced budget: ``max_watches`` / ``PHOTOSEARCH_MAX_WATCHES``), watchdog fails
with ENOSPC, or the folder is on a network file system where events from other machines never arrive —
the watcher says so and the service polls that folder instead.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from photosearch.config import setting_int
from photosearch.library.folders import excluded_path
from photosearch.library.scan import skip_dir, skip_file
from photosearch.paths import path_inside
from photosearch.store.catalog import FolderRow

log = logging.getLogger(__name__)

ENV_MAX_WATCHES = "PHOTOSEARCH_MAX_WATCHES"
# File systems where inotify events from other clients don't arrive (or arrive unreliably).
NETWORK_FS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "sshfs",
        "fuse.sshfs",
        "9p",
        "afs",
        "ncpfs",
        "fuse.rclone",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "davfs",
        "fuse.davfs2",
        "ceph",
        "fuse.ceph",
        "glusterfs",
        "fuse.glusterfs",
        "lustre",
        "gpfs",
        "beegfs",
        "virtiofs",
        "fuse.vmhgfs-fuse",
        "vboxsf",
        "drvfs",
    }
)


@dataclass(frozen=True)
class Change:
    """One file-system change, already filtered for relevance.

    kind: "created" | "modified" | "closed" (written and closed) | "deleted" | "moved" (``dest`` set) |
    "moved_in" (arrived complete from outside the watched tree).
    """

    kind: str
    path: str
    is_dir: bool
    folder_id: int
    dest: str | None = None
    at: float = field(default_factory=time.monotonic)


def _inside(path: str, root: str) -> bool:
    return path_inside(path, root)


def relevant_path(path: str, root: str, is_dir: bool) -> bool:
    """False for paths the library never holds: hidden or non-image files, anything in hidden/system folders."""
    if not _inside(path, root):
        return False
    rel = path[len(root) :].strip(os.sep)
    if not rel:
        return is_dir
    parts = rel.split(os.sep)
    if any(skip_dir(p) for p in parts[:-1]):
        return False
    if not (not skip_dir(parts[-1]) if is_dir else not skip_file(parts[-1])):
        return False
    # data, venv, cache and system folders, and the folder's own exclusion list (by content, cached)
    return excluded_path(path, root, is_dir) is None


class ChangeQueue:
    """Thread-safe, debounced. ``put`` from observer threads; ``take_ready`` from the worker."""

    def __init__(
        self, debounce: float = 0.5, max_delay: float = 2.0, on_put: Callable[[], None] | None = None
    ) -> None:
        self.debounce = debounce
        self.max_delay = max(max_delay, debounce)
        self.on_put = on_put
        self._items: list[Change] = []
        self._lock = threading.Lock()
        self._last = 0.0
        self.total = 0  # changes ever queued (tests and benchmarks read it)

    def put(self, change: Change) -> None:
        with self._lock:
            self._items.append(change)
            self._last = change.at
            self.total += 1
        if self.on_put is not None:
            self.on_put()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def due(self) -> float | None:
        """Monotonic time when the queued changes become ready (None when empty)."""
        with self._lock:
            if not self._items:
                return None
            return min(self._last + self.debounce, self._items[0].at + self.max_delay)

    def take_ready(self, now: float | None = None) -> list[Change]:
        now = time.monotonic() if now is None else now
        with self._lock:
            if not self._items:
                return []
            if now < min(self._last + self.debounce, self._items[0].at + self.max_delay):
                return []
            items, self._items = self._items, []
            return items

    def clear(self) -> None:
        with self._lock:
            self._items = []


def _handler_class() -> type[Any]:  # watchdog is imported lazily
    from watchdog.events import (
        DirCreatedEvent,
        DirDeletedEvent,
        DirMovedEvent,
        FileAttribEvent,
        FileClosedEvent,
        FileCreatedEvent,
        FileDeletedEvent,
        FileModifiedEvent,
        FileMovedEvent,
        FileSystemEvent,
        FileSystemEventHandler,
    )

    kinds: dict[type, str] = {
        FileCreatedEvent: "created",
        FileModifiedEvent: "modified",
        FileAttribEvent: "modified",
        FileClosedEvent: "closed",
        FileDeletedEvent: "deleted",
        FileMovedEvent: "moved",
        DirCreatedEvent: "created",
        DirDeletedEvent: "deleted",
        DirMovedEvent: "moved",
    }

    class Handler(FileSystemEventHandler):
        def __init__(
            self, folder: FolderRow, queue: ChangeQueue, on_dir: Callable[[int, str, int], None] | None
        ) -> None:
            self.folder = folder
            self.root = folder.path
            self.queue = queue
            self.on_dir = on_dir

        def dispatch(self, event: FileSystemEvent) -> None:
            kind = kinds.get(type(event))
            if kind is None or event.is_synthetic:
                # synthetic: one per file inside a moved directory; the directory's own event covers them
                return
            src = os.fsdecode(event.src_path)
            is_dir = event.is_directory
            if kind == "moved":
                dest = os.fsdecode(event.dest_path)
                if not src:  # moved in from an unwatched place: a complete file (or tree)
                    if relevant_path(dest, self.root, is_dir):
                        self.queue.put(Change("moved_in", dest, is_dir, self.folder.id))
                    return
                if not dest:  # moved out to an unwatched place
                    if relevant_path(src, self.root, is_dir) or (is_dir and src == self.root):
                        self.queue.put(Change("deleted", src, is_dir, self.folder.id))
                    return
                src_ok = relevant_path(src, self.root, is_dir)
                dest_ok = relevant_path(dest, self.root, is_dir) or not _inside(dest, self.root)
                if src_ok and dest_ok:
                    self.queue.put(Change("moved", src, is_dir, self.folder.id, dest))
                elif src_ok:  # renamed to something we don't keep (e.g. ".jpg.bak")
                    self.queue.put(Change("deleted", src, is_dir, self.folder.id))
                elif relevant_path(dest, self.root, is_dir):  # e.g. "x.jpg.part" → "x.jpg": finished writing
                    self.queue.put(
                        Change("closed" if not is_dir else "created", dest, is_dir, self.folder.id)
                    )
                return
            if is_dir and self.on_dir is not None and kind in ("created", "deleted"):
                self.on_dir(self.folder.id, src, 1 if kind == "created" else -1)
            if src == self.root and is_dir and kind == "deleted":
                self.queue.put(Change("deleted", src, True, self.folder.id))
                return
            if relevant_path(src, self.root, is_dir):
                self.queue.put(Change(kind, src, is_dir, self.folder.id))

    return Handler


EVENT_FILTER_NAMES = (
    "FileCreatedEvent",
    "FileModifiedEvent",
    "FileAttribEvent",
    "FileClosedEvent",
    "FileDeletedEvent",
    "FileMovedEvent",
    "DirCreatedEvent",
    "DirDeletedEvent",
    "DirMovedEvent",
)


# -- file systems and watch limits ----------------------------------------------------------------------
def _unescape_mount(s: str) -> str:
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def filesystem_type(path: str, mounts_file: str = "/proc/mounts") -> str | None:
    """The file-system type of the mount holding ``path`` (None when unknown)."""
    real = os.path.realpath(path)
    best: tuple[int, str] | None = None
    try:
        with open(mounts_file, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt, fstype = _unescape_mount(parts[1]), parts[2]
                if _inside(real, mnt) or mnt == "/":
                    if best is None or len(mnt) >= best[0]:
                        best = (len(mnt), fstype)
    except OSError:
        return None
    return best[1] if best else None


def is_network_fs(fstype: str | None) -> bool:
    if not fstype:
        return False
    return (
        fstype in NETWORK_FS
        or fstype.split(".")[-1] in NETWORK_FS
        or fstype.startswith(("nfs", "smb", "cifs"))
    )


def count_dirs(root: str) -> int:
    """Directories under ``root`` (itself included): one inotify watch each."""
    n = 0
    stack = [root]
    while stack:
        d = stack.pop()
        n += 1
        with contextlib.suppress(OSError), os.scandir(d) as it:
            for e in it:
                with contextlib.suppress(OSError):
                    if e.is_dir(follow_symlinks=False):
                        stack.append(e.path)
    return n


def system_watch_limit() -> int | None:
    try:
        with open("/proc/sys/fs/inotify/max_user_watches") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def watch_budget(max_watches: int | None = None) -> int | None:
    """How many directory watches this process may use: the argument, else ``PHOTOSEARCH_MAX_WATCHES``,
    else most of the system limit (other programs use watches too)."""
    if max_watches is not None:
        return max_watches
    env = setting_int(ENV_MAX_WATCHES)
    if env is not None:
        return env
    sys_limit = system_watch_limit()
    return int(sys_limit * 0.8) if sys_limit else None


@dataclass
class WatchState:
    folder: FolderRow
    mode: str  # "events" | "polling"
    note: str | None
    dirs: int = 0
    observer: object | None = None


class FolderWatcher:
    """Keeps one watchdog observer per folder; decides when a folder must be polled instead."""

    def __init__(
        self,
        queue: ChangeQueue,
        *,
        max_watches: int | None = None,
        mounts_file: str = "/proc/mounts",
        poll_interval: float = 5.0,
    ) -> None:
        self.queue = queue
        self.budget = watch_budget(max_watches)
        self.mounts_file = mounts_file
        self.poll_interval = poll_interval
        self.states: dict[int, WatchState] = {}
        self._lock = threading.RLock()
        self.over_budget = threading.Event()  # set when new sub-folders push a watched folder over the budget

    @property
    def used(self) -> int:
        with self._lock:
            return sum(s.dirs for s in self.states.values() if s.mode == "events")

    def _polling(self, folder: FolderRow, note: str) -> WatchState:
        log.info("folder %s: %s", folder.path, note)
        st = WatchState(folder, "polling", note)
        self.states[folder.id] = st
        return st

    def watch(self, folder: FolderRow) -> WatchState:
        """Start watching (or decide to poll) a folder whose root exists."""
        with self._lock:
            old = self.states.get(folder.id)
            if old is not None:
                if old.folder.path == folder.path:
                    return old
                self.unwatch(folder.id)
            every = f"checked every {self.poll_interval:g} s"
            fstype = filesystem_type(folder.path, self.mounts_file)
            if is_network_fs(fstype):
                return self._polling(folder, f"network share ({fstype}): changes are {every}")
            dirs = count_dirs(folder.path)
            if self.budget is not None and self.used + dirs > self.budget:
                return self._polling(
                    folder,
                    f"too many sub-folders to watch ({self.used + dirs:,} > limit "
                    f"{self.budget:,}): changes are {every}",
                )
            try:
                observer = self._start_observer(folder)
            except OSError as e:
                if e.errno == errno.ENOSPC:
                    return self._polling(
                        folder, f"the system's folder-watch limit is reached: changes are {every}"
                    )
                return self._polling(
                    folder, f"cannot watch this folder ({e.strerror or e}): changes are {every}"
                )
            st = WatchState(folder, "events", None, dirs, observer)
            self.states[folder.id] = st
            return st

    def _start_observer(self, folder: FolderRow) -> object:
        import watchdog.events as we
        from watchdog.observers import Observer

        try:
            # full events: a move in from (or out to) an unwatched place stays a move, so a file that
            # arrives complete is not mistaken for one still being written
            observer = Observer(generate_full_events=True)  # type: ignore[call-arg]
        except TypeError:
            observer = Observer()
        observer.name = f"watch:{os.path.basename(folder.path) or folder.path}"
        handler = _handler_class()(folder, self.queue, self._on_dir)
        event_filter = [getattr(we, n) for n in EVENT_FILTER_NAMES if hasattr(we, n)]
        try:
            observer.schedule(handler, folder.path, recursive=True, event_filter=event_filter)
            observer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                observer.stop()
            raise
        return observer

    def _on_dir(self, folder_id: int, path: str, delta: int) -> None:
        with self._lock:
            st = self.states.get(folder_id)
            if st is None or st.mode != "events":
                return
            st.dirs += delta
            if self.budget is not None and delta > 0 and self.used > self.budget:
                self.over_budget.set()

    def demote_over_budget(self) -> list[WatchState]:
        """Switch folders to polling while the watches in use exceed the budget (largest first)."""
        out: list[WatchState] = []
        with self._lock:
            self.over_budget.clear()
            while self.budget is not None and self.used > self.budget:
                events = [s for s in self.states.values() if s.mode == "events"]
                if not events:
                    break
                st = max(events, key=lambda s: s.dirs)
                self._stop(st)
                new = self._polling(
                    st.folder,
                    f"too many sub-folders to watch (limit {self.budget:,}): changes are "
                    f"checked every {self.poll_interval:g} s",
                )
                out.append(new)
        return out

    def _stop(self, st: WatchState) -> None:
        obs = st.observer
        st.observer = None
        if obs is not None:
            with contextlib.suppress(Exception):
                obs.stop()  # type: ignore[attr-defined]
            with contextlib.suppress(Exception):
                obs.join(timeout=5)  # type: ignore[attr-defined]

    def unwatch(self, folder_id: int) -> None:
        with self._lock:
            st = self.states.pop(folder_id, None)
        if st is not None:
            self._stop(st)

    def mode(self, folder_id: int) -> str | None:
        st = self.states.get(folder_id)
        return st.mode if st else None

    def close(self) -> None:
        with self._lock:
            ids = list(self.states)
        for i in ids:
            self.unwatch(i)


class OverflowHook(logging.Handler):
    """Calls back when watchdog reports that the kernel's event queue overflowed (events were lost)."""

    LOGGERS = ("watchdog.observers.inotify_c", "watchdog.observers.inotify")

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self.callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            with contextlib.suppress(Exception):
                self.callback()

    def install(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addHandler(self)

    def remove(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)
