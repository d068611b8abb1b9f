"""The indexing service: one background worker that keeps the catalog in line with the added folders.

Qt-free; the CLI (``photosearch watch``) and the GUI both run it. It holds the writer lock (the library
must be opened with ``write=True``) and, on its worker thread (at lowered CPU priority):

1. reconciles every folder with the disk at start (and on ``request_scan``), catching changes made
   while nothing was running;
2. applies watched changes (``photosearch.library.watch``) in debounced batches: renames and moves
   re-point rows (``Catalog.move_file`` / ``move_tree``, no encoder run), new and changed files are
   hashed and queued, deleted ones leave the catalog at once (so they leave results at once);
   a file still being written is retried until its size and mtime are stable;
3. embeds pending photos with :class:`~photosearch.indexing.pipeline.Indexer` — new photos before
   re-embeds, stopping between batches whenever changes arrive, so a new photo never waits for a
   long backlog;
4. polls folders that can't be watched with events (watch limit, network shares), checks offline
   roots every few seconds (their photos are hidden, not deleted, and come back without re-embedding),
   cleans orphans and saves the vector index every ``save_interval`` seconds, not after every photo.

Progress (:class:`~photosearch.progress.Progress`) and change notifications are called on the worker
thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from photosearch.errors import ModelNotInstalled, PhotoSearchError
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.library.scan import (
    DiskEntry,
    ScanReport,
    content_hash,
    reconcile_folder,
    register_file,
    walk,
)
from photosearch.library.watch import (
    Change,
    ChangeQueue,
    FolderWatcher,
    OverflowHook,
    relevant_path,
)
from photosearch.progress import Progress, RateMeter, WorkControl
from photosearch.store.catalog import FileRow, FolderRow

log = logging.getLogger(__name__)

NICE_INCREMENT = 10


def lower_thread_priority(increment: int = NICE_INCREMENT) -> int | None:
    """Raise the nice value of the calling thread only (Linux: priorities are per thread, and threads it
    creates later — decode pool, ONNX Runtime's pool — inherit it). Returns the new nice value."""
    try:
        tid = threading.get_native_id()
        cur = os.getpriority(os.PRIO_PROCESS, tid)
        new = min(19, cur + increment)
        os.setpriority(os.PRIO_PROCESS, tid, new)
        return new
    except (OSError, AttributeError) as e:  # not Linux, or not allowed
        log.debug("cannot lower the worker's priority: %s", e)
        return None


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


TRANSIENT_ERRORS = ("file disappeared", "cannot read")


def _retry_error(row: FileRow) -> bool:
    """An error row worth another try when its file is touched again: it could not be read at all
    (no hash), or it vanished / failed to read mid-way (e.g. renamed while being indexed)."""
    return row.status == "error" and (row.content_hash is None or (row.error or "").startswith(TRANSIENT_ERRORS))


class IndexingService:
    """See the module docstring. All public methods are thread-safe."""

    def __init__(self, library: Library, *, watch: bool = True,
                 on_progress: Callable[[Progress], None] | None = None,
                 on_change: Callable[[], None] | None = None,
                 debounce: float = 0.5, poll_interval: float = 5.0,
                 max_watches: int | None = None, mounts_file: str = "/proc/mounts",
                 offline_check_interval: float = 2.0, save_interval: float = 10.0, gc_delay: float = 1.0,
                 batch_size: int = 16, nice: int = NICE_INCREMENT) -> None:
        if not library.writable:
            raise PhotoSearchError("the indexing service needs the library opened for writing")
        self.library = library
        self.catalog = library.catalog
        self.watch_enabled = watch
        self.on_progress = on_progress
        self.on_change = on_change
        self.debounce = debounce
        self.poll_interval = poll_interval
        self.offline_check_interval = offline_check_interval
        self.save_interval = save_interval
        self.gc_delay = gc_delay
        self.nice = nice
        self.indexer = Indexer(library, batch_size=batch_size, save_interval=save_interval)
        self.queue = ChangeQueue(debounce, max_delay=max(4 * debounce, 2.0), on_put=self._wake)
        self.watcher = FolderWatcher(self.queue, max_watches=max_watches, mounts_file=mounts_file,
                                     poll_interval=poll_interval)
        self._overflow = OverflowHook(lambda: self.request_scan(None))

        self._cv = threading.Condition()
        self._work_lock = threading.RLock()  # held by the worker while it changes the catalog
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._paused = False
        self._cancel = False
        self._control: WorkControl | None = None
        self._idle = False
        self._busy = False
        self._scan_requests: set[int | None] = set()
        self._folders_dirty = True
        self._retry: dict[str, float] = {}  # path → monotonic due time (file still being written)
        # path → (size, mtime_ns, since) of a file seen while possibly still being written
        self._observed: dict[str, tuple[int, int, float]] = {}
        self._reembed: set[int] = set()  # file ids whose content changed (embedded after new photos)
        self._deferred: set[int] = set()  # file ids of a cancelled run (until the next request_scan)
        self._verify: dict[int, float] = {}  # folder id → due time of a check scan after heavy churn
        self._next_poll: dict[int, float] = {}
        self._next_root_check = 0.0
        self._gc_due: float | None = None
        self._last_save = time.monotonic()
        self._folders: list[FolderRow] = []
        self._progress = Progress("idle", message="not started")
        self._meter = RateMeter()
        self._session_done = 0
        self._session_errors = 0
        self.encoded = 0  # images run through the model by this service
        self.errors = 0  # files that could not be indexed, so far
        self.worker_nice: int | None = None
        self.stats: dict[str, int] = {"batches": 0, "changes": 0, "moved": 0, "registered": 0, "deleted": 0,
                                      "retries": 0, "polls": 0, "scans": 0}

    # -- public API ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Reconcile all folders, then embed, then keep watching (on a background thread)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._overflow.install()
        with self._cv:
            self._scan_requests.add(None)
            self._idle = False
        self._thread = threading.Thread(target=self._run, name="photosearch-indexer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop the worker and every observer; join all threads it started; save the index."""
        self._stopping.set()
        ctl = self._control
        if ctl is not None:
            ctl.cancel()
        self._wake()
        t = self._thread
        if t is not None:
            t.join(timeout)
            if t.is_alive():
                log.warning("the indexing worker did not stop within %.0f s", timeout)
        self._thread = None
        self.watcher.close()
        self._overflow.remove()

    def pause(self) -> None:
        with self._cv:
            self._paused = True
            self._cv.notify_all()
        self._emit(Progress("embedding" if self._busy else "idle", self._session_done, self._progress.total,
                            paused=True, errors=self.errors, encoded=self.encoded, message="paused"))

    def resume(self) -> None:
        with self._cv:
            self._paused = False
        self._wake()

    @property
    def paused(self) -> bool:
        return self._paused

    def cancel_current(self) -> None:
        """Stop the current scan or embedding run. Photos it had not reached stay pending until the next
        ``request_scan`` (new changes are still handled)."""
        with self._cv:
            self._cancel = True
            ctl = self._control
        if ctl is not None:
            ctl.cancel()
        self._wake()

    def request_scan(self, folder_id: int | None = None) -> None:
        """Reconcile one folder (or all) with the disk soon; also brings back work a cancel deferred."""
        with self._cv:
            self._scan_requests.add(folder_id)
            self._deferred.clear()
            self._idle = False
            self._cv.notify_all()

    def add_folder(self, path: str | Path, *, confirm: bool = False) -> FolderRow:
        with self._work_lock:
            row = self.library.add_folder(path, confirm=confirm)
        with self._cv:
            self._folders_dirty = True
        self.request_scan(row.id)
        return row

    def remove_folder(self, path: str | Path) -> None:
        with self._work_lock:
            self.library.remove_folder(path)
        with self._cv:
            self._folders_dirty = True
            self._gc_due = time.monotonic()
            self._idle = False
            self._cv.notify_all()
        self._changed()

    def set_folder_paused(self, path: str | Path, paused: bool) -> None:
        with self._work_lock:
            self.library.set_folder_paused(path, paused)
            row = self.catalog.folder_by_path(os.path.normpath(os.path.abspath(os.path.expanduser(str(path)))))
        with self._cv:
            self._folders_dirty = True
        if not paused and row is not None:
            self.request_scan(row.id)
        else:
            self._wake()

    @property
    def progress(self) -> Progress:
        return self._progress

    @property
    def idle(self) -> bool:
        with self._cv:
            return self._idle and len(self.queue) == 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """True when nothing is queued or running (changes not yet reported by the OS can't be known)."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while not (self._idle and len(self.queue) == 0):
                left = deadline - time.monotonic()
                if left <= 0 or not self.running:
                    return self._idle and len(self.queue) == 0
                self._cv.wait(min(left, 0.5))
            return True

    def watch_modes(self) -> dict[str, tuple[str, str | None]]:
        """{folder path: (mode "events" | "polling", note)} for the folders being watched."""
        return {s.folder.path: (s.mode, s.note) for s in list(self.watcher.states.values())}

    # -- worker -------------------------------------------------------------------------------------
    def _wake(self) -> None:
        with self._cv:
            self._idle = False
            self._cv.notify_all()

    def _emit(self, p: Progress) -> None:
        self._progress = p
        if self.on_progress is not None:
            try:
                self.on_progress(p)
            except Exception:  # noqa: BLE001 - a broken listener never stops indexing
                log.exception("progress listener failed")

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:  # noqa: BLE001
                log.exception("change listener failed")

    def _model_id(self) -> str | None:
        return self.library.active_model_id()

    def _run(self) -> None:
        self.worker_nice = lower_thread_priority(self.nice) if self.nice else None
        self._load_model_here()
        failures = 0
        try:
            while not self._stopping.is_set():
                try:
                    did = self._step()
                    failures = 0
                except Exception as e:  # noqa: BLE001 - the service keeps running; the error is logged
                    failures += 1
                    log.exception("indexing service step failed")
                    self._emit(Progress("error", message=str(e), errors=self.errors, encoded=self.encoded))
                    did = False
                    self._stopping.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))
                if not did:
                    self._wait()
        finally:
            self.watcher.close()
            with contextlib.suppress(Exception):
                self._save(force=True)
            self._emit(Progress("stopped", self._session_done, self._progress.total, errors=self.errors,
                                encoded=self.encoded, message="stopped"))
            with self._cv:
                self._idle = False
                self._cv.notify_all()

    def _load_model_here(self) -> None:
        """Create the image encoder's ONNX session on this (low-priority) thread, so its thread pool
        inherits the priority. No-op when no model is installed or it is already loaded."""
        try:
            rt = self.library.runtime()
            if not rt.image._session.loaded:  # noqa: SLF001
                rt.image.load()
        except PhotoSearchError as e:
            log.info("no model to index with yet: %s", e)

    def _wait(self) -> None:
        now = time.monotonic()
        dues = [self._next_root_check]
        q = self.queue.due()
        if q is not None:
            dues.append(q)
        if self._retry:
            dues.append(min(self._retry.values()))
        dues += list(self._next_poll.values()) + list(self._verify.values())
        if self._gc_due is not None:
            dues.append(self._gc_due)
        if self.indexer.library.open_index_if_loaded(self._model_id() or "") is not None:
            dues.append(self._last_save + self.save_interval)
        timeout = max(0.01, min(dues) - now) if dues else 1.0
        with self._cv:
            if self._stopping.is_set():
                return
            qdue = self.queue.due()
            work_waiting = bool(self._scan_requests) or self._folders_dirty or (
                qdue is not None and qdue <= time.monotonic())
            if work_waiting:
                return
            idle = not self._retry and len(self.queue) == 0 and not self._verify and not self._scan_requests
            if idle and not self._idle:
                self._idle = True
                self._cv.notify_all()
                self._emit(Progress("idle", self._session_done, self._session_done, errors=self.errors,
                                    encoded=self.encoded, paused=self._paused,
                                    message="paused" if self._paused and self._has_pending() else "up to date"))
                self._session_done = 0
                self._meter = RateMeter()
            self._cv.wait(timeout)

    def _step(self) -> bool:
        """One unit of work; False when there was nothing to do."""
        did = self._step_inner()
        if did:
            with self._cv:
                self._idle = False
        return did

    def _step_inner(self) -> bool:
        now = time.monotonic()
        with self._cv:
            folders_dirty, self._folders_dirty = self._folders_dirty, False
            cancel, self._cancel = self._cancel, False
        if cancel:
            pass  # nothing running between steps: a cancel only matters to the run it interrupts
        if folders_dirty:
            with self._work_lock:
                self._sync_folders()
            return True
        if self.watcher.over_budget.is_set():
            for st in self.watcher.demote_over_budget():
                self.catalog.set_folder_watch(st.folder.id, "polling", st.note)
                self._next_poll[st.folder.id] = now
            return True
        if now >= self._next_root_check:
            self._next_root_check = now + self.offline_check_interval
            with self._work_lock:
                if self._check_roots():
                    return True
        batch = self.queue.take_ready(now)
        if batch:
            with self._work_lock:
                self._process_changes(batch)
            return True
        due = [p for p, t in self._retry.items() if t <= now]
        if due:
            for p in due:
                del self._retry[p]
            self.stats["retries"] += len(due)
            with self._work_lock:
                self._resolve({p: False for p in due}, [], set())
            return True
        with self._cv:
            requests = set(self._scan_requests)
            self._scan_requests.clear()
        if requests:
            self._scan(None if None in requests else {r for r in requests if r is not None})
            return True
        polls = [fid for fid, t in self._next_poll.items() if t <= now]
        verify = [fid for fid, t in self._verify.items() if t <= now and (self.queue.due() is None)]
        if polls or verify:
            for fid in polls:
                self._next_poll[fid] = now + self.poll_interval
                self.stats["polls"] += 1
            for fid in verify:
                del self._verify[fid]
            self._scan(set(polls) | set(verify), quiet=True)
            return True
        if self._gc_due is not None and now >= self._gc_due and not self._retry and len(self.queue) == 0:
            self._gc_due = None
            with self._work_lock:
                emb, thumbs = self.indexer.collect_garbage()
            log.debug("removed %d unused embeddings and %d thumbnails", emb, thumbs)
            return True
        if not self._paused and self._embed():
            return True
        if now - self._last_save >= self.save_interval:
            self._save()
        return False

    # -- folders ------------------------------------------------------------------------------------
    def _sync_folders(self) -> None:
        rows = self.catalog.folders()
        self._folders = rows
        ids = {f.id for f in rows}
        for fid in list(self.watcher.states):
            st = self.watcher.states[fid]
            row = next((f for f in rows if f.id == fid), None)
            if row is None or row.state != "online" or row.path != st.folder.path:
                self.watcher.unwatch(fid)
                self._next_poll.pop(fid, None)
        for fid in list(self._next_poll):
            if fid not in ids:
                del self._next_poll[fid]
        if not self.watch_enabled:
            return
        for f in rows:
            if f.state == "online" and f.id not in self.watcher.states and os.path.isdir(f.path):
                self._watch(f)

    def _watch(self, f: FolderRow) -> None:
        st = self.watcher.watch(f)
        if st.mode == "polling":
            self._next_poll[f.id] = time.monotonic() + self.poll_interval
        else:
            self._next_poll.pop(f.id, None)
        if (f.watch_mode, f.watch_note) != (st.mode, st.note):
            self.catalog.set_folder_watch(f.id, st.mode, st.note)

    def _check_roots(self) -> bool:
        """Mark folders whose root vanished offline; bring back the ones whose root returned."""
        changed = False
        for f in self.catalog.folders():
            if f.state == "paused":
                continue
            present = os.path.isdir(f.path)
            if f.state == "online" and not present:
                log.info("folder %s is offline (its root is missing); its photos are hidden", f.path)
                self.watcher.unwatch(f.id)
                self._next_poll.pop(f.id, None)
                self.catalog.set_folder_state(f.id, "offline")
                changed = True
            elif f.state == "offline" and present:
                log.info("folder %s is back", f.path)
                if self.watch_enabled:
                    self._watch(f)  # watch first, so nothing that happens during the scan is missed
                self._reconcile(f)  # marks it online; unchanged files keep their embeddings
                changed = True
        if changed:
            self._folders = self.catalog.folders()
            self._folders_dirty = True
            self._changed()
        return changed

    def _folder_for(self, path: str) -> FolderRow | None:
        """The deepest online folder holding ``path``."""
        best = None
        for f in self._folders:
            if f.state == "online" and _inside(path, f.path) and (best is None or len(f.path) > len(best.path)):
                best = f
        return best

    # -- scans --------------------------------------------------------------------------------------
    def _reconcile(self, folder: FolderRow, cancelled: Callable[[], bool] = lambda: False) -> ScanReport:
        before = {r.id for r in self.catalog.files_in_folder(folder.id).values() if r.status == "indexed"}
        report = reconcile_folder(self.catalog, folder, self._model_id(), cancelled=cancelled)
        if report.changed:
            for r in self.catalog.files_in_folder(folder.id).values():
                if r.status == "pending" and r.id in before:
                    self._reembed.add(r.id)
        return report

    def _scan(self, folder_ids: set[int] | None, quiet: bool = False) -> None:
        folders = [f for f in self.catalog.folders() if folder_ids is None or f.id in folder_ids]
        if not quiet:
            self._emit(Progress("scanning", message="looking for new, changed and removed photos",
                                errors=self.errors, encoded=self.encoded))
        total = ScanReport()
        self._busy = True
        try:
            for f in folders:
                if self._stopping.is_set() or self._cancel:
                    break
                with self._work_lock:
                    total.merge(self._reconcile(f, cancelled=lambda: self._stopping.is_set() or self._cancel))
        finally:
            self._busy = False
        self.stats["scans"] += 1
        self._folders = self.catalog.folders()
        with self._cv:
            self._folders_dirty = True
        if total.new or total.changed or total.moved or total.deleted or total.offline:
            if total.deleted:
                self._gc_due = time.monotonic() + self.gc_delay
            self._changed()
        if not quiet:
            self._emit(Progress("scanning", total.seen, total.seen, errors=self.errors, encoded=self.encoded,
                                extra={"scan": dict(total.__dict__)}))

    # -- watched changes ------------------------------------------------------------------------------
    def _process_changes(self, changes: list[Change]) -> None:
        self.stats["changes"] += len(changes)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("applying %d changes: %s", len(changes), changes[:20])
        dirty: dict[str, bool] = {}  # path → a "written and closed" event was seen
        trees: list[str] = []
        complete: set[str] = set()  # trees whose files arrived whole (moved, not written)
        moved_any: set[str] = set()
        roots = {f.path for f in self._folders}
        for ch in changes:
            if ch.is_dir and ch.path in roots and ch.kind in ("deleted", "moved"):
                self._next_root_check = 0.0  # the folder itself went away: check now, touch nothing
                continue
            if ch.kind == "moved" and ch.dest is not None:
                dest_f = self._folder_for(ch.dest)
                dest_ok = dest_f is not None and relevant_path(ch.dest, dest_f.path, ch.is_dir) and \
                    os.path.isdir(dest_f.path)
                if ch.is_dir:
                    if dest_ok and dest_f is not None:
                        n = self.catalog.move_tree(ch.path, ch.dest, dest_f.id)
                        self.stats["moved"] += n
                        if n:
                            moved_any.add(ch.dest)
                        trees.append(ch.dest)
                        complete.add(ch.dest)
                    trees.append(ch.path)
                else:
                    if dest_ok and dest_f is not None and self.catalog.file_by_path(ch.path) is not None:
                        self.catalog.move_file(ch.path, ch.dest, dest_f.id)
                        self.stats["moved"] += 1
                        moved_any.add(ch.dest)
                    else:
                        dirty[ch.path] = dirty.get(ch.path, False)
                    if dest_ok:
                        dirty[ch.dest] = True  # a rename is the writer's "finished" signal
            elif ch.kind == "moved_in":
                if ch.is_dir:
                    trees.append(ch.path)
                    complete.add(ch.path)
                else:
                    dirty[ch.path] = True
            elif ch.is_dir:
                trees.append(ch.path)
            else:
                dirty[ch.path] = dirty.get(ch.path, False) or ch.kind == "closed"
        if len(changes) > 200:
            # after heavy churn, double-check the touched folders with a scan once things calm down
            for fid in {c.folder_id for c in changes}:
                self._verify[fid] = time.monotonic() + max(2.0, 4 * self.debounce)
        self._resolve(dirty, trees, moved_any, complete)

    def _prune_trees(self, trees: list[str]) -> list[str]:
        out: list[str] = []
        for t in sorted(set(trees), key=len):
            if not any(_inside(t, o) for o in out):
                out.append(t)
        return out

    def _resolve(self, dirty: dict[str, bool], trees: list[str], moved: set[str],
                 complete: set[str] | None = None) -> None:
        """Compare the touched paths with the disk: register new/changed, then delete what vanished."""
        now = time.monotonic()
        candidates: dict[str, tuple[DiskEntry, FolderRow, bool]] = {}
        gone: dict[int, FileRow] = {}
        for t in self._prune_trees(trees):
            folder = self._folder_for(t)
            on_disk: set[str] = set()
            if folder is not None and os.path.isdir(folder.path) and os.path.isdir(t):
                whole = bool(complete) and t in complete  # type: ignore[operator]
                for e in walk(t):
                    if relevant_path(e.path, folder.path, False):
                        on_disk.add(e.path)
                        f2 = self._folder_for(e.path) or folder
                        candidates[e.path] = (e, f2, whole)
            elif folder is not None and not os.path.isdir(folder.path):
                self._next_root_check = 0.0
                continue
            for r in self.catalog.files_under(t):
                if r.path not in on_disk:
                    gone[r.id] = r
        for path, closed in dirty.items():
            if path in candidates:
                e, f, c = candidates[path]
                candidates[path] = (e, f, c or closed)
                continue
            folder = self._folder_for(path)
            if folder is not None and not os.path.isdir(folder.path):
                self._next_root_check = 0.0
                continue
            st = None
            if folder is not None and relevant_path(path, folder.path, False):
                with contextlib.suppress(OSError):
                    s = os.stat(path)
                    if os.path.isfile(path):
                        st = s
            if st is None or folder is None:
                row = self.catalog.file_by_path(path)
                if row is not None:
                    gone[row.id] = row
                self._observed.pop(path, None)
                continue
            candidates[path] = (DiskEntry(os.path.normpath(path), st.st_size, st.st_mtime_ns), folder, closed)

        model_id = self._model_id()
        registered = 0
        gone_paths = {r.path: i for i, r in gone.items()}
        with self.catalog.transaction():
            if gone:
                moved_n = self._match_moves(candidates, gone)
                self.stats["moved"] += moved_n
                if moved_n:
                    moved = moved | {"*"}
            for path, (e, folder, closed) in candidates.items():
                if path in gone_paths:
                    gone.pop(gone_paths[path], None)
                row = self.catalog.file_by_path(path)
                if row is not None and row.size == e.size and row.mtime_ns == e.mtime_ns and \
                        row.folder_id == folder.id and not _retry_error(row):
                    self._observed.pop(path, None)
                    continue
                seen = self._observed.get(path)
                same = seen is not None and seen[:2] == (e.size, e.mtime_ns)
                # stable: written and closed, or unchanged for at least `debounce` seconds
                if not closed and not (same and seen is not None and now - seen[2] >= self.debounce):
                    if not same:
                        self._observed[path] = (e.size, e.mtime_ns, now)
                    since = self._observed[path][2]
                    self._retry[path] = max(now + 0.05, since + self.debounce)
                    continue
                self._observed.pop(path, None)
                self._retry.pop(path, None)
                kind = register_file(self.catalog, folder.id, e, model_id, row)
                log.debug("registered %s: %s", path, kind)
                if kind == "error" and os.path.exists(path):
                    # could not be read just now (renamed or replaced mid-read): look again shortly
                    self._observed.pop(path, None)
                    self._retry[path] = now + self.debounce
                registered += 1
                if row is not None and kind == "pending" and row.status == "indexed":
                    self._reembed.add(row.id)
            if gone:
                self.catalog.delete_files(list(gone))
        self.stats["registered"] += registered
        self.stats["deleted"] += len(gone)
        if gone:
            self._gc_due = time.monotonic() + self.gc_delay
            for r in gone.values():
                self._observed.pop(r.path, None)
                self._retry.pop(r.path, None)
        if registered or gone or moved:
            self._changed()

    def _match_moves(self, candidates: dict[str, tuple[DiskEntry, FolderRow, bool]],
                     gone: dict[int, FileRow]) -> int:
        """A vanished row and a new path with the same size, mtime and content is a move whose two halves
        were reported separately (e.g. into a folder too new to be watched yet, or across two watched
        folders): re-point the row instead of deleting one and embedding the other."""
        by_sig: dict[tuple[int, int], list[FileRow]] = {}
        for r in gone.values():
            if r.content_hash:
                by_sig.setdefault((r.size, r.mtime_ns), []).append(r)
        if not by_sig:
            return 0
        pool = dict(candidates)
        for path in list(self._retry):  # new files still waiting for their stability check
            if path not in pool:
                folder = self._folder_for(path)
                with contextlib.suppress(OSError):
                    st = os.stat(path)
                    if folder is not None:
                        pool[path] = (DiskEntry(path, st.st_size, st.st_mtime_ns), folder, False)
        n = 0
        for path, (e, folder, _closed) in pool.items():
            olds = by_sig.get((e.size, e.mtime_ns))
            if not olds or self.catalog.file_by_path(path) is not None:
                continue
            try:
                digest = content_hash(path, e.size)
            except OSError:
                continue
            old = next((r for r in olds if r.content_hash == digest and r.id in gone), None)
            if old is None:
                continue
            self.catalog.move_file(old.path, path, folder.id)
            del gone[old.id]
            olds.remove(old)
            self._retry.pop(path, None)
            self._observed.pop(path, None)
            n += 1
        return n

    # -- embedding ----------------------------------------------------------------------------------
    def _has_pending(self) -> bool:
        return any(f.id not in self._deferred for f in self.catalog.pending_files(limit=len(self._deferred) + 1))

    def _pending_in_order(self) -> list[FileRow]:
        files = [f for f in self.catalog.pending_files() if f.id not in self._deferred]
        files.sort(key=lambda f: (f.id in self._reembed, f.id))  # new photos before re-embeds
        return files

    def _should_yield(self) -> bool:
        with self._cv:
            if self._stopping.is_set() or self._paused or self._cancel or self._scan_requests or self._folders_dirty:
                return True
        due = self.queue.due()
        now = time.monotonic()
        return (due is not None and due <= now) or any(t <= now for t in self._retry.values()) or \
            self.watcher.over_budget.is_set()

    def _embed(self) -> bool:
        """Embed pending photos until done or something more urgent arrives. False when nothing to do."""
        if self._model_id() is None:
            return False
        files = self._pending_in_order()
        if not files:
            return False
        try:
            self.indexer.runtime  # noqa: B018 - raises ModelNotInstalled early
        except ModelNotInstalled:
            return False
        control = WorkControl()
        with self._cv:
            self._control = control
        base_done = self._session_done
        base_encoded = self.encoded
        base_errors = self.errors
        ids = [f.id for f in files]
        done_ids: set[int] = set()
        self._busy = True
        gen: Iterator[Progress] = self.indexer.embed_pending(
            control, on_batch=lambda rows: done_ids.update(r.id for r in rows), files=files)
        try:
            while True:
                with self._work_lock:
                    p = next(gen, None)
                if p is None:
                    break
                if p.phase == "cancelled":
                    break
                self._session_done = base_done + p.done
                self.encoded = base_encoded + p.encoded
                self.errors = base_errors + p.errors
                total = base_done + p.total
                rate = self._meter.update(self._session_done) if p.done else 0.0
                self._emit(Progress("embedding", self._session_done, total, rate=rate,
                                    eta=RateMeter.eta(total - self._session_done, rate), current=p.current,
                                    errors=self.errors, encoded=self.encoded, paused=self._paused))
                if p.done:
                    self._reembed.difference_update(done_ids)
                    self._changed()
                if self._should_yield():
                    break
        finally:
            with self._work_lock:
                close = getattr(gen, "close", None)
                if close is not None:
                    close()
            self._busy = False
            with self._cv:
                self._control = None
                if self._cancel:
                    self._cancel = False
                    self._deferred.update(i for i in ids if i not in done_ids)
                    log.info("indexing cancelled; %d photos left for later", len(ids) - len(done_ids))
        if self.library.open_index_if_loaded(self.indexer.runtime.id) is not None and \
                time.monotonic() - self._last_save >= self.save_interval:
            self._save()
        return True

    def _save(self, force: bool = False) -> None:
        model_id = self._model_id()
        if model_id is None:
            return
        vi = self.library.open_index_if_loaded(model_id)
        if vi is None or not vi.dirty:
            self._last_save = time.monotonic()
            return
        if force or time.monotonic() - self._last_save >= self.save_interval:
            with self._work_lock:
                self.indexer.save()
            self._last_save = time.monotonic()
