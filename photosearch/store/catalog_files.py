"""The catalog's folders and files (a part of :class:`photosearch.store.catalog.Catalog`)."""

from __future__ import annotations

import os
import sqlite3
import time
import unicodedata
from collections.abc import Sequence

from photosearch.paths import path_inside
from photosearch.store.schema import (
    _FILE_COLS,
    FILE_STATUSES,
    FOLDER_STATES,
    CatalogBase,
    FileRow,
    FolderRow,
    _chunks,
    _file,
    _like_escape,
    _visible_where,
)


class FoldersAndFiles(CatalogBase):
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
            hashes = [
                r[0]
                for r in c.execute(
                    "SELECT DISTINCT content_hash FROM files WHERE folder_id = ? AND content_hash IS NOT NULL",
                    (folder_id,),
                )
            ]
            c.execute("DELETE FROM files WHERE folder_id = ?", (folder_id,))
            c.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
            _drop_unreferenced_text(c, hashes)
        return int(n)

    def rename_folder(self, folder_id: int, new_path: str) -> int:
        """Give an added folder another name for the same place (its real path), its files with it, in one
        transaction. Returns the number of files re-pointed."""
        row = self.folder(folder_id)
        assert row is not None
        old, new = row.path, os.path.normpath(new_path)
        rows = self.files_under(old)
        with self.transaction() as c:
            c.execute("UPDATE folders SET path=? WHERE id=?", (new, folder_id))
            for r in rows:
                c.execute("UPDATE files SET path=? WHERE id=?", (new + r.path[len(old) :], r.id))
        return len(rows)

    def folders(self) -> list[FolderRow]:
        return [
            FolderRow(*r)
            for r in self._q(
                "SELECT id, path, state, watch_mode, watch_note, added_at, last_scan_at, read_text FROM folders ORDER BY path"
            )
        ]

    def folder_by_path(self, path: str) -> FolderRow | None:
        rows = self._q(
            "SELECT id, path, state, watch_mode, watch_note, added_at, last_scan_at, read_text FROM folders "
            "WHERE path = ?",
            (os.path.normpath(path),),
        )
        return FolderRow(*rows[0]) if rows else None

    def folder(self, folder_id: int) -> FolderRow | None:
        rows = self._q(
            "SELECT id, path, state, watch_mode, watch_note, added_at, last_scan_at, read_text FROM folders "
            "WHERE id = ?",
            (folder_id,),
        )
        return FolderRow(*rows[0]) if rows else None

    def folder_containing(self, path: str) -> FolderRow | None:
        """The added folder whose tree holds ``path`` (the deepest one)."""
        path = os.path.normpath(path)
        best = None
        for f in self.folders():
            if path_inside(path, f.path):
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
        return {
            r[2]: _file(r)
            for r in self._q(f"SELECT {_FILE_COLS} FROM files WHERE folder_id = ?", (folder_id,))
        }

    def files_under(self, prefix: str) -> list[FileRow]:
        prefix = os.path.normpath(prefix)
        like = _like_escape(prefix.rstrip(os.sep) + os.sep) + "%"
        return [
            _file(r)
            for r in self._q(
                f"SELECT {_FILE_COLS} FROM files WHERE path = ? OR path LIKE ? ESCAPE '\\'", (prefix, like)
            )
        ]

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
        return [
            _file(r)
            for r in self._q(f"SELECT {_FILE_COLS} FROM files WHERE content_hash = ?", (content_hash,))
        ]

    def all_files(self, status: str | None = None) -> list[FileRow]:
        if status:
            return [
                _file(r)
                for r in self._q(f"SELECT {_FILE_COLS} FROM files WHERE status = ? ORDER BY path", (status,))
            ]
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
            (
                folder_id,
                os.path.normpath(path),
                size,
                mtime_ns,
                content_hash,
                fmt,
                width,
                height,
                taken_at,
                phash,
                status,
                error,
                time.time(),
            ),
        )
        return int(row[0])

    def set_file_indexed(
        self,
        file_id: int,
        *,
        fmt: str | None,
        width: int | None,
        height: int | None,
        taken_at: float | None,
        phash: int | None = None,
    ) -> None:
        self._x(
            "UPDATE files SET status='indexed', error=NULL, format=?, width=?, height=?, taken_at=?, "
            "phash=coalesce(?, phash), updated_at=? WHERE id=?",
            (fmt, width, height, taken_at, phash, time.time(), file_id),
        )

    def set_file_error(self, file_id: int, reason: str) -> None:
        self._x(
            "UPDATE files SET status='error', error=?, updated_at=? WHERE id=?",
            (reason, time.time(), file_id),
        )

    def move_file(self, old_path: str, new_path: str, folder_id: int) -> bool:
        """Re-point a file row at a new path (rename/move). Returns False when there was no row."""
        with self.transaction() as c:
            c.execute("DELETE FROM files WHERE path = ?", (os.path.normpath(new_path),))
            cur = c.execute(
                "UPDATE files SET path=?, folder_id=?, updated_at=? WHERE path=?",
                (os.path.normpath(new_path), folder_id, time.time(), os.path.normpath(old_path)),
            )
            return cur.rowcount > 0

    def move_tree(self, old_prefix: str, new_prefix: str, folder_id: int) -> int:
        """Re-point every file under ``old_prefix`` to ``new_prefix`` in one transaction (directory move)."""
        old_prefix = os.path.normpath(old_prefix)
        new_prefix = os.path.normpath(new_prefix)
        rows = self.files_under(old_prefix)
        with self.transaction() as c:
            for r in rows:
                new = new_prefix + r.path[len(old_prefix) :]
                c.execute("DELETE FROM files WHERE path = ? AND id != ?", (new, r.id))
                c.execute(
                    "UPDATE files SET path=?, folder_id=?, updated_at=? WHERE id=?",
                    (new, folder_id, time.time(), r.id),
                )
        return len(rows)

    def delete_files(self, ids: Sequence[int]) -> None:
        """Delete file rows; the text read in a photo goes with the last file that has its content."""
        with self.transaction() as c:
            for chunk in _chunks(list(ids), 500):
                marks = ",".join("?" * len(chunk))
                hashes = [
                    r[0]
                    for r in c.execute(
                        f"SELECT DISTINCT content_hash FROM files WHERE id IN ({marks}) "
                        "AND content_hash IS NOT NULL",
                        chunk,
                    )
                ]
                c.execute(f"DELETE FROM files WHERE id IN ({marks})", chunk)
                _drop_unreferenced_text(c, hashes)

    def pending_files(self, limit: int | None = None) -> list[FileRow]:
        sql = (
            f"SELECT {_FILE_COLS} FROM files f WHERE status='pending' AND folder_id IN "
            "(SELECT id FROM folders WHERE state='online') ORDER BY id"
        )
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

    # -- search by name (the file_names table, kept in step by triggers: store.schema, version 6) -------
    def visible_files_named(
        self,
        words: Sequence[str],
        limit: int = 5000,
        model_id: str | None = None,
        *,
        folder: str | None = None,
        date_from: float | None = None,
        date_to: float | None = None,
        formats: Sequence[str] | None = None,
        orientation: str | None = None,
        hidden_roots: Sequence[str] = (),
    ) -> list[tuple[FileRow, str, int | None]]:
        """(file, its added folder's path, its embedding id with ``model_id``) of visible files whose path *below*
        their added folder contains every one of ``words`` (case folded), at most ``limit``; with ``model_id``
        only the files embedded with that model (what its search covers). A candidate list, from the ``file_names`` trigram table
        (schema 6): words of three characters or more through its index, shorter ones by a scan of the
        candidates (SQLite's LIKE, which folds ASCII letters only: such a word comes in its case forms).
        ``photosearch.search.name_match`` decides what matches. The filters as ``_visible_where``'s, applied
        before ``limit`` (a filter never leaves a candidate list of files it then drops)."""
        conds: list[str] = []
        args: list = []
        long = [w for w in words if len(w) >= 3]
        if long:  # each word as composed and decomposed (a name written on macOS: "café" as "cafe" + U+0301)
            conds.append("n.name MATCH ?")
            args.append(
                " AND ".join(
                    "(" + " OR ".join('"' + x.replace('"', '""') + '"' for x in _unicode_forms(w)) + ")"
                    for w in long
                )
            )
        for w in words:
            if len(w) < 3:
                forms = list(
                    dict.fromkeys(
                        x for f in _unicode_forms(w) for x in (f, f.lower(), f.upper(), f.capitalize())
                    )
                )
                conds.append("(" + " OR ".join("n.name LIKE ? ESCAPE '\\'" for _ in forms) + ")")
                args += ["%" + _like_escape(x) + "%" for x in forms]
        where, wargs = _visible_where(folder, date_from, date_to, formats, orientation, hidden_roots)
        cols = ", ".join("f." + c.strip() for c in _FILE_COLS.split(","))
        embedded = (
            "JOIN embeddings e ON e.content_hash = f.content_hash AND e.model_id = ? " if model_id else ""
        )
        rows = self._q(
            # CROSS JOIN: the names first (the planner would walk every indexed file and run the full-text
            # query once per file otherwise — minutes at 100k)
            f"SELECT {cols}, d.path, {'e.id' if model_id else 'NULL'} FROM file_names n CROSS JOIN files f "
            f"ON f.id = n.rowid JOIN folders d ON d.id = f.folder_id {embedded}"
            f"WHERE {' AND '.join([*conds, where])} LIMIT ?",
            [*([model_id] if model_id else []), *args, *wargs, int(limit)],
        )
        return [(_file(r[:-2]), str(r[-2]), None if r[-1] is None else int(r[-1])) for r in rows]

    # -- the timeline and the grid's placeholders (read-only but for the colour backfill) -------------
    def month_counts(
        self,
        *,
        folder: str | None = None,
        date_from: float | None = None,
        date_to: float | None = None,
        formats: Sequence[str] | None = None,
        orientation: str | None = None,
        hidden_roots: Sequence[str] = (),
    ) -> list[tuple[int, int, int]]:
        """(year, month, count) of the visible files passing the filters, newest month first, by the date
        browsing orders by (taken, else modified), in local time; ``hidden_roots`` as ``_visible_where``."""
        cond, args = _visible_where(folder, date_from, date_to, formats, orientation, hidden_roots)
        rows = self._q(
            "SELECT strftime('%Y', t, 'unixepoch', 'localtime') AS y, "
            "strftime('%m', t, 'unixepoch', 'localtime') AS m, COUNT(*) FROM "
            f"(SELECT coalesce(f.taken_at, f.mtime_ns / 1e9) AS t FROM files f JOIN folders d "
            f"ON d.id=f.folder_id WHERE {cond}) GROUP BY y, m ORDER BY y DESC, m DESC",
            args,
        )
        return [(int(y), int(m), int(n)) for y, m, n in rows if y is not None]

    def thumbnail_colours(self, hashes: Sequence[str]) -> dict[str, int]:
        """The stored mean colour (0xRRGGBB) of those thumbnails that have one."""
        out: dict[str, int] = {}
        for chunk in _chunks(list(dict.fromkeys(hashes)), 500):
            marks = ",".join("?" * len(chunk))
            for h, rgb in self._q(
                f"SELECT content_hash, mean_rgb FROM thumbnails WHERE content_hash IN ({marks}) "
                "AND mean_rgb IS NOT NULL",
                chunk,
            ):
                out[h] = int(rgb)
        return out

    def set_thumbnail_colour(self, content_hash: str, mean_rgb: int) -> None:
        """Record a thumbnail's mean colour (thumbnails stored before colours were kept get it when shown)."""
        self._x("UPDATE thumbnails SET mean_rgb=? WHERE content_hash=?", (int(mean_rgb), content_hash))


def _unicode_forms(word: str) -> list[str]:
    """``word`` composed (NFC) and decomposed (NFD), once each: a file system keeps a name as it was written."""
    return list(dict.fromkeys([unicodedata.normalize("NFC", word), unicodedata.normalize("NFD", word)]))


def _drop_unreferenced_text(c: sqlite3.Connection, hashes: Sequence[str]) -> None:
    """Delete the stored text of those content hashes no file has any more (inside the caller's transaction)."""
    for chunk in _chunks(list(hashes), 500):
        marks = ",".join("?" * len(chunk))
        gone = [
            r[0]
            for r in c.execute(
                f"SELECT content_hash FROM photo_text t WHERE content_hash IN ({marks}) AND NOT EXISTS "
                "(SELECT 1 FROM files f WHERE f.content_hash = t.content_hash)",
                chunk,
            )
        ]
        if gone:
            m = ",".join("?" * len(gone))
            c.execute(f"DELETE FROM photo_text WHERE content_hash IN ({m})", gone)
            c.execute(f"DELETE FROM photo_text_fts WHERE content_hash IN ({m})", gone)
