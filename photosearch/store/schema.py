"""The catalog's schema and rows: ``VERSION``, the stepwise ``MIGRATIONS``, the row types, and the SQL
helpers the catalog's parts share. (``photosearch.store.catalog`` re-exports what callers use.)"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from photosearch.errors import CatalogError

VERSION = 7

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

# Version 2: the text read in photos (one row per content hash: lines as JSON — text, confidence, box —,
# when, and how it went: read / none (no text found) / failed / too-slow), an FTS5 trigram index over
# ``photosearch.text.match.index_form`` of that text (one row per content hash), and a per-folder switch
# for reading text.
_SCHEMA_V2 = """
CREATE TABLE photo_text (
    content_hash TEXT PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('read', 'none', 'failed', 'too-slow')),
    lines        TEXT NOT NULL DEFAULT '[]',
    read_at      REAL NOT NULL,
    seconds      REAL NOT NULL DEFAULT 0
);
CREATE VIRTUAL TABLE photo_text_fts USING fts5(content_hash UNINDEXED, body, tokenize='trigram');
ALTER TABLE folders ADD COLUMN read_text INTEGER NOT NULL DEFAULT 1
"""

# Version 3: what each photo's metadata says (``photosearch.store.catalog_meta``): one row per content hash —
# taken time (local wall clock, UTC offset, zone, where it came from), camera, lens, exposure, GPS position and
# altitude, and the place it was assigned (country code, region, city; empty without a position).
_SCHEMA_PHOTO_META = """
CREATE TABLE photo_meta (
    content_hash   TEXT PRIMARY KEY,
    taken_local    TEXT,
    utc_offset_min INTEGER,
    time_zone      TEXT,
    time_source    TEXT,
    make           TEXT,
    model          TEXT,
    lens           TEXT,
    focal_mm       REAL,
    focal_35mm     REAL,
    f_number       REAL,
    exposure_s     REAL,
    iso            INTEGER,
    latitude       REAL,
    longitude      REAL,
    altitude_m     REAL,
    country_code   TEXT,
    region         TEXT,
    city           TEXT,
    read_at        REAL NOT NULL
);
CREATE INDEX photo_meta_place ON photo_meta(country_code, region, city);
CREATE INDEX photo_meta_camera ON photo_meta(make, model);
CREATE INDEX photo_meta_taken ON photo_meta(taken_local)
"""

# Version 4: each thumbnail's mean colour (0xRRGGBB), the placeholder the grid paints while it loads.
_SCHEMA_V4_MEAN_RGB = "ALTER TABLE thumbnails ADD COLUMN mean_rgb INTEGER"

# Version 5: albums taught by example (``photosearch.store.catalog_albums``): names and their examples by
# content hash (liked: members, disliked: not)
_SCHEMA_V5_ALBUMS = """
CREATE TABLE IF NOT EXISTS albums (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS album_examples (
    album_id     INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    liked        INTEGER NOT NULL CHECK (liked IN (0, 1)),
    PRIMARY KEY (album_id, content_hash)
)
"""

# Version 6: the files' names for search by name (``photosearch.search.name_match``): each file's path below its
# added folder, in an FTS5 trigram table (rowid = files.id; substrings, case folded), kept in step with ``files``
# and ``folders`` by triggers — so every insert, rename, move and delete, from any code, updates it — and filled
# from the files already there. Self-contained (IF NOT EXISTS; a step of its own).
_FILE_NAME_REL = "substr({f}.path, length(rtrim({d}.path, '/\\')) + 2)"
_SCHEMA_V6_FILE_NAMES = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS file_names USING fts5(name, tokenize='trigram');
DELETE FROM file_names;
INSERT INTO file_names(rowid, name)
    SELECT f.id, {_FILE_NAME_REL.format(f="f", d="d")} FROM files f JOIN folders d ON d.id = f.folder_id;
CREATE TRIGGER IF NOT EXISTS file_names_insert AFTER INSERT ON files BEGIN
    INSERT INTO file_names(rowid, name)
        SELECT NEW.id, {_FILE_NAME_REL.format(f="NEW", d="d")} FROM folders d WHERE d.id = NEW.folder_id;
END;
CREATE TRIGGER IF NOT EXISTS file_names_update AFTER UPDATE OF path, folder_id ON files BEGIN
    DELETE FROM file_names WHERE rowid = OLD.id;
    INSERT INTO file_names(rowid, name)
        SELECT NEW.id, {_FILE_NAME_REL.format(f="NEW", d="d")} FROM folders d WHERE d.id = NEW.folder_id;
END;
CREATE TRIGGER IF NOT EXISTS file_names_delete AFTER DELETE ON files BEGIN
    DELETE FROM file_names WHERE rowid = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS file_names_folder AFTER UPDATE OF path ON folders BEGIN
    DELETE FROM file_names WHERE rowid IN (SELECT id FROM files WHERE folder_id = NEW.id);
    INSERT INTO file_names(rowid, name)
        SELECT f.id, {_FILE_NAME_REL.format(f="f", d="NEW")} FROM files f WHERE f.folder_id = NEW.id;
END
"""

# Version 7: an album example's views' vectors (``photosearch.store.catalog_albums``; the photo mirrored, moved,
# zoomed: ``photosearch.search.views``), a cache keyed by (content hash, model id) so that listing an album never
# decodes or encodes its examples again; kinds: which views (their numbers, "0,1,2"); views NULL: the photo could
# not be read when they were made (no views).
_SCHEMA_V7_EXAMPLE_VIEWS = """
CREATE TABLE IF NOT EXISTS album_example_views (
    content_hash TEXT NOT NULL,
    model_id     TEXT NOT NULL,
    kinds        TEXT NOT NULL,
    n_views      INTEGER NOT NULL,
    views        BLOB,
    made_at      REAL NOT NULL,
    PRIMARY KEY (content_hash, model_id)
)
"""

# Stepwise migrations: MIGRATIONS[n] takes a catalog from version n to n + 1.
MIGRATIONS: dict[int, str] = {
    0: _SCHEMA_V1,
    1: _SCHEMA_V2,
    2: _SCHEMA_PHOTO_META,
    3: _SCHEMA_V4_MEAN_RGB,
    4: _SCHEMA_V5_ALBUMS,
    5: _SCHEMA_V6_FILE_NAMES,
    6: _SCHEMA_V7_EXAMPLE_VIEWS,
}


def statements(script: str) -> Iterator[str]:
    """The SQL statements of a migration script, one by one (split at the semicolons that end a statement, not
    at those inside a trigger's body)."""
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \t\n;"):
                yield buf
            buf = ""
    if buf.strip(" \t\n;"):
        yield buf


@dataclass(frozen=True)
class FolderRow:
    id: int
    path: str
    state: str
    watch_mode: str
    watch_note: str | None
    added_at: float
    last_scan_at: float | None
    read_text: bool = True  # the second indexing pass reads the words in its photos

    def __post_init__(self) -> None:
        object.__setattr__(self, "read_text", bool(self.read_text))


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
    return (
        isinstance(e, sqlite3.OperationalError)
        and "full" in str(e).lower()
        or (isinstance(e, OSError) and e.errno == 28)
    )


class CatalogBase:
    """What the catalog's parts (folders and files, embeddings and search) rely on; ``Catalog`` provides
    it."""

    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _q(self, sql: str, args: Iterable = ()) -> list[tuple]:
        raise NotImplementedError

    def _x(self, sql: str, args: Iterable = ()) -> sqlite3.Cursor:
        raise NotImplementedError

    def _x_one(self, sql: str, args: Iterable = ()) -> tuple:
        raise NotImplementedError

    def transaction(self) -> Any:
        raise NotImplementedError


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


def _visible_where(
    folder: str | None,
    date_from: float | None,
    date_to: float | None,
    formats: Sequence[str] | None,
    orientation: str | None,
    hidden_roots: Sequence[str] = (),
) -> tuple[str, list]:
    """SQL condition (over ``files f`` joined with ``folders d``) for visible files passing the filters;
    ``hidden_roots``: added folders (their paths) whose files are left out too (not there now)."""
    where = ["f.status = 'indexed'", "d.state != 'offline'"]
    args: list = []
    if hidden_roots:
        where.append(f"d.path NOT IN ({','.join('?' * len(hidden_roots))})")
        args += list(hidden_roots)
    if folder is not None:
        root = os.path.normpath(folder)
        where.append("(f.path = ? OR f.path LIKE ? ESCAPE '\\')")
        args += [root, _like_escape(root.rstrip(os.sep) + os.sep) + "%"]
    # the date a photo is shown and sorted under: taken, else the file's time (FileRow.date)
    if date_from is not None:
        where.append("coalesce(f.taken_at, f.mtime_ns / 1e9) >= ?")
        args.append(date_from)
    if date_to is not None:
        where.append("coalesce(f.taken_at, f.mtime_ns / 1e9) <= ?")
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
