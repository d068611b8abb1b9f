"""Albums taught by example (a part of the catalog): an album is a name and its examples — photos the person
liked (members) and disliked (not members) — kept by **content hash**, so an example survives a rename, a move
and a model switch, and drops out when its photo is gone. No classifier is stored: it is retrained from the
examples' embeddings under the active model whenever the album is listed (milliseconds), so the album keeps
filling as new photos are indexed. What is stored beside the examples is a cache: each example's views' vectors
(the photo mirrored, moved, zoomed; ``photosearch.search.views``) under each model, keyed by (content hash, model
id), so that a listing never decodes or encodes a photo; dropped with the last album that has the example.
Plain SQL through the catalog's own transactions; the tables are the schema's versions 5 and 6
(``photosearch.store.schema``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from photosearch.store.schema import CatalogBase, _chunks


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
        # the views of photos that are no album's example any more
        c.execute(
            "DELETE FROM album_example_views WHERE content_hash NOT IN (SELECT content_hash FROM album_examples)"
        )
    return True


def example_views(
    cat: CatalogBase, hashes: Iterable[str], model_id: str, kinds: str
) -> dict[str, np.ndarray | None]:
    """The cached views' vectors (n_views, dim) of the examples ``hashes`` under ``model_id``: only the ones
    made, of these ``kinds`` of views (their numbers, "0,1,2"); None for a photo that could not be read when
    they were made."""
    out: dict[str, np.ndarray | None] = {}
    for part in _chunks(list(dict.fromkeys(hashes)), 500):
        rows = cat._q(
            "SELECT content_hash, n_views, views FROM album_example_views WHERE model_id = ? AND kinds = ? "
            f"AND content_hash IN ({','.join('?' * len(part))})",
            (model_id, kinds, *part),
        )
        for h, n, blob in rows:
            out[str(h)] = (
                None if blob is None or not n else np.frombuffer(blob, dtype="<f4").reshape(int(n), -1).copy()
            )
    return out


def put_example_views(
    cat: CatalogBase, model_id: str, kinds: str, views: Mapping[str, np.ndarray | None]
) -> None:
    """Keep each example's views' vectors of these ``kinds`` under ``model_id`` (None: its photo could not be
    read); they replace the example's views of other kinds under that model."""
    now = time.time()
    with cat.transaction() as c:
        for h, v in views.items():
            arr = None if v is None else np.ascontiguousarray(v, dtype="<f4")
            c.execute(
                "INSERT OR REPLACE INTO album_example_views(content_hash, model_id, kinds, n_views, views, made_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    h,
                    model_id,
                    kinds,
                    0 if arr is None else len(arr),
                    None if arr is None else arr.tobytes(),
                    now,
                ),
            )
