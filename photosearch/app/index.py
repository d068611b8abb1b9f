"""A one-shot indexing run (``photosearch index``): scan every folder, embed what is new or changed,
continue a pending model switch, collect garbage, save — then read the text in photos not read yet (the
second pass; ``read_text=False`` skips it) — with one progress event per step."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from photosearch.app.status import text_counts
from photosearch.indexing.meta_steps import MetaPass
from photosearch.indexing.pipeline import Indexer
from photosearch.indexing.switching import continue_switch, embed_missing
from photosearch.indexing.text_steps import TextPass
from photosearch.library.library import Library
from photosearch.progress import Progress, ProgressPhase, WorkControl

log = logging.getLogger(__name__)


def run_index(
    lib: Library,
    *,
    batch_size: int = 16,
    on_progress: Callable[[Progress], None] | None = None,
    control: WorkControl | None = None,
    read_text: bool = True,
) -> dict[str, Any]:
    """Index the library (opened writable). Returns the last progress event as JSON plus ``counts`` (files by
    status) and ``image_backend`` (what ran the image encoder; None when no model is active). Ctrl+C
    (``KeyboardInterrupt``) cancels, saves what was indexed, and is raised again. With ``read_text`` the
    text pass follows (each photo's text is stored as it is read, so an interrupted pass loses nothing);
    ``text`` in the answer is (photos whose text is read, photos to read), or None when skipped."""
    indexer = Indexer(lib, batch_size=batch_size)
    control = control or WorkControl()
    final: Progress | None = None

    caught_up = [0, 0, 0]  # photos processed, embedded, failed by the catch-up below (for the Done line)

    def counted(events: Iterator[Progress]) -> Iterator[Progress]:
        last: Progress | None = None
        for ev in events:
            if ev.stage is ProgressPhase.EMBEDDING:
                last = ev
            yield ev
        if last is not None:
            caught_up[0] += last.done
            caught_up[1] += last.encoded
            caught_up[2] += last.errors

    def switch(c: WorkControl) -> Iterator[Progress]:
        # a pending model switch: embed what the target model lacks, then it becomes active; else what the
        # active model lacks
        yield from counted(continue_switch(lib, c, batch_size=batch_size))
        if not c.cancelled:
            yield from counted(embed_missing(lib, c, batch_size=batch_size))

    try:
        for p in indexer.run(control, before_cleanup=switch):
            if p.stage is ProgressPhase.DONE and any(caught_up):  # the Done line counts the catch-up too
                p = replace(
                    p,
                    done=p.done + caught_up[0],
                    encoded=p.encoded + caught_up[1],
                    errors=p.errors + caught_up[2],
                )
            if on_progress is not None:
                on_progress(p)
            final = p
    except KeyboardInterrupt:
        control.cancel()
        indexer.save()
        raise
    if not control.cancelled:  # when, where, with what: header reads, no re-embedding
        MetaPass(lib.catalog).run()
    text: dict[str, Any] | None = None
    backend = indexer.runtime.image.backend if lib.active_model_id() else None
    if lib.active_model_id():  # the image session's memory goes before the text model and OCR load
        indexer.runtime.image.release()
        if final is not None and final.encoded and not control.cancelled:
            warm_first_search(lib)
    if read_text and not control.cancelled:
        tp = TextPass(lib.catalog, models_dir=lib.paths.models_dir)
        for p in tp.run(control):
            if on_progress is not None:
                on_progress(p)
        text = {**text_counts(lib), "unavailable": tp.unavailable}
    counts = lib.catalog.counts_by_status()
    return {
        **(final.to_json() if final else {}),
        "counts": counts,
        "image_backend": backend,
        "text": text,
    }


def warm_first_search(lib: Library) -> None:
    """Store the relevance line's caption embeddings now (the catalog keeps them per text model), so the first
    search after indexing does not encode dozens of captions on the query path; then free the text model."""
    from photosearch.app.search import open_engine

    try:
        open_engine(lib).warm()
    except Exception:  # a convenience: the first search computes them itself if this fails
        log.warning("could not prepare the first search", exc_info=True)
    finally:
        lib.runtime().text.release()
