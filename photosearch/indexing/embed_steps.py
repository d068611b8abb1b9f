"""The indexing service's embedding step: pending photos (new before re-embeds) through the pipeline,
yielding to anything more urgent between batches; and saving the vector index now and then."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from photosearch.errors import ModelNotInstalled
from photosearch.indexing.state import ServiceState
from photosearch.progress import Progress, ProgressPhase, RateMeter, WorkControl
from photosearch.store.catalog import FileRow

log = logging.getLogger("photosearch.indexing.service")


class EmbedSteps(ServiceState):
    def _has_pending(self) -> bool:
        return any(
            f.id not in self._deferred for f in self.catalog.pending_files(limit=len(self._deferred) + 1)
        )

    def _pending_in_order(self) -> list[FileRow]:
        files = [f for f in self.catalog.pending_files() if f.id not in self._deferred]
        files.sort(key=lambda f: (f.id in self._reembed, f.id))  # new photos before re-embeds
        return files

    def _should_yield(self) -> bool:
        with self._cv:
            if (
                self._stopping.is_set()
                or self._paused
                or self._cancel
                or self._scan_requests
                or self._folders_dirty
            ):
                return True
        due = self.queue.due()
        now = time.monotonic()
        return (
            (due is not None and due <= now)
            or any(t <= now for t in self._retry.values())
            or self.watcher.over_budget.is_set()
        )

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
        base_done = self._session_done  # photos added this session
        base_failed = self._session_errors  # files this session could not read (skipped)
        base_encoded = self.encoded
        base_errors = self.errors
        ids = [f.id for f in files]
        done_ids: set[int] = set()
        self._busy = True
        gen: Iterator[Progress] = self.indexer.embed_pending(
            control, on_batch=lambda rows: done_ids.update(r.id for r in rows), files=files
        )
        try:
            while True:
                with self._work_lock:
                    p = next(gen, None)
                if p is None:
                    break
                if p.stage is ProgressPhase.CANCELLED:
                    break
                # the files gone through (the bar) and, of them, the photos added: the idle event's
                # '· N new' counts added photos only; a file that could not be read is counted as skipped
                self._session_done = base_done + p.done - p.errors
                self._session_errors = base_failed + p.errors
                self.encoded = base_encoded + p.encoded
                self.errors = base_errors + p.errors
                through = self._session_done + self._session_errors
                total = base_done + base_failed + p.total
                rate = self._meter.update(through) if p.done else 0.0
                self._emit(
                    Progress(
                        ProgressPhase.EMBEDDING,
                        through,
                        total,
                        rate=rate,
                        eta=RateMeter.eta(total - through, rate),
                        current=p.current,
                        errors=self.errors,
                        encoded=self.encoded,
                        paused=self._paused,
                    )
                )
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
        if (
            self.library.open_index_if_loaded(self.indexer.runtime.id) is not None
            and time.monotonic() - self._last_save >= self.save_interval
        ):
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
