"""Keeping the library up to date in the foreground (``photosearch watch``): the indexing service runs
until the caller's ``stop`` event is set, Ctrl+C, or the service stops by itself."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from photosearch.errors import QueryError
from photosearch.indexing.service import IndexingService
from photosearch.library.library import Library
from photosearch.progress import Progress


def watch(
    lib: Library,
    stop: threading.Event,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    on_started: Callable[[int], None] | None = None,
    debounce: float = 0.5,
    poll_interval: float = 5.0,
) -> dict[str, Any]:
    """Run the service on the (writable) library until ``stop`` is set; ``on_started(folder_count)`` once it
    runs. Returns what the run did: images encoded, files skipped, counts by status, each folder's watch mode."""
    if not lib.folders():
        raise QueryError("no folders to watch: photosearch folders add PATH (or --add PATH)")
    from photosearch.app.handover import Owner, folder_request, index_request, models_request

    svc = IndexingService(lib, on_progress=on_progress, debounce=debounce, poll_interval=poll_interval)
    # other processes' `folders add/remove/...`, `models import/install/use` and `index` are handed to this running owner
    owner = Owner(
        lib.paths.data_dir,
        {
            "folders": lambda a, _p: folder_request(a, lib, svc),
            "index": lambda a, p: index_request(a, lib, svc, p),
            "models": lambda a, p: models_request(a, lib, p),
        },
    )
    try:
        svc.start()
        owner.start()
        if on_started is not None:
            on_started(len(lib.folders()))
        while not stop.wait(0.5):
            if not svc.running:
                break
    except KeyboardInterrupt:  # Ctrl+C is how a person stops it
        pass
    finally:
        owner.stop()
        svc.stop()
    return {
        "event": "stopped",
        "encoded": svc.encoded,
        "errors": svc.errors,
        "counts": lib.catalog.counts_by_status(),
        "watch": {p: m for p, (m, _) in svc.watch_modes().items()},
    }
