"""The second indexing pass: reading the words in photos (OCR), after embedding.

``TextPass`` reads the photos the catalog lists as pending for text (``Catalog.text_pending``: one file per
content hash with no stored text, in online folders whose ``read_text`` switch is on) and stores each
result at once, so the catalog is the pass's own state: a killed pass resumes where it stopped and never
reads a finished photo again; a moved or renamed photo keeps its text (it is keyed by content hash).
Detection runs on a reduced decode (JPEG draft mode through ``photosearch.library.imaging.open_image``),
recognition on full-resolution crops of the regions found (``photosearch.text.ocr.TextReader``).

``TextSteps`` is the indexing service's part that runs the pass only while embedding has nothing to do: it
reads one photo at a time and gives way whenever changes, scans or embedding work arrive.

Privacy: recognised text is never logged (only counts and file paths).
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from photosearch.config import setting_int
from photosearch.errors import PhotoSearchError
from photosearch.indexing.state import ServiceState
from photosearch.library.imaging import open_image
from photosearch.progress import Progress, ProgressPhase, RateMeter, WorkControl
from photosearch.store.catalog import Catalog, FileRow
from photosearch.store.catalog_text import StoredLine
from photosearch.text.match import index_form
from photosearch.text.ocr import DET_SIDE, OcrUnavailable, ReadInterrupted, TextReader

log = logging.getLogger(__name__)

BUDGET_S = 8.0  # CPU seconds per photo for recognition; lines read before it runs out are kept
ENV_THREADS = "PHOTOSEARCH_TEXT_THREADS"
ENV_READERS = "PHOTOSEARCH_TEXT_READERS"


def text_readers() -> int:
    """OCR engines reading side by side in ``photosearch index``: two where there are two cores or more
    (``PHOTOSEARCH_TEXT_READERS`` to choose)."""
    return max(1, setting_int(ENV_READERS) or min(2, os.cpu_count() or 1))


def text_threads() -> int:
    """Threads for reading text: every core (up to 4). The pass runs only while embedding is idle, so the
    cores are free; more urgent work interrupts it between steps."""
    return max(1, setting_int(ENV_THREADS) or min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class _Reading:
    """What reading one photo gave, before it is stored: ``status`` is "read", "none", "too-slow", "failed"
    or "interrupted" (nothing to store: the photo stays pending)."""

    status: str
    lines: list[StoredLine] = field(default_factory=list)
    seconds: float = 0.0


class TextPass:
    """Reads pending photos' text into the catalog (see the module docstring).

    ``photosearch index`` reads with :func:`text_readers` engines side by side (two on a two-core machine,
    each with half the threads: detection keeps both cores busier that way than one engine with two threads,
    2.08 against 1.31 photos/s on 12 MP photos without text in ``benchmarks/bench_ocr.py``). Results are
    stored in the photos' order by the pass's own thread, one transaction each, so the catalog has one writer
    and a kill loses only the photos being read."""

    def __init__(
        self, catalog: Catalog, reader: TextReader | None = None, readers: int | None = None
    ) -> None:
        self.catalog = catalog
        n = 1 if reader is not None else readers or text_readers()
        threads = max(1, text_threads() // n)
        self.reader = reader or TextReader(det_side=DET_SIDE, budget_s=BUDGET_S, threads=threads)
        self._more = [TextReader(det_side=DET_SIDE, budget_s=BUDGET_S, threads=threads) for _ in range(n - 1)]
        self.unavailable: str | None = None  # why text cannot be read here (the OCR package is missing)

    def read_one(self, f: FileRow, stop: Callable[[], bool] | None = None) -> str:
        """Read ``f``'s text and store it under its content hash. Returns the stored status, or
        "interrupted" (nothing stored: the photo stays pending) when ``stop`` said so midway."""
        return self._store(f, self._read(self.reader, f, stop))

    def _read(self, reader: TextReader, f: FileRow, stop: Callable[[], bool] | None = None) -> _Reading:
        """Read ``f``'s text with ``reader``; no catalog access (it runs on reading threads)."""
        start = time.monotonic()
        try:
            # the first look's draft-mode decode (1000×750 for a 12 MP JPEG); the full decode only if it saw text
            reduced = open_image(f.path, draft_short_side=reader.first_side * 3 // 4).image
            result = reader.read(reduced, lambda: open_image(f.path).image, stop)
        except ReadInterrupted:
            return _Reading("interrupted")
        except OcrUnavailable:
            raise
        except PhotoSearchError as e:  # unreadable now (gone, damaged): recorded, not retried every run
            log.info("could not read text in %s: %s", f.path, e)
            return _Reading("failed", seconds=time.monotonic() - start)
        except Exception as e:  # an OCR failure is a skipped photo, never a stopped pass
            log.warning("reading text in %s failed: %s", f.path, type(e).__name__)
            return _Reading("failed", seconds=time.monotonic() - start)
        lines = [StoredLine(x.text, x.confidence, x.box) for x in result.lines]
        if result.regions == 0:
            status = "none"
        elif not result.complete:
            status = "too-slow"
        else:
            status = "read"
        return _Reading(status, lines, result.seconds)

    def _store(self, f: FileRow, r: _Reading) -> str:
        assert f.content_hash is not None
        if r.status == "interrupted":
            return r.status
        text = "\n".join(x.text for x in r.lines)
        self.catalog.put_text(f.content_hash, r.status, r.lines, index_form(text), r.seconds)
        log.debug("text pass: %s → %s (%d lines)", f.path, r.status, len(r.lines))
        return r.status

    def _readings(
        self, files: list[FileRow], control: WorkControl
    ) -> Iterator[tuple[FileRow, _Reading] | None]:
        """Each file with its reading, in order; None when ``control`` was cancelled (nothing more is read).
        With more than one engine, the next photos are read while this one is stored."""
        if not self._more:
            for f in files:
                if not control.checkpoint():
                    yield None
                    return
                yield f, self._read(self.reader, f)
            return
        free: queue.SimpleQueue[TextReader] = queue.SimpleQueue()
        for r in (self.reader, *self._more):
            free.put(r)

        def job(f: FileRow) -> _Reading:
            reader = free.get()
            try:
                return self._read(reader, f)
            finally:
                free.put(reader)

        ahead = 1 + len(self._more)
        with ThreadPoolExecutor(ahead, thread_name_prefix="text-reader") as pool:
            futures: deque[tuple[FileRow, Future[_Reading]]] = deque()
            todo = iter(files)
            try:
                for f in itertools.islice(todo, ahead):
                    futures.append((f, pool.submit(job, f)))
                while futures:
                    if not control.checkpoint():  # blocks while paused; readings in flight finish unstored
                        yield None
                        return
                    f, fut = futures.popleft()
                    reading = fut.result()
                    nxt = next(todo, None)
                    if nxt is not None:
                        futures.append((nxt, pool.submit(job, nxt)))
                    yield f, reading
            finally:
                for _, fut in futures:
                    fut.cancel()

    def run(self, control: WorkControl | None = None) -> Iterator[Progress]:
        """Read every pending photo; one progress event per photo. Stops (with a ``cancelled`` event) when
        ``control`` is cancelled; blocks while it is paused."""
        control = control or WorkControl()
        self.catalog.delete_orphan_texts()
        files = self.catalog.text_pending()
        read_before, _ = self.catalog.text_counts()
        total = read_before + len(files)
        meter = RateMeter()
        found = 0
        yield Progress(ProgressPhase.READING_TEXT, read_before, total)
        try:
            for i, item in enumerate(self._readings(files, control)):
                if item is None:
                    yield Progress(ProgressPhase.CANCELLED, read_before + i, total, message="cancelled")
                    return
                f, reading = item
                status = self._store(f, reading)
                found += status in ("read", "too-slow")
                done = read_before + i + 1
                rate = meter.update(i + 1)
                yield Progress(
                    ProgressPhase.READING_TEXT,
                    done,
                    total,
                    rate=rate,
                    eta=RateMeter.eta(total - done, rate),
                    current=f.path,
                    paused=control.paused,
                    extra={"with_text": found},
                )
        except OcrUnavailable as e:
            self.unavailable = str(e)
            log.warning("text pass skipped: %s", e)


class TextSteps(ServiceState):
    """The service's text step: one photo at a time, only when nothing else (embedding first) is waiting."""

    text_pass: TextPass | None
    read_text: bool
    text_deferred: bool

    def _should_yield(self) -> bool:  # EmbedSteps's: more urgent work (changes, scans, pause, stop) arrived
        raise NotImplementedError

    def _text_step(self) -> bool:
        """Read the text of the next pending photo. False when there is none (or text reading is off)."""
        if not self.read_text or self.text_deferred:
            return False
        if self.text_pass is None:
            self.text_pass = TextPass(self.catalog)
        tp = self.text_pass
        if tp.unavailable:
            return False
        with self._work_lock:
            pending = self.catalog.text_pending(limit=1)
        if not pending:
            return False
        read, total = self.catalog.text_counts()
        try:  # not under the work lock: reading takes seconds; storing is one transaction
            # gives way midway when changes, scans, a pause or a stop arrive: new photos are embedded first
            if tp.read_one(pending[0], stop=self._should_yield) == "interrupted":
                return True
        except OcrUnavailable as e:
            tp.unavailable = str(e)
            log.warning("text pass skipped: %s", e)
            return False
        self._emit(
            Progress(
                ProgressPhase.READING_TEXT,
                read + 1,
                total,
                current=pending[0].path,
                errors=self.errors,
                encoded=self.encoded,
            )
        )
        return True
