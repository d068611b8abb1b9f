"""The text read in photos (a part of :class:`photosearch.store.catalog.Catalog`).

One row per content hash in ``photo_text`` (so a moved or renamed photo keeps its text and costs no second
reading): the lines as JSON (text, confidence, box in full-image pixels), when it was read and how it went
(``read``, ``none`` — detection found nothing —, ``failed``, ``too-slow``). ``photo_text_fts`` (FTS5,
``tokenize='trigram'``) holds the searchable form of the text, one row per content hash. Plain SQL only: a
text search never imports the OCR package.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from photosearch.store.schema import _FILE_COLS, CatalogBase, FileRow, _chunks, _file, _visible_where

TEXT_STATUSES = ("read", "none", "failed", "too-slow")


class TextQueryLike(Protocol):
    """What the catalog needs of ``photosearch.text.match.TextQuery`` (storage does not import it)."""

    def fts_expression(self) -> str | None: ...

    def like_patterns(self) -> list[str]: ...


@dataclass(frozen=True)
class StoredLine:
    text: str
    confidence: float
    box: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class PhotoText:
    content_hash: str
    status: str
    lines: tuple[StoredLine, ...]
    read_at: float
    seconds: float

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def _lines_json(lines: Sequence[StoredLine]) -> str:
    return json.dumps(
        [{"text": x.text, "confidence": x.confidence, "box": [list(p) for p in x.box]} for x in lines],
        ensure_ascii=False,
    )


def _lines_of(raw: str) -> tuple[StoredLine, ...]:
    try:
        items = json.loads(raw)
    except ValueError:
        return ()
    out = []
    for it in items if isinstance(items, list) else ():
        try:
            box = tuple((float(p[0]), float(p[1])) for p in it["box"])
            out.append(StoredLine(str(it["text"]), float(it["confidence"]), box))
        except (KeyError, TypeError, ValueError, IndexError):
            continue
    return tuple(out)


class PhotoTexts(CatalogBase):
    # -- per-folder switch --------------------------------------------------------------------------
    def folder_reads_text(self, folder_id: int) -> bool:
        rows = self._q("SELECT read_text FROM folders WHERE id=?", (folder_id,))
        return bool(rows and rows[0][0])

    def set_folder_read_text(self, folder_id: int, on: bool) -> None:
        self._x("UPDATE folders SET read_text=? WHERE id=?", (1 if on else 0, folder_id))

    # -- the text ----------------------------------------------------------------------------------
    def put_text(
        self,
        content_hash: str,
        status: str,
        lines: Sequence[StoredLine],
        index_text: str,
        seconds: float = 0.0,
    ) -> None:
        """Store what was read in the photo with ``content_hash`` (replacing what was there), and its
        searchable form ``index_text`` (``index_form`` of the text) in the FTS table — one transaction."""
        if status not in TEXT_STATUSES:
            raise ValueError(f"unknown text status {status!r}")
        with self.transaction() as c:
            c.execute(
                "INSERT OR REPLACE INTO photo_text(content_hash, status, lines, read_at, seconds) "
                "VALUES (?,?,?,?,?)",
                (content_hash, status, _lines_json(lines), time.time(), float(seconds)),
            )
            c.execute("DELETE FROM photo_text_fts WHERE content_hash=?", (content_hash,))
            if index_text:
                c.execute(
                    "INSERT INTO photo_text_fts(content_hash, body) VALUES (?,?)", (content_hash, index_text)
                )

    def text_for_hash(self, content_hash: str) -> PhotoText | None:
        rows = self._q(
            "SELECT content_hash, status, lines, read_at, seconds FROM photo_text WHERE content_hash=?",
            (content_hash,),
        )
        if not rows:
            return None
        h, status, lines, read_at, seconds = rows[0]
        return PhotoText(h, status, _lines_of(lines), float(read_at), float(seconds))

    def texts_for_hashes(self, hashes: Sequence[str]) -> dict[str, PhotoText]:
        out: dict[str, PhotoText] = {}
        for chunk in _chunks(list(dict.fromkeys(hashes)), 500):
            for h, status, lines, read_at, seconds in self._q(
                "SELECT content_hash, status, lines, read_at, seconds FROM photo_text "
                f"WHERE content_hash IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                out[h] = PhotoText(h, status, _lines_of(lines), float(read_at), float(seconds))
        return out

    def text_candidates(self, query: TextQueryLike, limit: int = 5000) -> list[tuple[str, str]]:
        """(content hash, text as read) of photos that may answer ``query``: sharing a trigram with a query
        word (FTS5), or containing a word too short for trigrams (LIKE). To be scored by the query."""
        hashes: dict[str, None] = {}
        expr = query.fts_expression()
        if expr:
            for (h,) in self._q(
                "SELECT content_hash FROM photo_text_fts WHERE photo_text_fts MATCH ? ORDER BY rank LIMIT ?",
                (expr, int(limit)),
            ):
                hashes[h] = None
        for pattern in query.like_patterns():
            for (h,) in self._q(
                "SELECT content_hash FROM photo_text_fts WHERE body LIKE ? ESCAPE '\\' LIMIT ?",
                (pattern, int(limit)),
            ):
                hashes[h] = None
        found = self.texts_for_hashes(list(hashes))
        return [(h, found[h].text) for h in hashes if h in found]

    def visible_files_for_hashes(self, hashes: Sequence[str]) -> list[FileRow]:
        """The visible (indexed, in a folder that is not offline) files with these content hashes."""
        where, args = _visible_where(None, None, None, None, None)
        out: list[FileRow] = []
        for chunk in _chunks(list(dict.fromkeys(hashes)), 500):
            out += [
                _file(r)
                for r in self._q(
                    f"SELECT {', '.join('f.' + c.strip() for c in _FILE_COLS.split(','))} FROM files f "
                    f"JOIN folders d ON d.id = f.folder_id WHERE {where} "
                    f"AND f.content_hash IN ({','.join('?' * len(chunk))}) ORDER BY f.id",
                    [*args, *chunk],
                )
            ]
        return out

    def text_pending(self, limit: int | None = None) -> list[FileRow]:
        """One indexed file per content hash with no text read yet, in folders that are online and read
        text (the text pass's queue; it is its own resume state: a photo leaves it when its text is stored)."""
        sql = (
            f"SELECT {_FILE_COLS} FROM files f WHERE f.id IN ("
            "SELECT MIN(g.id) FROM files g JOIN folders d ON d.id = g.folder_id "
            "WHERE g.status='indexed' AND g.content_hash IS NOT NULL AND d.state='online' AND d.read_text=1 "
            "AND NOT EXISTS (SELECT 1 FROM photo_text t WHERE t.content_hash = g.content_hash) "
            "GROUP BY g.content_hash) ORDER BY f.id"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_file(r) for r in self._q(sql)]

    def text_counts(self) -> tuple[int, int]:
        """(photos whose text is read, photos the text pass should read) — distinct content hashes in online
        folders that read text."""
        row = self._q(
            "SELECT COUNT(DISTINCT g.content_hash), COUNT(DISTINCT t.content_hash) FROM files g "
            "JOIN folders d ON d.id = g.folder_id LEFT JOIN photo_text t ON t.content_hash = g.content_hash "
            "WHERE g.status='indexed' AND g.content_hash IS NOT NULL AND d.state='online' AND d.read_text=1"
        )[0]
        return int(row[1]), int(row[0])

    def text_counts_by_file(self) -> tuple[int, int]:
        """(files whose text is read, files whose text is to be read) — indexed files in online folders that
        read text, each copy of a photo counted (as the photos a person sees are); ``text_counts`` counts the
        text pass's work, one per content."""
        row = self._q(
            "SELECT COUNT(*), COUNT(t.content_hash) FROM files g JOIN folders d ON d.id = g.folder_id "
            "LEFT JOIN photo_text t ON t.content_hash = g.content_hash "
            "WHERE g.status='indexed' AND g.content_hash IS NOT NULL AND d.state='online' AND d.read_text=1"
        )[0]
        return int(row[1]), int(row[0])

    def orphan_texts(self) -> list[str]:
        """Content hashes with stored text that no file has any more."""
        return [
            r[0]
            for r in self._q(
                "SELECT content_hash FROM photo_text t WHERE NOT EXISTS "
                "(SELECT 1 FROM files f WHERE f.content_hash = t.content_hash)"
            )
        ]

    def delete_texts(self, hashes: Sequence[str]) -> None:
        with self.transaction() as c:
            for chunk in _chunks(list(hashes), 500):
                marks = ",".join("?" * len(chunk))
                c.execute(f"DELETE FROM photo_text WHERE content_hash IN ({marks})", chunk)
                c.execute(f"DELETE FROM photo_text_fts WHERE content_hash IN ({marks})", chunk)

    def delete_orphan_texts(self) -> int:
        orphans = self.orphan_texts()
        if orphans:
            self.delete_texts(orphans)
        return len(orphans)
