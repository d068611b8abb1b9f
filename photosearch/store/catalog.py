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
from collections.abc import Iterable, Iterator
from pathlib import Path

from photosearch.errors import CatalogCorrupt, CatalogError, CatalogMissing, DiskFull, PhotoSearchError
from photosearch.store.catalog_files import FoldersAndFiles
from photosearch.store.catalog_meta import PhotoMetas
from photosearch.store.catalog_text import PhotoTexts
from photosearch.store.catalog_vectors import EmbeddingsAndSearch
from photosearch.store.grow import cannot_grow
from photosearch.store.schema import (  # noqa: F401 - re-exported: the catalog's public names
    FILE_STATUSES,
    FOLDER_STATES,
    MIGRATIONS,
    VERSION,
    FileRow,
    FolderRow,
    IndexMeta,
    _is_disk_full,
    statements,
)

log = logging.getLogger(__name__)


class Catalog(FoldersAndFiles, EmbeddingsAndSearch, PhotoTexts, PhotoMetas):
    """The one owner of the SQLite catalog."""

    FILENAME = "catalog.sqlite3"

    # Catalogs up to this size get a full ``PRAGMA quick_check`` when opened with ``check=True``.
    QUICK_CHECK_MAX_BYTES = 1 << 30

    # Beside the catalog, the library's folder list: with it there and the catalog gone, the catalog is
    # *missing* (an error: ``doctor --repair`` rebuilds it), not a new library to start empty.
    FOLDERS_FILE = "folders.json"
    MISSING = "the catalog is missing; run `photosearch doctor --repair` to rebuild it from your folders"

    def __init__(
        self, path: str | Path, *, readonly: bool = False, check: bool = False, create: bool = False
    ) -> None:
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
            raise (cannot_grow(self.path, e) or self._corrupt(e)) from e

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
            conn = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
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
            # a file-size limit below the WAL's shared-memory file: not damage (a repair would lose work)
            raise (cannot_grow(self.path, e) or self._corrupt(e)) from e
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
        self.cannot_update = (
            f"the data folder {self.path.parent} is read-only: searching works, but nothing can "
            "be indexed or changed"
        )
        last: Exception | None = None
        for query in ("mode=ro", "immutable=1"):
            try:
                conn = sqlite3.connect(
                    f"file:{self.path}?{query}",
                    uri=True,
                    timeout=30.0,
                    isolation_level=None,
                    check_same_thread=False,
                )
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.DatabaseError as e:
                last = e
                continue
            if version != VERSION:
                conn.close()
                raise CatalogError(
                    f"the catalog {self.path} has schema {version}, this PhotoSearch reads {VERSION}, "
                    "and the data folder is read-only so it cannot be upgraded"
                )
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
                for stmt in statements(script):  # a trigger's body has semicolons of its own
                    conn.execute(stmt)
                conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as e:
                # a COMMIT that met a full disk has been rolled back by SQLite already: a ROLLBACK then
                # raises "cannot rollback - no transaction is active" and hides the real error
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise (
                    self._write_refused(e) or CatalogError(f"cannot upgrade the catalog {self.path}: {e}")
                ) from e
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
    def automatic_checkpoints_paused(self) -> Iterator[None]:
        """This connection's automatic WAL checkpoints off for the block (restored after), set between
        transactions: while another connection holds a long read snapshot (a backup), what is committed
        meanwhile cannot be checkpointed, and the first commit after it would checkpoint it all inside the
        commit. Best effort: a connection that cannot change it is left as it is."""
        try:
            with self._lock:
                before = int(self._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
                self._conn.execute("PRAGMA wal_autocheckpoint = 0")
        except sqlite3.Error:
            yield
            return
        try:
            yield
        finally:
            with contextlib.suppress(sqlite3.Error), self._lock:
                self._conn.execute(f"PRAGMA wal_autocheckpoint = {before}")

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

    def _write_refused(self, e: sqlite3.DatabaseError) -> PhotoSearchError | None:
        """A write the disk refused, in words: full, or SQLite's "disk I/O error" (a file-size limit, a full
        disk, a failing one); None for other errors."""
        if _is_disk_full(e):
            return DiskFull(f"the disk holding {self.path.parent} is full: free some space and try again")
        return cannot_grow(self.path, e)

    def _map_error(self, e: sqlite3.DatabaseError) -> Exception:
        refused = self._write_refused(e)
        if refused is not None:
            return refused
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
                c.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

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
