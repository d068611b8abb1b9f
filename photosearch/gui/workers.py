"""Bridges between the Qt event loop and the core's blocking work: searches, model loading, thumbnails,
indexing. Work runs on pool threads; results come back as queued signals on the UI thread."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage

from photosearch.app.query import Query
from photosearch.app.understand import run
from photosearch.errors import PhotoSearchError
from photosearch.progress import Progress
from photosearch.search.engine import SearchEngine, SearchResponse

if TYPE_CHECKING:
    from photosearch.library.library import Library
    from photosearch.store.catalog import Catalog

log = logging.getLogger(__name__)


# -- generic tasks ----------------------------------------------------------------------------------
class _TaskSignals(QObject):
    done = Signal(object)  # whatever the task returned
    failed = Signal(BaseException)


class Task(QRunnable):
    """Run ``fn()`` on a pool thread; ``done(result)`` or ``failed(exception)`` arrive on the UI thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = _TaskSignals()

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as e:  # reported to the UI thread
            if not isinstance(e, PhotoSearchError):
                log.exception("background task failed")
            with contextlib.suppress(RuntimeError):
                self.signals.failed.emit(e)
            return
        with contextlib.suppress(RuntimeError):
            self.signals.done.emit(result)


class TaskRunner(QObject):
    """A small pool of its own (so tests and shutdown can wait for exactly this work)."""

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._live: set[Task] = set()

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Task:
        task = Task(fn)
        task.setAutoDelete(False)
        self._live.add(task)

        def finish(_x: object = None) -> None:
            self._live.discard(task)

        if on_done:
            task.signals.done.connect(on_done)
        if on_error:
            task.signals.failed.connect(on_error)
        task.signals.done.connect(finish)
        task.signals.failed.connect(finish)
        self.pool.start(task)
        return task

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)

    @property
    def busy(self) -> bool:
        return bool(self._live) or self.pool.activeThreadCount() > 0


# -- searches ---------------------------------------------------------------------------------------
SearchRequest = Query  # what the window asks for: photosearch.app.query.Query


class SearchController(QObject):
    """Runs one search at a time off the UI thread (``photosearch.app.search.search``). Every request gets a
    generation number; answers to requests that were overtaken by a newer one are dropped."""

    finished = Signal(Query, SearchResponse)
    failed = Signal(Query, str)  # request, message
    started = Signal(Query)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = TaskRunner(1, self)
        self.engine: SearchEngine | None = None  # set when the model is loaded
        self.catalog: Catalog | None = None
        self.generation = 0
        self.calls: list[Query] = []

    def submit(self, req: Query) -> int:
        self.generation += 1
        gen = self.generation
        self.calls.append(req)
        engine, catalog = self.engine, self.catalog

        def work() -> SearchResponse | None:
            if gen != self.generation:
                return None  # already overtaken: don't spend the time
            return run(req, engine, catalog)  # place, time and camera words read as filters

        def done(resp: SearchResponse | None) -> None:
            if gen == self.generation and resp is not None:
                self.finished.emit(req, resp)

        def error(e: BaseException) -> None:
            if gen == self.generation:
                msg = str(e) if isinstance(e, PhotoSearchError) else f"{type(e).__name__}: {e}"
                self.failed.emit(req, msg)

        self.started.emit(req)
        self.runner.submit(work, done, error)
        return gen

    @property
    def busy(self) -> bool:
        return self.runner.busy


# -- thumbnails -------------------------------------------------------------------------------------
class _ThumbSignals(QObject):
    loaded = Signal(str, QImage)
    missing = Signal(str)
    colours = Signal(int, dict)  # generation, content hash → 0xRRGGBB


class _ThumbJob(QRunnable):
    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.loader = loader
        self.setAutoDelete(True)

    def run(self) -> None:
        _lower_thread_priority()
        self.loader._work_one()


_niced: set[int] = set()


def _lower_thread_priority() -> None:
    """Thumbnail decoding yields the CPU to the UI thread (a nicer thread, on Linux, where threads have their
    own nice value): scrolling stays smooth on a busy two-core machine."""
    tid = threading.get_native_id()
    if tid in _niced:
        return
    _niced.add(tid)
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + 4)


class ThumbnailLoader(QObject):
    """Loads thumbnails on pool threads, newest request first (what is on screen now wins over rows the
    person scrolled past); keeps an in-memory cache of decoded images."""

    loaded = Signal(str)  # content hash
    colours_changed = Signal()  # stored placeholder colours arrived

    def __init__(
        self,
        thumbs: Any,
        catalog: Any,
        parent: QObject | None = None,
        *,
        threads: int = 2,
        cache_size: int = 3000,
        cache_bytes: int = 96 * 1024 * 1024,
        max_pending: int = 256,
    ) -> None:
        super().__init__(parent)
        self.thumbs = thumbs  # photosearch.library.thumbs.ThumbnailCache
        self.catalog = catalog
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.cache: OrderedDict[str, QImage] = OrderedDict()
        self.cache_size = cache_size
        self.max_pending = max_pending
        self._pending: OrderedDict[str, str] = OrderedDict()  # hash → source path, newest last
        self._inflight: set[str] = set()
        self._failed: set[str] = set()
        self._lock = threading.Lock()
        self.signals = _ThumbSignals()
        self.signals.loaded.connect(self._arrived)
        self.signals.missing.connect(self._gone)
        self.requests = 0
        self.edge_px = 0  # scale thumbnails to fit this square (device pixels); 0 = as stored
        self.dpr = 1.0
        self.cache_bytes = cache_bytes  # the decoded images' memory bound (besides the count bound)
        self.bytes = 0
        self.colours: dict[str, int] = {}  # content hash → mean colour 0xRRGGBB (the placeholder)
        self.colour_catalog: Any = None  # where stored colours are read (also when the library is read-only)
        self.colour_generation = 0
        self.signals.colours.connect(self._colours_arrived)

    def set_edge(self, edge_px: int, dpr: float = 1.0) -> None:
        """Thumbnails are kept at the displayed size in device pixels (crisp on HiDPI screens); a new size
        reloads them (from the disk cache)."""
        edge_px = round(edge_px * dpr)
        self.dpr = dpr
        if edge_px != self.edge_px:
            self.edge_px = edge_px
            self.clear_pending()
            self.cache.clear()
            self.bytes = 0
            self._failed.clear()

    def get(self, content_hash: str) -> QImage | None:
        img = self.cache.get(content_hash)
        if img is not None:
            self.cache.move_to_end(content_hash)
        return img

    def request(self, content_hash: str, path: str) -> None:
        if content_hash in self.cache or content_hash in self._failed:
            return
        with self._lock:
            if content_hash in self._inflight:
                return
            if content_hash in self._pending:
                self._pending.move_to_end(content_hash)
                return
            self._pending[content_hash] = path
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)  # scrolled past long ago
        self.requests += 1
        self.pool.start(_ThumbJob(self))

    def _work_one(self) -> None:
        with self._lock:
            if not self._pending:
                return
            h, path = self._pending.popitem(last=True)
            self._inflight.add(h)
        img = QImage()
        edge = self.edge_px
        try:
            p = self.thumbs.ensure(h, path, self.catalog)
            img = QImage(str(p))
            if not img.isNull() and edge and max(img.width(), img.height()) > edge:
                # scaled here, once, so painting is a plain blit on the UI thread
                img = img.scaled(
                    edge, edge, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            img.setDevicePixelRatio(self.dpr)
            if not img.isNull() and h not in self.colours:  # stored before colours were kept: keep it now
                rgb = img.scaled(1, 1, mode=Qt.TransformationMode.SmoothTransformation).pixel(0, 0) & 0xFFFFFF
                self.colours[h] = rgb
                if self.catalog is not None:
                    self.catalog.set_thumbnail_colour(h, rgb)
        except (PhotoSearchError, OSError) as e:
            log.info("no thumbnail for %s: %s", path, e)
        except Exception:  # one bad thumbnail never stops the others
            log.exception("thumbnail of %s failed", path)
        with contextlib.suppress(RuntimeError):
            if img.isNull():
                self.signals.missing.emit(h)
            else:
                self.signals.loaded.emit(h, img)

    def _arrived(self, h: str, img: QImage) -> None:
        with self._lock:
            self._inflight.discard(h)
        old = self.cache.pop(h, None)
        if old is not None:
            self.bytes -= old.sizeInBytes()
        self.cache[h] = img
        self.bytes += img.sizeInBytes()
        while self.cache and (len(self.cache) > self.cache_size or self.bytes > self.cache_bytes):
            self.bytes -= self.cache.popitem(last=False)[1].sizeInBytes()
        self.loaded.emit(h)

    def fetch_colours(self, results: list[Any]) -> None:
        """Read the stored mean colours of these results' thumbnails on a pool thread (``colours_changed``
        follows). The list of hashes is made there too: 100k results cost the UI thread nothing."""
        cat = self.colour_catalog or self.catalog
        if cat is None or not results:
            return
        self.colour_generation += 1
        gen = self.colour_generation
        signals = self.signals
        known = self.colours

        def work() -> None:
            want = [h for r in results if (h := r.file.content_hash) and h not in known]
            try:
                found = cat.thumbnail_colours(want) if want else {}
            except Exception as e:  # a placeholder colour is never worth an error
                log.info("no thumbnail colours: %s", e)
                return
            with contextlib.suppress(RuntimeError):
                signals.colours.emit(gen, found)

        self.pool.start(work)

    def _colours_arrived(self, gen: int, found: dict[str, int]) -> None:
        self.colours.update(found)
        if found:
            self.colours_changed.emit()

    def _gone(self, h: str) -> None:
        with self._lock:
            self._inflight.discard(h)
        self._failed.add(h)
        self.loaded.emit(h)

    def clear_pending(self) -> None:
        with self._lock:
            self._pending.clear()

    def wait(self, msecs: int = 30000) -> bool:
        self.clear_pending()
        return self.pool.waitForDone(msecs)


# -- indexing ---------------------------------------------------------------------------------------
class IndexingBridge(QObject):
    """The indexing service's callbacks (on its worker threads) as Qt signals on the UI thread."""

    progress = Signal(Progress)
    changed = Signal()

    def __init__(
        self,
        library: Library,
        *,
        watch: bool = True,
        parent: QObject | None = None,
        service_factory: type | None = None,
    ) -> None:
        super().__init__(parent)
        from photosearch.indexing.service import IndexingService

        cls = service_factory or IndexingService
        self.service = cls(
            library, watch=watch, on_progress=self._from_worker_progress, on_change=self._from_worker_change
        )
        self._started = False

    def _from_worker_progress(self, p: Progress) -> None:
        with contextlib.suppress(RuntimeError):  # the window may be gone during shutdown
            self.progress.emit(p)

    def _from_worker_change(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.changed.emit()

    def start(self) -> None:
        if not self._started:
            self.service.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self.service.stop(timeout=10)
            self._started = False

    @property
    def running(self) -> bool:
        return self._started

    def pause(self) -> None:
        self.service.pause()

    def resume(self) -> None:
        self.service.resume()

    def request_scan(self, folder_id: int | None = None) -> None:
        self.service.request_scan(folder_id)

    def wait_idle(self, timeout: float) -> bool:
        return bool(self.service.wait_idle(timeout))
