"""A one-shot indexing run (``photosearch index``): scan every folder, embed what is new or changed,
continue a pending model switch, collect garbage, save — with one progress event per step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from photosearch.indexing.pipeline import Indexer
from photosearch.indexing.switching import continue_switch
from photosearch.library.library import Library
from photosearch.progress import Progress, WorkControl


def run_index(
    lib: Library,
    *,
    batch_size: int = 16,
    on_progress: Callable[[Progress], None] | None = None,
    control: WorkControl | None = None,
) -> dict[str, Any]:
    """Index the library (opened writable). Returns the last progress event as JSON plus ``counts`` (files by
    status) and ``image_backend`` (what ran the image encoder; None when no model is active). Ctrl+C
    (``KeyboardInterrupt``) cancels, saves what was indexed, and is raised again."""
    indexer = Indexer(lib, batch_size=batch_size)
    control = control or WorkControl()
    final: Progress | None = None

    def switch(c: WorkControl) -> Iterator[Progress]:
        # a pending model switch: embed what the target model lacks, then it becomes active
        return continue_switch(lib, c, batch_size=batch_size)

    try:
        for p in indexer.run(control, before_cleanup=switch):
            if on_progress is not None:
                on_progress(p)
            final = p
    except KeyboardInterrupt:
        control.cancel()
        indexer.save()
        raise
    counts = lib.catalog.counts_by_status()
    backend = indexer.runtime.image.backend if lib.active_model_id() else None
    return {**(final.to_json() if final else {}), "counts": counts, "image_backend": backend}
