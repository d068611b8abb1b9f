"""The vector index: one hnswlib index per model, on disk — a cache of the catalog's embeddings.

* Saved atomically (write to a temporary file, fsync, rename, fsync the folder), then recorded in
  the catalog (generation, size, checksum, high-water embedding id) in one transaction.
* Checked before loading: the file the catalog names must exist with the recorded size and CRC-32;
  hnswlib can crash on a malformed file, so a file that fails is never handed to it.
* Missing, stale or damaged → rebuilt from the stored embeddings (no model run).
* Readers also search, exactly, the embeddings committed after the saved index (the "delta").
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from photosearch.store.catalog import Catalog, IndexMeta

log = logging.getLogger(__name__)

M = 16
EF_CONSTRUCTION = 200
# Search breadth: 256 gives Recall@10 ≥ 0.99 vs exact at 100k on clustered vectors with queries offset
# from the clusters (benchmarks/bench_query.py), ~1.5 ms; bigger libraries search wider (see ef_for).
EF_SEARCH_MIN = 256
_GROW = 1.5


def checksum_file(path: Path, algorithm: str = "xxh3", chunk: int = 1 << 22) -> str:
    """``"<algorithm>:<hex>"`` of a file. xxh3 (xxhash) runs at memory speed, so checking a 200 MB index
    before every load costs ~40 ms; "crc32" is still understood for catalogs that recorded it."""
    if algorithm == "crc32":
        crc = 0
        with open(path, "rb") as f:
            while block := f.read(chunk):
                crc = zlib.crc32(block, crc)
        return f"crc32:{crc:08x}"
    h = xxhash.xxh3_64()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return f"xxh3:{h.hexdigest()}"


def crc32_file(path: Path) -> str:
    return checksum_file(path, "crc32")


def ef_for(n: int) -> int:
    """hnswlib's search breadth for an index of ``n`` elements: EF_SEARCH_MIN up to 100k, growing a little
    faster than n beyond (≈ 3200 at 1M) to keep recall as the graph gets bigger.

    Measured on the 1M benchmark library (M 16, ef_construction 200, 500 queries offset from the
    clusters): Recall@10 0.964 at ef 809 (√n growth), 0.981 at 2400, 0.982 at 3200 (≈ 14 ms per query
    on one core)."""
    return EF_SEARCH_MIN if n <= 100_000 else int(EF_SEARCH_MIN * (n / 100_000) ** 1.1)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(str(path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _safe_name(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", model_id)


def index_file_problem(directory: Path, meta: IndexMeta) -> str | None:
    """Why the index file the catalog names can't be trusted (missing, wrong size, bad checksum), or None.
    Checked before hnswlib ever sees the file: it can crash on a malformed one."""
    path = directory / meta.file
    if not path.is_file():
        return f"index file {meta.file} is missing"
    size = path.stat().st_size
    if size != meta.size:
        return (
            f"index file {meta.file} has {size} bytes, the catalog recorded {meta.size} (truncated or stale)"
        )
    if checksum_file(path, meta.checksum.partition(":")[0]) != meta.checksum:
        return f"index file {meta.file} fails its checksum (damaged)"
    return None


class VectorIndex:
    """An hnswlib index over one model's L2-normalised embeddings (inner product = cosine)."""

    def __init__(self, directory: str | Path, model_id: str, dim: int) -> None:
        self.directory = Path(directory)
        self.model_id = model_id
        self.dim = dim
        self._index: Any = None  # hnswlib.Index (no type stubs)
        self.high_water = 0  # largest embedding id in the in-memory index
        self.generation = 0  # generation of the file last loaded or saved
        self.dirty = False
        self.rebuilt_reason: str | None = None
        self._lock = threading.RLock()

    # -- construction ---------------------------------------------------------------------------
    def _new(self, capacity: int) -> Any:  # hnswlib has no stubs
        import hnswlib

        idx = hnswlib.Index(space="ip", dim=self.dim)
        idx.init_index(
            max_elements=max(capacity, 1024),
            ef_construction=EF_CONSTRUCTION,
            M=M,
            allow_replace_deleted=False,
        )
        idx.set_num_threads(max(1, os.cpu_count() or 1))
        idx.set_ef(EF_SEARCH_MIN)
        return idx

    def file_for(self, generation: int) -> Path:
        return self.directory / f"{_safe_name(self.model_id)}.g{generation}.hnsw"

    @classmethod
    def open(
        cls,
        catalog: Catalog,
        directory: str | Path,
        model_id: str,
        dim: int,
        *,
        writer: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> VectorIndex:
        """Load the saved index if it passes its checks; otherwise rebuild it from the catalog.

        A writer also brings the index up to date with the catalog (adds newer rows, drops deleted
        ones) and saves it when rebuilt. A reader leaves newer rows to the exact delta search.
        """
        vi = cls(directory, model_id, dim)
        meta = catalog.index_meta(model_id)
        reason = vi._try_load(meta, headroom=writer)
        if reason is not None:
            level = logging.INFO if meta is None else logging.WARNING
            log.log(level, "vector index for %s: %s; rebuilding from stored embeddings", model_id, reason)
            vi.rebuild(catalog, progress=progress)
            vi.rebuilt_reason = reason
            if writer:
                vi.save(catalog)
        elif writer:
            vi.sync(catalog)
        return vi

    def _try_load(self, meta: IndexMeta | None, headroom: bool = True) -> str | None:
        """Load the file the catalog names, after checking it. Returns why it could not, or None."""
        if meta is None:
            return "no saved index"
        problem = index_file_problem(self.directory, meta)
        if problem is not None:
            return problem
        path = self.directory / meta.file
        import hnswlib

        idx = hnswlib.Index(space="ip", dim=self.dim)
        try:
            # a reader never adds (newer rows are searched exactly): no growth room, ~1/3 less memory
            capacity = int(meta.count * _GROW) + 1024 if headroom else meta.count
            idx.load_index(str(path), max_elements=max(capacity, 1))
        except Exception as e:
            return f"index file {meta.file} cannot be loaded ({e})"
        if idx.dim != self.dim:
            return f"index file {meta.file} has dimension {idx.dim}, the model {self.dim}"
        idx.set_num_threads(max(1, os.cpu_count() or 1))
        idx.set_ef(EF_SEARCH_MIN)
        self._index = idx
        self.high_water = meta.high_water
        self.generation = meta.generation
        return None

    def rebuild(
        self, catalog: Catalog, progress: Callable[[int, int], None] | None = None, chunk: int = 10_000
    ) -> None:
        ids, vecs = catalog.embeddings(self.model_id, dim=self.dim)
        with self._lock:
            self._index = self._new(int(len(ids) * _GROW) + 1024)
            self.high_water = 0
            meta = catalog.index_meta(self.model_id)
            self.generation = meta.generation if meta else 0
            for start in range(0, len(ids), chunk):
                self._add_locked(ids[start : start + chunk], vecs[start : start + chunk])
                if progress:
                    progress(min(start + chunk, len(ids)), len(ids))
            self.dirty = True

    def sync(self, catalog: Catalog) -> tuple[int, int]:
        """Writer: add rows newer than the index, drop labels whose rows are gone. Returns (added, dropped)."""
        ids, vecs = catalog.embeddings(self.model_id, after_id=self.high_water, dim=self.dim)
        with self._lock:
            self._add_locked(ids, vecs)
            live = set(catalog.embedding_ids(self.model_id).tolist())
            stale = [int(x) for x in self._labels_locked() if int(x) not in live]
            dropped = self._delete_locked(stale)
            if len(ids) or dropped:
                self.dirty = True
        return len(ids), dropped

    # -- changes -------------------------------------------------------------------------------------
    def _labels_locked(self) -> np.ndarray:
        """Every label in the index, including ones marked deleted."""
        if self._index is None:
            return np.zeros(0, np.int64)
        return np.asarray(self._index.get_ids_list(), dtype=np.int64)

    def _add_locked(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        if len(ids) == 0:
            return
        if self._index is None:
            self._index = self._new(int(len(ids) * _GROW) + 1024)
        need = self._index.get_current_count() + len(ids)
        if need > self._index.get_max_elements():
            self._index.resize_index(int(need * _GROW) + 1024)
        self._index.add_items(
            np.ascontiguousarray(vecs, dtype=np.float32),
            np.asarray(ids, dtype=np.int64),
            replace_deleted=False,
        )
        self.high_water = max(self.high_water, int(np.max(ids)))

    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        with self._lock:
            self._add_locked(ids, vecs)
            self.dirty = True

    def _delete_locked(self, labels: list[int]) -> int:
        """Mark labels deleted; returns how many were live (already-deleted or unknown ones are skipped)."""
        if self._index is None:
            return 0
        n = 0
        for label in labels:
            try:
                self._index.mark_deleted(int(label))
                n += 1
            except RuntimeError:
                pass
        return n

    def delete(self, labels: list[int]) -> None:
        with self._lock:
            if self._delete_locked(labels):
                self.dirty = True

    @property
    def stored(self) -> int:
        """Elements held, including ones marked deleted."""
        with self._lock:
            return 0 if self._index is None else int(self._index.get_current_count())

    # -- saving ----------------------------------------------------------------------------------------
    def save(self, catalog: Catalog) -> IndexMeta:
        """Write the index atomically and record it in the catalog. Older generations are removed."""
        with self._lock:
            if self._index is None:
                self._index = self._new(1024)
            self.directory.mkdir(parents=True, exist_ok=True)
            meta_before = catalog.index_meta(self.model_id)
            generation = max(self.generation, meta_before.generation if meta_before else 0) + 1
            final = self.file_for(generation)
            tmp = final.with_name(final.name + ".tmp")
            try:
                self._index.save_index(str(tmp))
                expected = int(self._index.index_file_size())
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
            count = int(self._index.get_current_count())
            high_water = self.high_water
        try:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            size = tmp.stat().st_size
            if size != expected:
                # hnswlib does not report write errors (a full disk leaves a short file): never record one
                raise OSError(
                    errno.ENOSPC,
                    f"the index file was written short ({size} of {expected} bytes); is the disk full?",
                )
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        checksum = checksum_file(tmp)
        os.replace(tmp, final)
        _fsync_dir(self.directory)
        meta = IndexMeta(
            self.model_id, generation, final.name, high_water, count, size, checksum, time.time()
        )
        catalog.set_index_meta(meta)
        self.generation = generation
        self.dirty = False
        self._remove_old_files(keep=final.name)
        return meta

    def _remove_old_files(self, keep: str) -> None:
        prefix = _safe_name(self.model_id) + ".g"
        for p in self.directory.glob(prefix + "*"):
            if p.name != keep:
                with contextlib.suppress(OSError):
                    p.unlink()

    # -- search ------------------------------------------------------------------------------------------
    def search(
        self, query: np.ndarray, k: int, *, ef: int | None = None, filter: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (labels, cosine scores) for each query row: shape (n_queries, ≤k)."""
        q = np.atleast_2d(np.asarray(query, dtype=np.float32))
        with self._lock:
            idx = self._index
            n = 0 if idx is None else int(idx.get_current_count())
            if idx is None or n == 0 or k <= 0:
                return np.zeros((len(q), 0), np.int64), np.zeros((len(q), 0), np.float32)
            k = min(k, n)
            idx.set_ef(max(ef_for(n), 2 * k))
            if ef:
                idx.set_ef(max(ef, k))
            try:
                labels, dists = idx.knn_query(q, k=k, filter=filter) if filter else idx.knn_query(q, k=k)
            except RuntimeError:
                # fewer than k live elements (deletions/filter): ask for what exists
                labels, dists = self._knn_shrinking(idx, q, k, filter)
        return labels.astype(np.int64), (1.0 - dists).astype(np.float32)

    @staticmethod
    def _knn_shrinking(
        idx: Any, q: np.ndarray, k: int, filter: Callable[[int], bool] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The most results hnswlib can give, fewer than ``k``: its count includes labels marked deleted (and a
        filter leaves fewer), and it refuses a k it cannot fill. Found by bisection (halving k instead, 20
        asked of 19 live photos gave 10)."""
        best = np.zeros((len(q), 0), np.uint64), np.zeros((len(q), 0), np.float32)
        lo, hi = 0, k  # lo: a k known to work (0 trivially); hi: one known to fail
        while hi - lo > 1:
            mid = (lo + hi) // 2
            try:
                best = idx.knn_query(q, k=mid, filter=filter) if filter else idx.knn_query(q, k=mid)
                lo = mid
            except RuntimeError:
                hi = mid
        return best

    def get_vectors(self, labels: list[int]) -> np.ndarray:
        with self._lock:
            assert self._index is not None
            return np.asarray(self._index.get_items(labels), dtype=np.float32)


def exact_search(
    query: np.ndarray, ids: np.ndarray, vecs: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force top-k by inner product (used for the small delta and as the evaluation baseline)."""
    q = np.atleast_2d(np.asarray(query, dtype=np.float32))
    if len(ids) == 0 or k <= 0:
        return np.zeros((len(q), 0), np.int64), np.zeros((len(q), 0), np.float32)
    scores = q @ vecs.T
    k = min(k, len(ids))
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-top, axis=1)
    sel = np.take_along_axis(part, order, axis=1)
    return ids[sel], np.take_along_axis(scores, sel, axis=1).astype(np.float32)
