"""Indexing: reconcile folders with the disk, then embed pending files in batches.

decode (thread pool, reduced-size JPEG decoding) ∥ encode (ONNX Runtime) → one transaction per batch
(embeddings, file rows, thumbnails) → the in-memory vector index, saved atomically every so often.
Each step is a generator yielding :class:`Progress`; it stops cleanly between batches when cancelled.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from photosearch.config import setting_float
from photosearch.errors import PhotoSearchError, UnreadableImage
from photosearch.library.fingerprint import phash
from photosearch.library.imaging import Decoded
from photosearch.library.library import Library, data_dir_error
from photosearch.library.reasons import system_refused
from photosearch.library.scan import DiskEntry, ScanReport, reconcile_folder, register_file
from photosearch.library.thumbs import ThumbnailCache
from photosearch.models.preprocess import Preprocessor
from photosearch.progress import Progress, RateMeter, WorkControl
from photosearch.store.catalog import FileRow

if TYPE_CHECKING:
    from photosearch.models.encoders import ModelRuntime
    from photosearch.store.catalog import Catalog
    from photosearch.store.vectors import VectorIndex

log = logging.getLogger(__name__)

# Seconds one file may take to decode and preprocess; a file over budget is skipped with a reason.
ENV_FILE_BUDGET = "PHOTOSEARCH_FILE_BUDGET"
DEFAULT_FILE_BUDGET = 60.0
# Seconds between saves of the vector index while embedding.
ENV_SAVE_INTERVAL = "PHOTOSEARCH_SAVE_INTERVAL"
DEFAULT_SAVE_INTERVAL = 30.0


@dataclass
class Prepared:
    file: FileRow
    tensor: np.ndarray | None
    decoded: Decoded | None
    error: str | None = None
    thumb: tuple[int, int, int] | None = None  # (width, height, bytes) when made now
    phash: int | None = None  # perceptual hash for near-duplicate search
    disk_full: OSError | None = None  # the thumbnail could not be written: the data disk is full
    changed: bool = False  # the file changed on disk since the scan hashed it: left for the next scan


class _Timed:
    """A decode job that records when a worker started it (for the per-file time budget)."""

    def __init__(self, file: FileRow, pre: Preprocessor, thumbs: ThumbnailCache | None) -> None:
        self.file, self.pre, self.thumbs = file, pre, thumbs
        self.started: float | None = None
        self.abandoned = threading.Event()

    def __call__(self) -> Prepared:
        if self.abandoned.is_set():
            return Prepared(self.file, None, None, "skipped")
        self.started = time.monotonic()
        return prepare(self.file, self.pre, self.thumbs)


def prepare(file: FileRow, pre: Preprocessor, thumbs: ThumbnailCache | None) -> Prepared:
    """Decode once (fast path), make the model tensor and the thumbnail from the same pixels."""
    try:
        need = thumbs.edge if thumbs is not None else 0
        decoded = pre.decode_fast(file.path, min_short_side=min(need, pre.draft_short_side * 2))
        if changed_since_scan(file):  # these pixels may not be the content the scan hashed
            return Prepared(file, None, None, changed=True)
        tensor = pre.to_tensor(decoded.image)
        thumb = None
        if thumbs is not None and file.content_hash and not thumbs.exists(file.content_hash):
            try:
                thumb = thumbs.store(file.content_hash, decoded.image)
            except OSError as e:  # the photo is fine; the thumbnail is made again on demand
                if e.errno in (errno.ENOSPC, errno.EDQUOT):
                    return Prepared(file, tensor, decoded, disk_full=e)
                log.warning("cannot write the thumbnail of %s: %s", file.path, e)
        return Prepared(file, tensor, decoded, thumb=thumb, phash=phash(decoded.image))
    except UnreadableImage as e:
        if changed_since_scan(file):  # a copy still being written, an edit being saved: not its last word
            return Prepared(file, None, None, changed=True)
        return Prepared(file, None, None, e.reason)
    except OSError as e:
        return Prepared(file, None, None, system_refused(e))
    except Exception:  # one bad file never stops the run
        log.exception("unexpected error preparing %s", file.path)
        return Prepared(
            file, None, None, "could not be read (an unexpected problem; the log has the details)"
        )


def changed_since_scan(file: FileRow) -> bool:
    """Whether ``file`` is no longer what the scan hashed (its size or modification time differ): what was
    just decoded must not be stored under the scan's content hash — a copy of that content elsewhere in the
    library would share the other picture's embedding and thumbnail for good. A file gone since is not
    "changed": it is listed as disappeared, and the next scan forgets it."""
    try:
        st = os.stat(file.path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) != (file.size, file.mtime_ns)


class Indexer:
    """Runs indexing work for an open, writable library."""

    def __init__(
        self,
        library: Library,
        *,
        batch_size: int = 16,
        decode_threads: int = 2,
        save_interval: float | None = None,
        model_id: str | None = None,
        file_budget: float | None = None,
    ) -> None:
        if not library.writable:
            raise PhotoSearchError("indexing needs the library opened for writing")
        self.library = library
        self.catalog = library.catalog
        self.batch_size = batch_size
        self.decode_threads = decode_threads
        self.save_interval = (
            setting_float(ENV_SAVE_INTERVAL, DEFAULT_SAVE_INTERVAL)
            if save_interval is None
            else save_interval
        )
        self.file_budget = (
            setting_float(ENV_FILE_BUDGET, DEFAULT_FILE_BUDGET) if file_budget is None else file_budget
        )
        self.model_id = model_id

    @property
    def runtime(self) -> ModelRuntime:
        return self.library.runtime(self.model_id)

    # -- steps ------------------------------------------------------------------------------------
    def scan(self, control: WorkControl | None = None, folders: list[int] | None = None) -> ScanReport:
        control = control or WorkControl()
        report = ScanReport()
        model_id = self.library.active_model_id() if self.model_id is None else self.model_id
        for folder in self.catalog.folders():
            if folders is not None and folder.id not in folders:
                continue
            if control.cancelled:
                break
            report.merge(
                reconcile_folder(self.catalog, folder, model_id, cancelled=lambda: control.cancelled)
            )
        return report

    def embed_pending(
        self,
        control: WorkControl | None = None,
        on_batch: Callable[[list[FileRow]], None] | None = None,
        files: list[FileRow] | None = None,
    ) -> Iterator[Progress]:
        """Embed every pending file (or ``files``, in that order). Yields progress after each batch."""
        control = control or WorkControl()
        rt = self.runtime
        vi = self.library.vector_index(rt.id)
        pending = self.catalog.pending_files() if files is None else files
        total = len(pending)
        done = errors = encoded = 0
        meter = RateMeter()
        last_save = time.monotonic()
        yield Progress("embedding", 0, total)
        from photosearch.indexing.variant_step import prepare_variant

        yield from prepare_variant(self.library, rt, pending, control, self.decode_threads)
        if not pending:
            return
        pre = rt.preprocessor
        thumbs = self.library.thumbs
        window: deque[tuple[_Timed, Future[Prepared]]] = deque()
        it = iter(pending)
        with ThreadPoolExecutor(self.decode_threads, thread_name_prefix="decode") as pool:

            def fill() -> None:
                while len(window) < self.batch_size * 2:
                    f = next(it, None)
                    if f is None:
                        return
                    job = _Timed(f, pre, thumbs)
                    window.append((job, pool.submit(job)))

            fill()
            rt.image.load()  # compile the model (seconds for a big one) while the first photos decode
            while window:
                if not control.checkpoint():
                    for _job, fut in window:
                        fut.cancel()
                    yield Progress("cancelled", done, total, errors=errors, encoded=encoded)
                    return
                batch: list[Prepared] = []
                while window and len(batch) < self.batch_size:
                    batch.append(self._result_within_budget(*window.popleft()))
                fill()  # keep decoding while the model runs
                full = next((p.disk_full for p in batch if p.disk_full is not None), None)
                if full is not None:
                    for _job, fut in window:
                        fut.cancel()
                    raise data_dir_error(self.library.paths.data_dir, full)
                n_enc, n_err = self._commit_batch(batch, rt, vi)
                encoded += n_enc
                errors += n_err
                done += len(batch)
                if on_batch:
                    on_batch([p.file for p in batch])
                if vi.dirty and time.monotonic() - last_save > self.save_interval:
                    self._save_index(vi)
                    last_save = time.monotonic()
                rate = meter.update(done)
                yield Progress(
                    "embedding",
                    done,
                    total,
                    rate=rate,
                    eta=RateMeter.eta(total - done, rate),
                    current=batch[-1].file.path,
                    errors=errors,
                    encoded=encoded,
                )

    def _result_within_budget(self, job: _Timed, fut: Future[Prepared]) -> Prepared:
        """The job's result, or a skip with a reason once it has run longer than the per-file budget.

        An abandoned decode keeps its worker until it returns (decoding is bounded by the pixel cap);
        its result is dropped and the file is recorded as skipped.
        """
        budget = self.file_budget
        while True:
            started = job.started
            if started is None:  # still queued behind other work: wait for it to start
                wait = budget
            else:
                wait = started + budget - time.monotonic()
            try:
                return fut.result(timeout=max(wait, 0.0))
            except FutureTimeout:
                if job.started is None and not fut.done():
                    continue
                if job.started is not None and time.monotonic() - job.started < budget:
                    continue
                job.abandoned.set()
                log.warning("abandoned %s: decoding took longer than %.0f s", job.file.path, budget)
                return Prepared(
                    job.file,
                    None,
                    None,
                    f"took longer than {budget:g} s to decode (per-file time budget); skipped",
                )

    def _save_index(self, vi: VectorIndex) -> None:
        try:
            vi.save(self.catalog)
        except OSError as e:
            raise data_dir_error(self.library.paths.data_dir, e) from e

    def _commit_batch(self, batch: list[Prepared], rt: ModelRuntime, vi: VectorIndex) -> tuple[int, int]:
        ok = [p for p in batch if p.tensor is not None]
        # one encoder run per distinct content (exact duplicates share an embedding)
        by_hash: dict[str, Prepared] = {}
        for p in ok:
            h = p.file.content_hash
            if h and h not in by_hash and self.catalog.embedding_id(h, rt.id) is None:
                by_hash[h] = p
        tensors = [p.tensor for p in by_hash.values() if p.tensor is not None]
        vecs = rt.image.encode_tensors(np.stack(tensors)) if tensors else None
        new_ids: list[int] = []
        new_vecs: list[np.ndarray] = []
        with self.catalog.transaction():
            for h, v in zip(by_hash, vecs if vecs is not None else [], strict=False):
                new_ids.append(self.catalog.put_embedding(h, rt.id, v))
                new_vecs.append(v)
            for p in batch:
                if p.changed:  # hashed again below, outside the transaction
                    continue
                if p.tensor is None or p.decoded is None:
                    self.catalog.set_file_error(p.file.id, p.error or "unreadable")
                    continue
                d = p.decoded
                self.catalog.set_file_indexed(
                    p.file.id,
                    fmt=d.format,
                    width=d.width,
                    height=d.height,
                    taken_at=d.taken_at,
                    phash=p.phash,
                )
                if p.thumb is not None and p.file.content_hash:
                    self.catalog.put_thumbnail(p.file.content_hash, *p.thumb)
        if new_ids:
            vi.add(np.asarray(new_ids, dtype=np.int64), np.stack(new_vecs))
        for p in batch:
            if p.changed:  # hashed again now, as the next scan would: pending under what is on disk now
                self._register_again(p.file, rt.id)
        for p in batch:
            if p.error:
                log.info("skipped %s: %s", p.file.path, p.error)
        return len(by_hash), sum(1 for p in batch if p.tensor is None and not p.changed)

    def _register_again(self, file: FileRow, model_id: str) -> None:
        try:
            st = os.stat(file.path)
        except OSError:
            return  # gone since: the next scan forgets it
        register_file(
            self.catalog, file.folder_id, DiskEntry(file.path, st.st_size, st.st_mtime_ns), model_id, old=file
        )

    def collect_garbage(self) -> tuple[int, int]:
        """Drop what no photo refers to any more: embeddings (from catalog and index) and thumbnails — the
        recorded ones and any file in the thumbnail folder whose content no photo has (left by a kill
        between writing a thumbnail and recording it, or made on demand by a reader) — then make the
        scheduled catalog backup if one is due."""
        orphans = self.catalog.orphan_embeddings()
        if orphans:
            self.catalog.delete_embeddings([i for i, _ in orphans])
            by_model: dict[str, list[int]] = {}
            for i, m in orphans:
                by_model.setdefault(m, []).append(i)
            for m, ids in by_model.items():
                vi = self.library.open_index_if_loaded(m)
                if vi is not None:
                    vi.delete(ids)
        thumbs = self.library.thumbs.clean_orphans(self.catalog)
        thumbs += sweep_thumbnails(self.catalog, self.library.paths.thumbs_dir)
        from photosearch.store.backup import backup_in_background

        # the writer goes on while it is copied (its own connection: WAL readers never block the writer)
        backup_in_background(self.library.paths.catalog, self.library.paths.data_dir, writer=self.catalog)
        return len(orphans), thumbs

    def save(self) -> None:
        rt = self.runtime
        vi = self.library.vector_index(rt.id)
        if vi.dirty or self.catalog.index_meta(rt.id) is None:
            self._save_index(vi)

    def run(
        self,
        control: WorkControl | None = None,
        *,
        before_cleanup: Callable[[WorkControl], Iterator[Progress]] | None = None,
    ) -> Iterator[Progress]:
        """Scan every folder, embed what is new, clean up, save. ``before_cleanup`` runs after the embedding
        (unless cancelled) and before the clean-up: ``photosearch index`` (app/index.py) continues a pending
        model switch there, so this floor never imports the switching code that runs it."""
        control = control or WorkControl()
        yield Progress("scanning", message="looking for new, changed and removed photos")
        report = self.scan(control)
        if control.cancelled:
            yield Progress("cancelled")
            return
        yield Progress("scanning", done=report.seen, total=report.seen, extra={"scan": report.__dict__})
        if (
            report.deleted or report.changed
        ):  # the photos are gone: their thumbnails go now, not after embedding
            self.library.thumbs.clean_orphans(self.catalog)
        _ = self.runtime  # raises ModelNotInstalled before any work when there is no model
        self.library.vector_index()  # open (or rebuild) before embedding
        last: Progress | None = None
        for p in self.embed_pending(control):
            last = p
            yield p
            if p.phase == "cancelled":
                break
        if before_cleanup is not None and not control.cancelled:
            yield from before_cleanup(control)
        gc_embeddings, gc_thumbs = self.collect_garbage()
        yield Progress("saving", message="saving the search index")
        self.save()
        from photosearch.store.backup import wait_for_backup

        wait_for_backup(self.library.paths.catalog)  # a scheduled backup started by the clean-up finishes
        final = Progress(
            "done" if not control.cancelled else "cancelled",
            done=last.done if last else 0,
            total=last.total if last else 0,
            errors=last.errors if last else 0,
            encoded=last.encoded if last else 0,
            extra={
                "scan": report.__dict__,
                "removed_embeddings": gc_embeddings,
                "removed_thumbnails": gc_thumbs,
            },
        )
        yield final


# A temporary thumbnail file older than this is a leftover of a killed writer (a live one takes ms).
STALE_TMP_SECONDS = 600.0


def sweep_thumbnails(catalog: Catalog, thumbs_dir: str | os.PathLike[str]) -> int:
    """Delete thumbnail files whose content hash no photo in the catalog has (and stale temporary ones).
    Returns how many were removed. Reads the folder once: ~0.2 s at 100k thumbnails."""
    if not os.path.isdir(thumbs_dir):
        return 0
    known = catalog.content_hashes()
    now = time.time()
    removed = 0
    for sub in os.scandir(thumbs_dir):
        if not sub.is_dir(follow_symlinks=False):
            continue
        for e in os.scandir(sub.path):
            name = e.name
            if name.startswith("."):
                try:
                    stale = (
                        name.endswith(".tmp")
                        and now - e.stat(follow_symlinks=False).st_mtime > STALE_TMP_SECONDS
                    )
                except OSError:
                    continue
                if not stale:
                    continue
            elif name.split(".")[0] in known:
                continue
            try:
                os.unlink(e.path)
                removed += 1
            except OSError:
                pass
    if removed:
        log.info("removed %d thumbnail files no photo refers to", removed)
    return removed
