"""The catalog's embeddings, search support, saved-index bookkeeping and thumbnails (a part of
:class:`photosearch.store.catalog.Catalog`)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import numpy as np

from photosearch.store.schema import (
    _FILE_COLS,
    CatalogBase,
    FileRow,
    IndexMeta,
    _chunks,
    _file,
    _unpack,
    _visible_where,
)


class EmbeddingsAndSearch(CatalogBase):
    # -- embeddings -----------------------------------------------------------------------------
    def embedding_id(self, content_hash: str, model_id: str) -> int | None:
        rows = self._q(
            "SELECT id FROM embeddings WHERE content_hash=? AND model_id=?", (content_hash, model_id)
        )
        return int(rows[0][0]) if rows else None

    def put_embedding(self, content_hash: str, model_id: str, vector: np.ndarray) -> int:
        blob = np.asarray(vector, dtype="<f4").tobytes()
        row = self._x_one(
            "INSERT INTO embeddings(content_hash, model_id, vector, created_at) VALUES (?,?,?,?) "
            "ON CONFLICT(content_hash, model_id) DO UPDATE SET vector=excluded.vector RETURNING id",
            (content_hash, model_id, blob, time.time()),
        )
        return int(row[0])

    def embeddings(
        self, model_id: str, after_id: int = 0, dim: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the model's embeddings with id > ``after_id``, in id order."""
        rows = self._q(
            "SELECT id, vector FROM embeddings WHERE model_id=? AND id>? ORDER BY id", (model_id, after_id)
        )
        return _unpack(rows, dim)

    def embeddings_by_ids(self, ids: Sequence[int], dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        rows: list[tuple] = []
        for chunk in _chunks(list(ids), 500):
            rows += self._q(
                f"SELECT id, vector FROM embeddings WHERE id IN ({','.join('?' * len(chunk))})", chunk
            )
        return _unpack(rows, dim)

    def embedding_for_hash(self, content_hash: str, model_id: str) -> np.ndarray | None:
        rows = self._q(
            "SELECT vector FROM embeddings WHERE content_hash=? AND model_id=?", (content_hash, model_id)
        )
        return np.frombuffer(rows[0][0], dtype="<f4").copy() if rows else None

    def embedding_ids(self, model_id: str) -> np.ndarray:
        return np.array(
            [r[0] for r in self._q("SELECT id FROM embeddings WHERE model_id=?", (model_id,))], dtype=np.int64
        )

    def max_embedding_id(self, model_id: str) -> int:
        return int(self._q("SELECT coalesce(max(id), 0) FROM embeddings WHERE model_id=?", (model_id,))[0][0])

    def count_embeddings(self, model_id: str) -> int:
        return int(self._q("SELECT COUNT(*) FROM embeddings WHERE model_id=?", (model_id,))[0][0])

    def models_with_embeddings(self) -> dict[str, int]:
        return {m: int(n) for m, n in self._q("SELECT model_id, COUNT(*) FROM embeddings GROUP BY model_id")}

    def orphan_embeddings(self) -> list[tuple[int, str]]:
        """(id, model_id) of embeddings no file refers to any more."""
        return [
            (int(i), m)
            for i, m in self._q(
                "SELECT id, model_id FROM embeddings e WHERE NOT EXISTS "
                "(SELECT 1 FROM files f WHERE f.content_hash = e.content_hash)"
            )
        ]

    def delete_embeddings(self, ids: Sequence[int]) -> None:
        with self.transaction() as c:
            for chunk in _chunks(list(ids), 500):
                c.execute(f"DELETE FROM embeddings WHERE id IN ({','.join('?' * len(chunk))})", chunk)

    def delete_model_embeddings(self, model_id: str) -> None:
        """Forget a model's vectors (its package is removed). An indexed photo left with no vector of any
        model is pending again: the next model embeds it (else 'index' would find nothing to do, and no
        search would ever find it)."""
        with self.transaction() as c:
            c.execute("DELETE FROM embeddings WHERE model_id=?", (model_id,))
            c.execute("DELETE FROM vector_indexes WHERE model_id=?", (model_id,))
            c.execute(
                "UPDATE files SET status='pending' WHERE status='indexed' AND (content_hash IS NULL OR NOT "
                "EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash=files.content_hash))"
            )

    def hashes_missing_embedding(self, model_id: str) -> list[str]:
        """Content hashes of indexed files with no embedding for ``model_id`` (model switching)."""
        return [
            r[0]
            for r in self._q(
                "SELECT DISTINCT f.content_hash FROM files f WHERE f.status='indexed' AND f.content_hash IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash=f.content_hash AND e.model_id=?)",
                (model_id,),
            )
        ]

    # -- search support -------------------------------------------------------------------------
    def visible_files_for_labels(self, labels: Sequence[int]) -> list[tuple[int, FileRow]]:
        """(label, file) for files whose content has one of these embedding ids, indexed, in online or
        paused folders. One label may give several files (exact duplicates)."""
        out: list[tuple[int, FileRow]] = []
        cols = ", ".join("f." + c.strip() for c in _FILE_COLS.split(","))
        for chunk in _chunks(list(labels), 500):
            marks = ",".join("?" * len(chunk))
            for r in self._q(
                # "+f.status": don't let the planner use files_status (it would walk every indexed file
                # per label — seconds at 100k); look the labels up, then their files by content hash
                f"SELECT e.id, {cols} FROM embeddings e JOIN files f ON f.content_hash = e.content_hash "
                f"JOIN folders d ON d.id = f.folder_id WHERE e.id IN ({marks}) AND +f.status='indexed' "
                "AND d.state != 'offline'",
                chunk,
            ):
                out.append((int(r[0]), _file(r[1:])))
        return out

    def visible_labels(
        self,
        model_id: str,
        *,
        folder: str | None = None,
        date_from: float | None = None,
        date_to: float | None = None,
        formats: Sequence[str] | None = None,
        orientation: str | None = None,
        hidden_roots: Sequence[str] = (),
    ) -> np.ndarray:
        """Embedding ids of ``model_id`` having at least one visible file that passes these filters
        (folder subtree, date-taken range, file formats, orientation); ``None`` doesn't filter."""
        cond, args = _visible_where(folder, date_from, date_to, formats, orientation, hidden_roots)
        rows = self._q(
            "SELECT DISTINCT e.id FROM embeddings e JOIN files f ON f.content_hash = e.content_hash "
            f"JOIN folders d ON d.id = f.folder_id WHERE e.model_id = ? AND {cond}",
            [model_id, *args],
        )
        return np.array([r[0] for r in rows], dtype=np.int64)

    def set_file_phash(self, file_id: int, phash: int) -> None:
        """Record a file's 64-bit perceptual hash (stored as a signed SQLite integer)."""
        self._x("UPDATE files SET phash=? WHERE id=?", (int(phash), file_id))

    def label_for_file(self, path: str, model_id: str) -> int | None:
        rows = self._q(
            "SELECT e.id FROM files f JOIN embeddings e ON e.content_hash=f.content_hash "
            "WHERE f.path=? AND e.model_id=?",
            (os.path.normpath(path), model_id),
        )
        return int(rows[0][0]) if rows else None

    def change_counter(self) -> tuple[int, int]:
        """Changes so far: (``PRAGMA data_version`` — other connections' commits, this connection's
        ``total_changes``). Equal values mean nothing changed, so derived counts can be cached."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0]), int(self._conn.total_changes)

    def visible_count(self) -> int:
        return int(
            self._q(
                "SELECT COUNT(*) FROM files f JOIN folders d ON d.id=f.folder_id "
                "WHERE f.status='indexed' AND d.state != 'offline'"
            )[0][0]
        )

    def browse_visible(
        self,
        offset: int = 0,
        limit: int = 200,
        *,
        folder: str | None = None,
        date_from: float | None = None,
        date_to: float | None = None,
        formats: Sequence[str] | None = None,
        orientation: str | None = None,
        hidden_roots: Sequence[str] = (),
    ) -> tuple[list[FileRow], int]:
        """One page of the visible files (indexed, folder not offline), newest first by date taken (else
        modification time), and how many match in all. Browsing the library with an empty query."""
        cond, args = _visible_where(folder, date_from, date_to, formats, orientation, hidden_roots)
        base = f"FROM files f JOIN folders d ON d.id=f.folder_id WHERE {cond}"
        total = int(self._q(f"SELECT COUNT(*) {base}", args)[0][0])
        cols = ", ".join("f." + c.strip() for c in _FILE_COLS.split(","))
        rows = self._q(
            f"SELECT {cols} {base} ORDER BY coalesce(f.taken_at, f.mtime_ns / 1e9) DESC, f.path "
            "LIMIT ? OFFSET ?",
            [*args, int(limit), int(offset)],
        )
        return [_file(r) for r in rows], total

    # -- vector index bookkeeping -----------------------------------------------------------------
    def index_meta(self, model_id: str) -> IndexMeta | None:
        rows = self._q(
            "SELECT model_id, generation, file, high_water, count, size, checksum, saved_at "
            "FROM vector_indexes WHERE model_id=?",
            (model_id,),
        )
        return IndexMeta(*rows[0]) if rows else None

    def set_index_meta(self, meta: IndexMeta) -> None:
        self._x(
            "INSERT INTO vector_indexes(model_id, generation, file, high_water, count, size, checksum, saved_at) "
            "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(model_id) DO UPDATE SET generation=excluded.generation, "
            "file=excluded.file, high_water=excluded.high_water, count=excluded.count, size=excluded.size, "
            "checksum=excluded.checksum, saved_at=excluded.saved_at",
            (
                meta.model_id,
                meta.generation,
                meta.file,
                meta.high_water,
                meta.count,
                meta.size,
                meta.checksum,
                meta.saved_at,
            ),
        )

    def clear_index_meta(self, model_id: str) -> None:
        self._x("DELETE FROM vector_indexes WHERE model_id=?", (model_id,))

    # -- thumbnails -------------------------------------------------------------------------------
    def put_thumbnail(
        self, content_hash: str, width: int, height: int, nbytes: int, mean_rgb: int | None = None
    ) -> None:
        self._x(
            "INSERT OR REPLACE INTO thumbnails(content_hash, width, height, bytes, created_at, mean_rgb) "
            "VALUES (?,?,?,?,?,?)",
            (content_hash, width, height, nbytes, time.time(), mean_rgb),
        )

    def has_thumbnail(self, content_hash: str) -> bool:
        return bool(self._q("SELECT 1 FROM thumbnails WHERE content_hash=?", (content_hash,)))

    def content_hashes(self) -> set[str]:
        """Every content hash a file row has (what derived data may belong to)."""
        return {
            r[0] for r in self._q("SELECT DISTINCT content_hash FROM files WHERE content_hash IS NOT NULL")
        }

    def orphan_thumbnails(self) -> list[str]:
        return [
            r[0]
            for r in self._q(
                "SELECT content_hash FROM thumbnails t WHERE NOT EXISTS "
                "(SELECT 1 FROM files f WHERE f.content_hash = t.content_hash)"
            )
        ]

    def delete_thumbnails(self, hashes: Sequence[str]) -> None:
        with self.transaction() as c:
            for chunk in _chunks(list(hashes), 500):
                c.execute(
                    f"DELETE FROM thumbnails WHERE content_hash IN ({','.join('?' * len(chunk))})", chunk
                )
