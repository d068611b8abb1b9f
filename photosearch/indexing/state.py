"""The state the indexing service's parts share (declared here so each part type-checks on its own)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from photosearch.progress import Progress, RateMeter, WorkControl

if TYPE_CHECKING:
    from photosearch.indexing.events import ChangeEvents
    from photosearch.indexing.pipeline import Indexer
    from photosearch.library.library import Library
    from photosearch.library.watch import ChangeQueue, FolderWatcher
    from photosearch.store.catalog import Catalog


class ServiceState:
    """Attributes of ``IndexingService`` used by its parts (``FolderSteps``, ``EmbedSteps``)."""

    library: Library
    catalog: Catalog
    indexer: Indexer
    events: ChangeEvents
    queue: ChangeQueue
    watcher: FolderWatcher
    watch_enabled: bool
    poll_interval: float
    save_interval: float
    gc_delay: float
    stats: dict[str, int]
    encoded: int
    errors: int
    _cv: threading.Condition
    _work_lock: threading.RLock
    _stopping: threading.Event
    _busy: bool
    _idle: bool
    _cancel: bool
    _paused: bool
    _control: WorkControl | None
    _folders_dirty: bool
    _gc_due: float | None
    _last_save: float
    _next_poll: dict[int, float]
    _reembed: set[int]
    _retry: dict[str, float]
    _deferred: set[int]
    _scan_requests: set[int | None]
    _session_done: int  # photos added since the service was last idle
    _session_errors: int  # files it could not read since then (skipped)
    _meter: RateMeter

    def _emit(self, p: Progress) -> None:
        raise NotImplementedError

    def _changed(self) -> None:
        raise NotImplementedError

    def _model_id(self) -> str | None:
        raise NotImplementedError

    def _wake(self) -> None:
        raise NotImplementedError

    def request_scan(self, folder_id: int | None = None) -> None:
        raise NotImplementedError
