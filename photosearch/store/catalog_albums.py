"""Albums taught by example (a part of the catalog): an album is a name and its examples — photos the person
liked (members) and disliked (not members) — kept by **content hash**, so an example survives a rename, a move
and a model switch, and drops out when its photo is gone. No classifier is stored: it is retrained from the
examples' embeddings under the active model whenever the album is listed (milliseconds), so the album keeps
filling as new photos are indexed. Plain SQL through the catalog's own transactions;
the tables are the schema's version 5 (``photosearch.store.schema``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from photosearch.store.schema import CatalogBase


@dataclass(frozen=True)
class AlbumRow:
    id: int
    name: str
    created_at: float
    liked: tuple[str, ...]  # content hashes
    disliked: tuple[str, ...]


def save_album(cat: CatalogBase, name: str, liked: list[str], disliked: list[str]) -> int:
    """Create album ``name`` or add examples to it (a photo given again takes its latest 👍/👎)."""
    with cat.transaction() as c:
        c.execute("INSERT OR IGNORE INTO albums(name, created_at) VALUES (?, ?)", (name, time.time()))
        album_id = int(c.execute("SELECT id FROM albums WHERE name = ?", (name,)).fetchone()[0])
        for h, flag in [(h, 1) for h in liked] + [(h, 0) for h in disliked]:
            c.execute(
                "INSERT INTO album_examples(album_id, content_hash, liked) VALUES (?, ?, ?) "
                "ON CONFLICT(album_id, content_hash) DO UPDATE SET liked = excluded.liked",
                (album_id, h, flag),
            )
    return album_id


def albums(cat: CatalogBase) -> list[AlbumRow]:
    rows = cat._q("SELECT id, name, created_at FROM albums ORDER BY name")
    out = []
    for aid, name, created in rows:
        ex = cat._q("SELECT content_hash, liked FROM album_examples WHERE album_id = ?", (aid,))
        out.append(
            AlbumRow(
                int(aid),
                str(name),
                float(created),
                tuple(sorted(h for h, lk in ex if lk)),
                tuple(sorted(h for h, lk in ex if not lk)),
            )
        )
    return out


def album(cat: CatalogBase, name: str) -> AlbumRow | None:
    return next((a for a in albums(cat) if a.name == name), None)


def delete_album(cat: CatalogBase, name: str) -> bool:
    found = album(cat, name)
    if found is None:
        return False
    with cat.transaction() as c:
        c.execute("DELETE FROM album_examples WHERE album_id = ?", (found.id,))
        c.execute("DELETE FROM albums WHERE id = ?", (found.id,))
    return True
