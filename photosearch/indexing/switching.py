"""Switching the active model without losing search while the library is re-embedded.

Every model keeps its own vectors (embeddings are keyed by (content hash, model id)). Choosing another
model sets the catalog's ``target_model``; :func:`continue_switch` embeds every indexed photo that has no
vector for the target yet (in batches, with progress, pausable and cancellable — an interrupted switch
resumes where it stopped), and only when none is missing does the target become the active model.
Until then searches keep using the old model. Switching back to a model whose vectors are complete is
immediate. (A service: it runs the indexing pipeline. It lived in ``photosearch.models`` before, which made
the domain floor import the services floor.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from photosearch.errors import ModelNotInstalled
from photosearch.library.library import ACTIVE_MODEL_KEY, Library
from photosearch.progress import Progress, ProgressPhase, WorkControl
from photosearch.states import FileStatus
from photosearch.store.catalog import FileRow

log = logging.getLogger(__name__)

TARGET_MODEL_KEY = "target_model"


def switch_target(lib: Library) -> str | None:
    """The model being switched to, or None."""
    target = lib.catalog.get_meta(TARGET_MODEL_KEY)
    if target and not (lib.paths.models_dir / target / "manifest.json").is_file():
        return None
    return target or None


def files_missing_embedding(lib: Library, model_id: str) -> list[FileRow]:
    """One indexed file per content hash that has no vector for ``model_id``."""
    out: list[FileRow] = []
    for h in lib.catalog.hashes_missing_embedding(model_id):
        rows = [f for f in lib.catalog.files_by_hash(h) if f.status == FileStatus.INDEXED]
        if rows:
            out.append(rows[0])
    return out


def begin_switch(lib: Library, model_id: str) -> int:
    """Choose ``model_id``. Returns how many photos must be embedded before it takes over (0: it is
    active now). Needs a writable library."""
    if not (lib.paths.models_dir / model_id / "manifest.json").is_file():
        raise ModelNotInstalled(f"model '{model_id}' is not installed (see 'photosearch models list')")
    current = lib.catalog.get_meta(ACTIVE_MODEL_KEY)
    missing = len(lib.catalog.hashes_missing_embedding(model_id))
    if current is None or current == model_id or missing == 0 or lib.active_model_id() is None:
        lib.set_active_model(model_id)
        lib.catalog.set_meta(TARGET_MODEL_KEY, None)
        if missing:  # nothing to keep searching with: embed after switching
            log.info("model %s active; %d photos still to embed", model_id, missing)
        return 0
    lib.catalog.set_meta(TARGET_MODEL_KEY, model_id)
    log.info("switching to %s: %d photos to embed first", model_id, missing)
    return missing


def cancel_switch(lib: Library) -> None:
    lib.catalog.set_meta(TARGET_MODEL_KEY, None)


def continue_switch(
    lib: Library, control: WorkControl | None = None, *, batch_size: int = 16
) -> Iterator[Progress]:
    """Embed the photos the target model lacks, then make it active. Yields ``Progress`` with phase
    ``"switching"`` (``extra={"model": target}``) and finally ``"switched"`` (or ``"cancelled"``).
    Does nothing when no switch is pending."""
    from photosearch.indexing.pipeline import Indexer  # (pipeline imports this module lazily too)

    control = control or WorkControl()
    target = switch_target(lib)
    if target is None:
        return
    indexer = Indexer(lib, model_id=target, batch_size=batch_size)
    files = files_missing_embedding(lib, target)
    extra = {"model": target, "from": lib.active_model_id()}
    last: Progress | None = None
    for p in indexer.embed_pending(control, files=files):
        if p.stage is ProgressPhase.CANCELLED:
            indexer.save()
            yield Progress(
                ProgressPhase.CANCELLED,
                p.done,
                p.total,
                errors=p.errors,
                encoded=p.encoded,
                extra=extra,
                message=f"switch to {target} paused; it resumes next time",
            )
            return
        last = p
        yield Progress(
            ProgressPhase.SWITCHING,
            p.done,
            p.total,
            rate=p.rate,
            eta=p.eta,
            current=p.current,
            errors=p.errors,
            encoded=p.encoded,
            paused=p.paused,
            extra=extra,
            message=f"embedding photos with {target}",
        )
    indexer.save()
    if control.cancelled or lib.catalog.hashes_missing_embedding(target):
        return
    lib.set_active_model(target)
    lib.catalog.set_meta(TARGET_MODEL_KEY, None)
    log.info("switched to model %s", target)
    yield Progress(
        ProgressPhase.SWITCHED,
        last.done if last else 0,
        last.total if last else 0,
        errors=last.errors if last else 0,
        encoded=last.encoded if last else 0,
        extra=extra,
        message=f"now using {target}",
    )


def embed_missing(
    lib: Library, control: WorkControl | None = None, *, batch_size: int = 16
) -> Iterator[Progress]:
    """Indexed photos the active model has no vector for (with no switch pending) are embedded now, as
    'doctor' says 'index' does: a library whose model was removed and installed again before removing a
    model made its photos pending again, or whose chosen model went and another took its place."""
    from photosearch.indexing.pipeline import Indexer

    model_id = lib.active_model_id()
    if model_id is None or switch_target(lib) is not None:
        return
    files = files_missing_embedding(lib, model_id)
    if not files:
        return
    log.info("%d indexed photos have no vector of %s: embedding them", len(files), model_id)
    indexer = Indexer(lib, batch_size=batch_size)
    yield from indexer.embed_pending(control, files=files)
    indexer.save()
