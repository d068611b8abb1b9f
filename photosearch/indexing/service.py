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
   long backlog; then, when there is nothing to embed, reads the text in photos one at a time
   (``text_steps``; ``read_text``);
4. polls folders that can't be watched with events (watch limit, network shares), checks offline
   roots every few seconds (their photos are hidden, not deleted, and come back without re-embedding),
   cleans orphans and saves the vector index every ``save_interval`` seconds, not after every photo.

Progress (:class:`~photosearch.progress.Progress`) and change notifications are called on the worker
thread. The service owns no user verbs: ``photosearch.app.folders`` changes the folder list and tells it
(``editing``, ``folder_added``, ``folder_removed``, ``folder_paused``). Its parts: ``events`` (what watched
changes mean, no threads), ``folder_steps`` (watching, roots, scans), ``embed_steps`` (embedding, saving).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

from photosearch.config import read_text_default
from photosearch.errors import PhotoSearchError
from photosearch.indexing.embed_steps import EmbedSteps
from photosearch.indexing.events import ChangeEvents
from photosearch.indexing.folder_steps import FolderSteps
from photosearch.indexing.meta_steps import MetaSteps
from photosearch.indexing.pipeline import Indexer
from photosearch.indexing.power_steps import ON_BATTERY_MESSAGE, PowerSteps, pause_on_battery_default
from photosearch.indexing.text_steps import TextPass, TextSteps
from photosearch.library.library import Library
from photosearch.library.watch import (
    ChangeQueue,
    FolderWatcher,
    OverflowHook,
)
from photosearch.progress import Progress, ProgressPhase, RateMeter, WorkControl
from photosearch.states import WatchMode

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


class IndexingService(FolderSteps, EmbedSteps, TextSteps, MetaSteps, PowerSteps):
    """See the module docstring. All public methods are thread-safe."""

    def __init__(
        self,
        library: Library,
        *,
        watch: bool = True,
        on_progress: Callable[[Progress], None] | None = None,
        on_change: Callable[[], None] | None = None,
        debounce: float = 0.5,
        poll_interval: float = 5.0,
        max_watches: int | None = None,
        mounts_file: str = "/proc/mounts",
        offline_check_interval: float = 2.0,
        save_interval: float = 10.0,
        gc_delay: float = 1.0,
        batch_size: int = 16,
        nice: int = NICE_INCREMENT,
        read_text: bool | None = None,
        pause_on_battery: bool | None = None,
    ) -> None:
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
        # the text pass (OCR) runs only when embedding has nothing to do (photosearch.indexing.text_steps)
        self.read_text = read_text_default() if read_text is None else read_text
        # background indexing waits for mains power (photosearch.indexing.power_steps)
        self.pause_on_battery = pause_on_battery_default() if pause_on_battery is None else pause_on_battery
        self.text_pass: TextPass | None = None
        self.text_deferred = False  # a cancel during the text pass: no more reading until request_scan
        self.queue = ChangeQueue(debounce, max_delay=max(4 * debounce, 2.0), on_put=self._wake)
        self.watcher = FolderWatcher(
            self.queue, max_watches=max_watches, mounts_file=mounts_file, poll_interval=poll_interval
        )
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
        self._deferred: set[int] = set()  # file ids of a cancelled run (until the next request_scan)
        self._next_poll: dict[int, float] = {}
        self._next_root_check = 0.0
        self._gc_due: float | None = None
        self._last_save = time.monotonic()
        self._progress = Progress(ProgressPhase.IDLE, message="not started")
        self._meter = RateMeter()
        self._session_done = 0
        self._session_errors = 0
        self.encoded = 0  # images run through the model by this service
        self.errors = 0  # files that could not be indexed, so far
        self.worker_nice: int | None = None
        self.stats: dict[str, int] = {
            "batches": 0,
            "changes": 0,
            "moved": 0,
            "registered": 0,
            "deleted": 0,
            "retries": 0,
            "polls": 0,
            "scans": 0,
        }
        # the change-event logic (moves, "is the file finished writing", retries): photosearch.indexing.events
        self.events = ChangeEvents(self.catalog, debounce=debounce, model_id=self._model_id, stats=self.stats)
        self._retry = self.events.retry  # path → monotonic due time (file still being written)
        self._observed = self.events.observed
        self._reembed = self.events.reembed  # file ids whose content changed (embedded after new photos)
        self._verify = self.events.verify  # folder id → due time of a check scan after heavy churn

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
        tp = self.text_pass
        if tp is not None:  # the text reader's stop watcher (it would end by itself within IDLE_EXIT_S)
            tp.reader.watcher.close()
        self.watcher.close()
        self._overflow.remove()

    def pause(self) -> None:
        with self._cv:
            self._paused = True
            self._cv.notify_all()
        self._emit(
            Progress(
                ProgressPhase.EMBEDDING if self._busy else ProgressPhase.IDLE,
                self._session_done + (self._session_errors if self._busy else 0),
                self._progress.total,
                paused=True,
                errors=self.errors,
                encoded=self.encoded,
                message="paused",
            )
        )

    def resume(self) -> None:
        with self._cv:
            self._paused = False
        self._wake()

    @property
    def paused(self) -> bool:
        return self._paused

    def cancel_current(self) -> None:
        """Stop the current scan, embedding run or text pass. Photos it had not reached stay pending until
        the next ``request_scan`` (new changes are still handled)."""
        with self._cv:
            self._cancel = True
            ctl = self._control
            if not self._busy:  # not embedding: the text pass (if any) is what stops
                self.text_deferred = True
        if ctl is not None:
            ctl.cancel()
        self._wake()

    def request_scan(self, folder_id: int | None = None) -> None:
        """Reconcile one folder (or all) with the disk soon; also brings back work a cancel deferred."""
        with self._cv:
            self._scan_requests.add(folder_id)
            self._deferred.clear()
            self.text_deferred = False
            self._idle = False
            self._cv.notify_all()

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
            except Exception:  # a broken listener never stops indexing
                log.exception("progress listener failed")

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
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
                except Exception as e:  # the service keeps running; the error is logged
                    failures += 1
                    log.exception("indexing service step failed")
                    self._emit(
                        Progress(
                            ProgressPhase.ERROR, message=str(e), errors=self.errors, encoded=self.encoded
                        )
                    )
                    did = False
                    self._stopping.wait(min(30.0, 0.5 * 2 ** min(failures, 6)))
                if not did:
                    self._wait()
        finally:
            self.watcher.close()
            with contextlib.suppress(Exception):
                self._save(force=True)
            self._emit(
                Progress(
                    ProgressPhase.STOPPED,
                    self._session_done,
                    self._progress.total,
                    errors=self.errors,
                    encoded=self.encoded,
                    message="stopped",
                )
            )
            with self._cv:
                self._idle = False
                self._cv.notify_all()

    def _load_model_here(self) -> None:
        """Create the image encoder's ONNX session on this (low-priority) thread, so its thread pool
        inherits the priority. No-op when no model is installed or it is already loaded."""
        from photosearch.indexing.variant_step import library_variant

        try:
            rt = self.library.runtime()
            rt.use_library_variant(
                library_variant(self.library, rt.id)
            )  # the tower its photos were embedded with
            if not rt.image.loaded:
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
            work_waiting = (
                bool(self._scan_requests)
                or self._folders_dirty
                or (qdue is not None and qdue <= time.monotonic())
            )
            if work_waiting:
                return
            idle = not self._retry and len(self.queue) == 0 and not self._verify and not self._scan_requests
            if idle and not self._idle:
                self._idle = True
                self._cv.notify_all()
                self._emit(
                    Progress(
                        ProgressPhase.IDLE,
                        self._session_done,  # photos added
                        self._session_done + self._session_errors,  # files gone through
                        errors=self.errors,
                        encoded=self.encoded,
                        paused=self._paused or self._on_battery,
                        message=self._idle_message(),
                    )
                )
                self._session_done = self._session_errors = 0
                self._meter = RateMeter()
            self._cv.wait(timeout)

    def _idle_message(self) -> str:
        if self._has_pending() and (self._paused or self._on_battery):
            return "paused" if self._paused else ON_BATTERY_MESSAGE
        return "up to date"

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
                self.catalog.set_folder_watch(st.folder.id, WatchMode.POLLING, st.note)
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
                self.events.apply(batch)
            self._absorb()
            return True
        due = self.events.retries_due(now)
        if due:
            self.stats["retries"] += len(due)
            with self._work_lock:
                self.events.resolve({p: False for p in due}, [], set())
            self._absorb()
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
        held = self._paused or self._power_hold()
        if not held and self._embed():
            return True
        if not held and self._meta_step():  # metadata (header reads) when embedding is idle
            return True
        if not held and self._text_step():  # only when embedding is idle
            return True
        if now - self._last_save >= self.save_interval:
            self._save()
        return False

    def _absorb(self) -> None:
        """Act on what the last applied changes did."""
        out = self.events.take_outcome()
        if out.check_roots:
            self._next_root_check = 0.0
        if out.deleted:
            self._gc_due = time.monotonic() + self.gc_delay
        if out.changed:
            self._changed()
