"""The catalog: one SQLite file, owned by this class, the source of truth.

Folders, files, embeddings (keyed by content hash and model, so moved files keep theirs and two
models can coexist), the saved vector index of each model, thumbnails. The schema has a
``VERSION`` and stepwise migrations. Every state change is one transaction.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from photosearch.errors import CatalogCorrupt, CatalogError, CatalogMissing, DiskFull

log = logging.getLogger(__name__)

VERSION = 1

FOLDER_STATES = ("online", "offline", "paused")
FILE_STATUSES = ("pending", "indexed", "error")

_SCHEMA_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE folders (
    id           INTEGER PRIMARY KEY,
    path         TEXT NOT NULL UNIQUE,
    state        TEXT NOT NULL DEFAULT 'online' CHECK (state IN ('online', 'offline', 'paused')),
    watch_mode   TEXT NOT NULL DEFAULT 'events' CHECK (watch_mode IN ('events', 'polling')),
    watch_note   TEXT,
    added_at     REAL NOT NULL,
    last_scan_at REAL
);
CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    folder_id    INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path         TEXT NOT NULL UNIQUE,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    content_hash TEXT,
    format       TEXT,
    width        INTEGER,
    height       INTEGER,
    taken_at     REAL,
    phash        INTEGER,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'indexed', 'error')),
    error        TEXT,
    updated_at   REAL NOT NULL
);
CREATE INDEX files_folder ON files(folder_id);
CREATE INDEX files_hash ON files(content_hash);
CREATE INDEX files_status ON files(status);
CREATE INDEX files_taken ON files(taken_at);
CREATE TABLE embeddings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    content_hash TEXT NOT NULL,
    model_id     TEXT NOT NULL,
    vector       BLOB NOT NULL,
    created_at   REAL NOT NULL,
    UNIQUE (content_hash, model_id)
);
CREATE INDEX embeddings_model ON embeddings(model_id, id);
CREATE TABLE vector_indexes (
    model_id   TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    file       TEXT NOT NULL,
    high_water INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    checksum   TEXT NOT NULL,
    saved_at   REAL NOT NULL
);
CREATE TABLE thumbnails (
    content_hash TEXT PRIMARY KEY,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    created_at   REAL NOT NULL
);
"""

# Stepwise migrations: MIGRATIONS[n] takes a catalog from version n to n + 1.
MIGRATIONS: dict[int, str] = {0: _SCHEMA_V1}


@dataclass(frozen=True)
class FolderRow:
    id: int
    path: str
    state: str
    watch_mode: str
    watch_note: str | None
    added_at: float
    last_scan_at: float | None


@dataclass(frozen=True)
class FileRow:
    id: int
    folder_id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    format: str | None
    width: int | None
    height: int | None
    taken_at: float | None
    phash: int | None
    status: str
    error: str | None
    updated_at: float


@dataclass(frozen=True)
class IndexMeta:
    model_id: str
    generation: int
    file: str
    high_water: int
    count: int
    size: int
    checksum: str
    saved_at: float


_FILE_COLS = (
    "id, folder_id, path, size, mtime_ns, content_hash, format, width, height, taken_at, phash, status, error, "
    "updated_at"
)


def _file(row: Sequence) -> FileRow:
    return FileRow(*row)


def _is_disk_full(e: BaseException) -> bool:
    return isinstance(e, sqlite3.OperationalError) and "full" in str(e).lower() or (
        isinstance(e, OSError) and e.errno == 28
    )


class Catalog:
    """The one owner of the SQLite catalog."""

    FILENAME = "catalog.sqlite3"

    # Catalogs up to this size get a full ``PRAGMA quick_check`` when opened with ``check=True``.
    QUICK_CHECK_MAX_BYTES = 1 << 30

    # Beside the catalog, the library's folder list: with it there and the catalog gone, the catalog is
    # *missing* (an error: ``doctor --repair`` rebuilds it), not a new library to start empty.
    FOLDERS_FILE = "folders.json"
    MISSING = ("the catalog is missing; run `photosearch doctor --repair` to rebuild it from your folders")

    def __init__(self, path: str | Path, *, readonly: bool = False, check: bool = False,
                 create: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.create = create  # make a new catalog even where one is missing (doctor's rebuild)
        # why this catalog cannot be changed (a read-only data folder), or None
        self.cannot_update: str | None = None
        self._lock = threading.RLock()
        self._conn = self._connect()
        try:
            self._check_at_open(full=check)
        except BaseException:
            with contextlib.suppress(Exception):
                self._conn.close()
            raise

    def _check_at_open(self, full: bool) -> None:
        """Detect a damaged catalog now, with a clear message, not halfway through some later change.

        Always: read the schema and touch every table (catches garbage over the header or the first
        pages). With ``full`` (the writer's open): ``PRAGMA quick_check`` on catalogs up to 1 GiB.
        """
        try:
            names = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            for table in ("meta", "folders", "files", "embeddings", "vector_indexes", "thumbnails"):
                if table not in names:
                    raise sqlite3.DatabaseError(f"table {table} is missing")
                self._conn.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
            if full and self.path.exists() and self.path.stat().st_size <= self.QUICK_CHECK_MAX_BYTES:
                rows = self._conn.execute("PRAGMA quick_check").fetchall()
                bad = [r[0] for r in rows if r[0] != "ok"]
                if bad:
                    raise sqlite3.DatabaseError("; ".join(bad[:3]))
        except sqlite3.DatabaseError as e:
            if _is_disk_full(e):
                raise DiskFull(f"the disk holding {self.path.parent} is full") from e
            raise self._corrupt(e) from e

    # -- opening, schema ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        exists = self.path.exists()
        if not exists and not self.create and (self.path.parent / self.FOLDERS_FILE).is_file():
            raise CatalogMissing(self.MISSING)
        if self.readonly and not exists:
            raise CatalogError(f"no catalog at {self.path} (add a folder and index it first)")
        if exists and not os.access(self.path.parent, os.W_OK):
            return self._connect_read_only()
        try:
            if not exists:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.readonly:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    log.warning("catalog journal mode is %s, not WAL", mode)
                conn.execute("PRAGMA synchronous = NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as e:
            if _is_disk_full(e):
                raise DiskFull(f"the disk holding {self.path.parent} is full") from e
            if exists and ("readonly" in str(e).lower() or "unable to open" in str(e).lower()):
                return self._connect_read_only()
            if "readonly" in str(e).lower() or "unable to open" in str(e).lower():
                raise CatalogError(f"cannot open the catalog {self.path}: {e}") from e
            raise self._corrupt(e) from e
        if version > VERSION:
            conn.close()
            raise CatalogError(
                f"the catalog {self.path} was written by a newer PhotoSearch (schema {version}, this one reads "
                f"{VERSION}); upgrade PhotoSearch"
            )
        if version < VERSION:
            if self.readonly:
                conn.close()
                raise CatalogError(f"the catalog {self.path} needs upgrading; run 'photosearch index' once")
            self._migrate(conn, version)
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        """A read-only data folder: SQLite cannot make its WAL index (``-shm``) there, so open read-only,
        and where even that fails, as an immutable file (a snapshot: nobody can be writing it here)."""
        self.cannot_update = (f"the data folder {self.path.parent} is read-only: searching works, but nothing can "
                              "be indexed or changed")
        last: Exception | None = None
        for query in ("mode=ro", "immutable=1"):
            try:
                conn = sqlite3.connect(f"file:{self.path}?{query}", uri=True, timeout=30.0, isolation_level=None,
                                       check_same_thread=False)
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as e:
                last = e
                continue
            if version != VERSION:
                conn.close()
                raise CatalogError(f"the catalog {self.path} has schema {version}, this PhotoSearch reads {VERSION}, "
                                   "and the data folder is read-only so it cannot be upgraded")
            log.warning("%s", self.cannot_update)
            return conn
        raise CatalogError(f"cannot open the catalog {self.path} (read-only data folder): {last}")

    def _corrupt(self, e: BaseException) -> CatalogCorrupt:
        return CatalogCorrupt(
            f"the catalog {self.path} is damaged ({e}); run 'photosearch doctor --repair': it keeps the "
            "damaged file aside and rebuilds the catalog by rescanning your folders (stored embeddings that "
            "cannot be salvaged are lost, so those photos are indexed again)"
        )

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        while version < VERSION:
            script = MIGRATIONS[version]
            log.info("migrating catalog %s from schema %d to %d", self.path, version, version + 1)
            try:
                conn.execute("BEGIN IMMEDIATE")
                for stmt in script.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
                conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as e:
                conn.execute("ROLLBACK")
                if _is_disk_full(e):
                    raise DiskFull(f"the disk holding {self.path.parent} is full") from e
                raise CatalogError(f"cannot upgrade the catalog {self.path}: {e}") from e
            version += 1

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(Exception):
                self._conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic state change. Nested use joins the outer transaction."""
        with self._lock:
            conn = self._conn
            if conn.in_transaction:
                yield conn
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise self._map_error(e) from e
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as e:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.DatabaseError):
                    raise self._map_error(e) from e
                raise

    def _map_error(self, e: sqlite3.DatabaseError) -> Exception:
        if _is_disk_full(e):
            return DiskFull(f"the disk holding {self.path.parent} is full: free some space and try again")
        msg = str(e).lower()
        if "readonly" in msg or "read-only" in msg:
            return CatalogError(f"the data folder {self.path.parent} is read-only")
        if "malformed" in msg or "not a database" in msg or "corrupt" in msg:
            return self._corrupt(e)
        return CatalogError(f"catalog error: {e}")

    def _q(self, sql: str, args: Iterable = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(args)).fetchall()
            except sqlite3.DatabaseError as e:
                raise self._map_error(e) from e

    def _x(self, sql: str, args: Iterable = ()) -> sqlite3.Cursor:
        """Execute one write (inside or outside a transaction: outside, it is its own transaction)."""
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(args))
            except sqlite3.DatabaseError as e:
                raise self._map_error(e) from e

    def _x_one(self, sql: str, args: Iterable = ()) -> tuple:
        """Execute one write with ``RETURNING`` and fetch its row (SQLite does the write while the row is
        fetched, so a full disk or damage surfaces there and must be mapped too)."""
        with self._lock:
            try:
                return tuple(self._conn.execute(sql, tuple(args)).fetchone())
            except sqlite3.DatabaseError as e:
                raise self._map_error(e) from e

    def integrity_check(self, quick: bool = True) -> list[str]:
        rows = self._q("PRAGMA quick_check" if quick else "PRAGMA integrity_check")
        problems = [r[0] for r in rows if r[0] != "ok"]
        return problems

    @property
    def schema_version(self) -> int:
        return int(self._q("PRAGMA user_version")[0][0])

    # -- meta -------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction() as c:
            if value is None:
                c.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                c.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                          (key, value))

    # -- folders ------------------------------------------------------------------------------
    def add_folder(self, path: str) -> FolderRow:
        path = os.path.normpath(path)
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)", (path, time.time()))
        row = self.folder_by_path(path)
        assert row is not None
        return row

    def remove_folder(self, folder_id: int) -> int:
        """Remove a folder and its files. Returns the number of files removed."""
        with self.transaction() as c:
            n = c.execute("SELECT COUNT(*) FROM files WHERE folder_id = ?", (folder_id,)).fetchone()[0]
            c.execute("DELETE FROM files WHERE folder_id = ?", (folder_id,))
            c.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
        return int(n)

    def folders(self) -> list[FolderRow]:
        return [FolderRow(*r) for r in self._q(
            "SELECT id, path, state, watch_mode, watch_note, added_at, last_scan_at FROM folders ORDER BY path")]

    def folder_by_path(self, path: str) -> FolderRow | None:
        rows = self._q("SELECT id, path, state, watch_mode, watch_note, added_at, last_scan_at FROM folders "
                       "WHERE path = ?", (os.path.normpath(path),))
        return FolderRow(*rows[0]) if rows else None

    def folder(self, folder_id: int) -> FolderRow | None:
        rows = self._q("SELECT id, path, state, watch_mode, watch_note, added_at, last_scan_at FROM folders "
                       "WHERE id = ?", (folder_id,))
        return FolderRow(*rows[0]) if rows else None

    def folder_containing(self, path: str) -> FolderRow | None:
        """The added folder whose tree holds ``path`` (the deepest one)."""
        path = os.path.normpath(path)
        best = None
        for f in self.folders():
            if path == f.path or path.startswith(f.path.rstrip(os.sep) + os.sep):
                if best is None or len(f.path) > len(best.path):
                    best = f
        return best

    def set_folder_state(self, folder_id: int, state: str) -> None:
        if state not in FOLDER_STATES:
            raise ValueError(state)
        self._x("UPDATE folders SET state = ? WHERE id = ?", (state, folder_id))

    def set_folder_watch(self, folder_id: int, mode: str, note: str | None = None) -> None:
        self._x("UPDATE folders SET watch_mode = ?, watch_note = ? WHERE id = ?", (mode, note, folder_id))

    def set_folder_scanned(self, folder_id: int, when: float | None = None) -> None:
        self._x("UPDATE folders SET last_scan_at = ? WHERE id = ?", (when or time.time(), folder_id))

    # -- files ----------------------------------------------------------------------------------
    def files_in_folder(self, folder_id: int) -> dict[str, FileRow]:
        return {r[2]: _file(r) for r in self._q(f"SELECT {_FILE_COLS} FROM files WHERE folder_id = ?", (folder_id,))}

    def files_under(self, prefix: str) -> list[FileRow]:
        prefix = os.path.normpath(prefix)
        like = _like_escape(prefix.rstrip(os.sep) + os.sep) + "%"
        return [_file(r) for r in self._q(
            f"SELECT {_FILE_COLS} FROM files WHERE path = ? OR path LIKE ? ESCAPE '\\'", (prefix, like))]

    def file_by_path(self, path: str) -> FileRow | None:
        rows = self._q(f"SELECT {_FILE_COLS} FROM files WHERE path = ?", (os.path.normpath(path),))
        return _file(rows[0]) if rows else None

    def files_by_ids(self, ids: Sequence[int]) -> list[FileRow]:
        out: list[FileRow] = []
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            out += [_file(r) for r in self._q(f"SELECT {_FILE_COLS} FROM files WHERE id IN ({marks})", chunk)]
        return out

    def files_by_hash(self, content_hash: str) -> list[FileRow]:
        return [_file(r) for r in self._q(f"SELECT {_FILE_COLS} FROM files WHERE content_hash = ?", (content_hash,))]

    def all_files(self, status: str | None = None) -> list[FileRow]:
        if status:
            return [_file(r) for r in self._q(f"SELECT {_FILE_COLS} FROM files WHERE status = ? ORDER BY path",
                                              (status,))]
        return [_file(r) for r in self._q(f"SELECT {_FILE_COLS} FROM files ORDER BY path")]

    def upsert_file(
        self,
        folder_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        *,
        content_hash: str | None,
        status: str,
        error: str | None = None,
        fmt: str | None = None,
        width: int | None = None,
        height: int | None = None,
        taken_at: float | None = None,
        phash: int | None = None,
    ) -> int:
        row = self._x_one(
            "INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, format, width, height, taken_at, phash,"
            " status, error, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(path) DO UPDATE SET folder_id=excluded.folder_id, size=excluded.size, "
            "mtime_ns=excluded.mtime_ns, content_hash=excluded.content_hash, "
            "format=coalesce(excluded.format, files.format), width=coalesce(excluded.width, files.width), "
            "height=coalesce(excluded.height, files.height), taken_at=coalesce(excluded.taken_at, files.taken_at),"
            " phash=coalesce(excluded.phash, files.phash), status=excluded.status, error=excluded.error, "
            "updated_at=excluded.updated_at RETURNING id",
            (folder_id, os.path.normpath(path), size, mtime_ns, content_hash, fmt, width, height, taken_at, phash,
             status, error, time.time()),
        )
        return int(row[0])

    def set_file_indexed(
        self, file_id: int, *, fmt: str | None, width: int | None, height: int | None, taken_at: float | None,
        phash: int | None = None,
    ) -> None:
        self._x("UPDATE files SET status='indexed', error=NULL, format=?, width=?, height=?, taken_at=?, "
                "phash=coalesce(?, phash), updated_at=? WHERE id=?",
                (fmt, width, height, taken_at, phash, time.time(), file_id))

    def set_file_error(self, file_id: int, reason: str) -> None:
        self._x("UPDATE files SET status='error', error=?, updated_at=? WHERE id=?", (reason, time.time(), file_id))

    def move_file(self, old_path: str, new_path: str, folder_id: int) -> bool:
        """Re-point a file row at a new path (rename/move). Returns False when there was no row."""
        with self.transaction() as c:
            c.execute("DELETE FROM files WHERE path = ?", (os.path.normpath(new_path),))
            cur = c.execute("UPDATE files SET path=?, folder_id=?, updated_at=? WHERE path=?",
                            (os.path.normpath(new_path), folder_id, time.time(), os.path.normpath(old_path)))
            return cur.rowcount > 0

    def move_tree(self, old_prefix: str, new_prefix: str, folder_id: int) -> int:
        """Re-point every file under ``old_prefix`` to ``new_prefix`` in one transaction (directory move)."""
        old_prefix = os.path.normpath(old_prefix)
        new_prefix = os.path.normpath(new_prefix)
        rows = self.files_under(old_prefix)
        with self.transaction() as c:
            for r in rows:
                new = new_prefix + r.path[len(old_prefix):]
                c.execute("DELETE FROM files WHERE path = ? AND id != ?", (new, r.id))
                c.execute("UPDATE files SET path=?, folder_id=?, updated_at=? WHERE id=?",
                          (new, folder_id, time.time(), r.id))
        return len(rows)

    def delete_files(self, ids: Sequence[int]) -> None:
        with self.transaction() as c:
            for chunk in _chunks(list(ids), 500):
                c.execute(f"DELETE FROM files WHERE id IN ({','.join('?' * len(chunk))})", chunk)

    def pending_files(self, limit: int | None = None) -> list[FileRow]:
        sql = (f"SELECT {_FILE_COLS} FROM files f WHERE status='pending' AND folder_id IN "
               "(SELECT id FROM folders WHERE state='online') ORDER BY id")
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_file(r) for r in self._q(sql)]

    def counts_by_status(self) -> dict[str, int]:
        counts = dict.fromkeys(FILE_STATUSES, 0)
        for status, n in self._q("SELECT status, COUNT(*) FROM files GROUP BY status"):
            counts[status] = int(n)
        return counts

    def errors(self, limit: int | None = None) -> list[FileRow]:
        sql = f"SELECT {_FILE_COLS} FROM files WHERE status='error' ORDER BY path"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_file(r) for r in self._q(sql)]

    # -- embeddings -----------------------------------------------------------------------------
    def embedding_id(self, content_hash: str, model_id: str) -> int | None:
        rows = self._q("SELECT id FROM embeddings WHERE content_hash=? AND model_id=?", (content_hash, model_id))
        return int(rows[0][0]) if rows else None

    def put_embedding(self, content_hash: str, model_id: str, vector: np.ndarray) -> int:
        blob = np.asarray(vector, dtype="<f4").tobytes()
        row = self._x_one(
            "INSERT INTO embeddings(content_hash, model_id, vector, created_at) VALUES (?,?,?,?) "
            "ON CONFLICT(content_hash, model_id) DO UPDATE SET vector=excluded.vector RETURNING id",
            (content_hash, model_id, blob, time.time()),
        )
        return int(row[0])

    def embeddings(self, model_id: str, after_id: int = 0, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of the model's embeddings with id > ``after_id``, in id order."""
        rows = self._q("SELECT id, vector FROM embeddings WHERE model_id=? AND id>? ORDER BY id", (model_id, after_id))
        return _unpack(rows, dim)

    def embeddings_by_ids(self, ids: Sequence[int], dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        rows: list[tuple] = []
        for chunk in _chunks(list(ids), 500):
            rows += self._q(f"SELECT id, vector FROM embeddings WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        return _unpack(rows, dim)

    def embedding_for_hash(self, content_hash: str, model_id: str) -> np.ndarray | None:
        rows = self._q("SELECT vector FROM embeddings WHERE content_hash=? AND model_id=?", (content_hash, model_id))
        return np.frombuffer(rows[0][0], dtype="<f4").copy() if rows else None

    def embedding_ids(self, model_id: str) -> np.ndarray:
        return np.array([r[0] for r in self._q("SELECT id FROM embeddings WHERE model_id=?", (model_id,))],
                        dtype=np.int64)

    def max_embedding_id(self, model_id: str) -> int:
        return int(self._q("SELECT coalesce(max(id), 0) FROM embeddings WHERE model_id=?", (model_id,))[0][0])

    def count_embeddings(self, model_id: str) -> int:
        return int(self._q("SELECT COUNT(*) FROM embeddings WHERE model_id=?", (model_id,))[0][0])

    def models_with_embeddings(self) -> dict[str, int]:
        return {m: int(n) for m, n in self._q("SELECT model_id, COUNT(*) FROM embeddings GROUP BY model_id")}

    def orphan_embeddings(self) -> list[tuple[int, str]]:
        """(id, model_id) of embeddings no file refers to any more."""
        return [(int(i), m) for i, m in self._q(
            "SELECT id, model_id FROM embeddings e WHERE NOT EXISTS "
            "(SELECT 1 FROM files f WHERE f.content_hash = e.content_hash)")]

    def delete_embeddings(self, ids: Sequence[int]) -> None:
        with self.transaction() as c:
            for chunk in _chunks(list(ids), 500):
                c.execute(f"DELETE FROM embeddings WHERE id IN ({','.join('?' * len(chunk))})", chunk)

    def delete_model_embeddings(self, model_id: str) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM embeddings WHERE model_id=?", (model_id,))
            c.execute("DELETE FROM vector_indexes WHERE model_id=?", (model_id,))

    def hashes_missing_embedding(self, model_id: str) -> list[str]:
        """Content hashes of indexed files with no embedding for ``model_id`` (model switching)."""
        return [r[0] for r in self._q(
            "SELECT DISTINCT f.content_hash FROM files f WHERE f.status='indexed' AND f.content_hash IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash=f.content_hash AND e.model_id=?)",
            (model_id,))]

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
                "AND d.state != 'offline'", chunk,
            ):
                out.append((int(r[0]), _file(r[1:])))
        return out

    def visible_labels(self, model_id: str, *, folder: str | None = None, date_from: float | None = None,
                       date_to: float | None = None, formats: Sequence[str] | None = None,
                       orientation: str | None = None) -> np.ndarray:
        """Embedding ids of ``model_id`` having at least one visible file that passes these filters
        (folder subtree, date-taken range, file formats, orientation); ``None`` doesn't filter."""
        cond, args = _visible_where(folder, date_from, date_to, formats, orientation)
        rows = self._q("SELECT DISTINCT e.id FROM embeddings e JOIN files f ON f.content_hash = e.content_hash "
                       f"JOIN folders d ON d.id = f.folder_id WHERE e.model_id = ? AND {cond}", [model_id, *args])
        return np.array([r[0] for r in rows], dtype=np.int64)

    def set_file_phash(self, file_id: int, phash: int) -> None:
        """Record a file's 64-bit perceptual hash (stored as a signed SQLite integer)."""
        self._x("UPDATE files SET phash=? WHERE id=?", (int(phash), file_id))

    def label_for_file(self, path: str, model_id: str) -> int | None:
        rows = self._q("SELECT e.id FROM files f JOIN embeddings e ON e.content_hash=f.content_hash "
                       "WHERE f.path=? AND e.model_id=?", (os.path.normpath(path), model_id))
        return int(rows[0][0]) if rows else None

    def change_counter(self) -> tuple[int, int]:
        """Changes so far: (``PRAGMA data_version`` — other connections' commits, this connection's
        ``total_changes``). Equal values mean nothing changed, so derived counts can be cached."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0]), int(self._conn.total_changes)

    def visible_count(self) -> int:
        return int(self._q("SELECT COUNT(*) FROM files f JOIN folders d ON d.id=f.folder_id "
                           "WHERE f.status='indexed' AND d.state != 'offline'")[0][0])

    def browse_visible(self, offset: int = 0, limit: int = 200, *, folder: str | None = None,
                       date_from: float | None = None, date_to: float | None = None,
                       formats: Sequence[str] | None = None,
                       orientation: str | None = None) -> tuple[list[FileRow], int]:
        """One page of the visible files (indexed, folder not offline), newest first by date taken (else
        modification time), and how many match in all. Browsing the library with an empty query."""
        cond, args = _visible_where(folder, date_from, date_to, formats, orientation)
        base = f"FROM files f JOIN folders d ON d.id=f.folder_id WHERE {cond}"
        total = int(self._q(f"SELECT COUNT(*) {base}", args)[0][0])
        cols = ", ".join("f." + c.strip() for c in _FILE_COLS.split(","))
        rows = self._q(f"SELECT {cols} {base} ORDER BY coalesce(f.taken_at, f.mtime_ns / 1e9) DESC, f.path "
                       "LIMIT ? OFFSET ?", [*args, int(limit), int(offset)])
        return [_file(r) for r in rows], total

    # -- vector index bookkeeping -----------------------------------------------------------------
    def index_meta(self, model_id: str) -> IndexMeta | None:
        rows = self._q("SELECT model_id, generation, file, high_water, count, size, checksum, saved_at "
                       "FROM vector_indexes WHERE model_id=?", (model_id,))
        return IndexMeta(*rows[0]) if rows else None

    def set_index_meta(self, meta: IndexMeta) -> None:
        self._x(
            "INSERT INTO vector_indexes(model_id, generation, file, high_water, count, size, checksum, saved_at) "
            "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(model_id) DO UPDATE SET generation=excluded.generation, "
            "file=excluded.file, high_water=excluded.high_water, count=excluded.count, size=excluded.size, "
            "checksum=excluded.checksum, saved_at=excluded.saved_at",
            (meta.model_id, meta.generation, meta.file, meta.high_water, meta.count, meta.size, meta.checksum,
             meta.saved_at),
        )

    def clear_index_meta(self, model_id: str) -> None:
        self._x("DELETE FROM vector_indexes WHERE model_id=?", (model_id,))

    # -- thumbnails -------------------------------------------------------------------------------
    def put_thumbnail(self, content_hash: str, width: int, height: int, nbytes: int) -> None:
        self._x("INSERT OR REPLACE INTO thumbnails(content_hash, width, height, bytes, created_at) "
                "VALUES (?,?,?,?,?)", (content_hash, width, height, nbytes, time.time()))

    def has_thumbnail(self, content_hash: str) -> bool:
        return bool(self._q("SELECT 1 FROM thumbnails WHERE content_hash=?", (content_hash,)))

    def content_hashes(self) -> set[str]:
        """Every content hash a file row has (what derived data may belong to)."""
        return {r[0] for r in self._q("SELECT DISTINCT content_hash FROM files WHERE content_hash IS NOT NULL")}

    def orphan_thumbnails(self) -> list[str]:
        return [r[0] for r in self._q("SELECT content_hash FROM thumbnails t WHERE NOT EXISTS "
                                      "(SELECT 1 FROM files f WHERE f.content_hash = t.content_hash)")]

    def delete_thumbnails(self, hashes: Sequence[str]) -> None:
        with self.transaction() as c:
            for chunk in _chunks(list(hashes), 500):
                c.execute(f"DELETE FROM thumbnails WHERE content_hash IN ({','.join('?' * len(chunk))})", chunk)

    # -- maintenance ------------------------------------------------------------------------------
    def backup_to(self, dest: Path) -> None:
        with self._lock:
            target = sqlite3.connect(str(dest))
            try:
                self._conn.backup(target)
            finally:
                target.close()


def set_aside_damaged(path: Path) -> Path:
    """Move a damaged catalog (and its WAL files) aside; return where it went."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.name}.damaged-{stamp}")
    shutil.move(str(path), str(dest))
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            shutil.move(str(side), str(dest) + suffix)
    return dest


def _unpack(rows: list[tuple], dim: int | None) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, dim or 0), np.float32)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vecs = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1).astype(np.float32)
    return ids, vecs


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _visible_where(folder: str | None, date_from: float | None, date_to: float | None,
                   formats: Sequence[str] | None, orientation: str | None) -> tuple[str, list]:
    """SQL condition (over ``files f`` joined with ``folders d``) for visible files passing the filters."""
    where = ["f.status = 'indexed'", "d.state != 'offline'"]
    args: list = []
    if folder is not None:
        root = os.path.normpath(folder)
        where.append("(f.path = ? OR f.path LIKE ? ESCAPE '\\')")
        args += [root, _like_escape(root.rstrip(os.sep) + os.sep) + "%"]
    if date_from is not None:
        where.append("f.taken_at >= ?")
        args.append(date_from)
    if date_to is not None:
        where.append("f.taken_at <= ?")
        args.append(date_to)
    if formats is not None:
        where.append(f"coalesce(f.format, '') IN ({','.join('?' * len(formats))})" if formats else "0")
        args += list(formats)
    if orientation is not None:
        op = {"landscape": ">", "portrait": "<", "square": "="}.get(orientation)
        if op is None:
            raise CatalogError(f"unknown orientation {orientation!r}")
        where.append(f"f.width > 0 AND f.height > 0 AND f.width {op} f.height")
    return " AND ".join(where), args
