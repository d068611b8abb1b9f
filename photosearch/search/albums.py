"""Albums taught by example: a few liked (and disliked) photos → a small classifier over the stored embeddings
(:func:`photosearch.search.steer.train_album`) → every photo of the library it takes for a member.

The album keeps only its examples, by content hash (:mod:`photosearch.store.catalog_albums`). Its members are
worked out when asked for, from the embeddings stored at that moment under the active model: a photo indexed a
second ago (``watch``) is already a candidate, a renamed or moved example is still the same example, a model
switch retrains from the same examples, and an example whose photo is gone drops out. Nothing leaves the machine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from photosearch.errors import QueryError
from photosearch.search import fusion as fusion_mod
from photosearch.search.engine import SearchEngine
from photosearch.search.results import Result, SearchResponse
from photosearch.search.steer import Nearest, train_album
from photosearch.store import catalog_albums as store
from photosearch.store.catalog_albums import AlbumRow

#: The most library photos the classifier is trained against (a random sample: most of a library is "not this").
BACKGROUND = 300
#: Embeddings are scored in chunks of this many rows.
CHUNK = 20_000


@dataclass(frozen=True)
class AlbumSummary:
    name: str
    liked: int  # examples whose photo is still in the library (under the active model)
    disliked: int
    members: int

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "liked": self.liked, "disliked": self.disliked, "members": self.members}


def _hash_of(engine: SearchEngine, ref: str) -> str:
    path = os.path.normpath(os.path.abspath(ref))
    f = engine.catalog.file_by_path(path)
    if f is None or not f.content_hash:
        raise QueryError(f"an album's examples are photos of the library; not indexed: {path}")
    return f.content_hash


def save(engine: SearchEngine, name: str, liked: Sequence[str], disliked: Sequence[str] = ()) -> AlbumRow:
    """Create album ``name`` (or add examples to it) from library photos given by path."""
    name = name.strip()
    if not name:
        raise QueryError("an album needs a name")
    if not liked and store.album(engine.catalog, name) is None:
        raise QueryError("an album needs at least one photo that belongs in it (--like PATH)")
    store.save_album(
        engine.catalog, name, [_hash_of(engine, p) for p in liked], [_hash_of(engine, p) for p in disliked]
    )
    row = store.album(engine.catalog, name)
    assert row is not None
    return row


def _labels(engine: SearchEngine, hashes: tuple[str, ...]) -> list[int]:
    """Embedding labels of the examples still in the library under the active model."""
    out = []
    for h in hashes:
        label = engine.catalog.embedding_id(h, engine.runtime.id)
        if label is not None and engine.catalog.files_by_hash(h):
            out.append(int(label))
    visible = {lab for lab, _ in engine.catalog.visible_files_for_labels(out)}
    return [lab for lab in out if lab in visible]


def members(engine: SearchEngine, name: str, k: int | None = None) -> SearchResponse:
    """The album's members now, as search results: its examples, then each example's nearest photos
    (:data:`photosearch.search.steer.NEAREST`) that are members, then the rest, most certain first."""
    row = store.album(engine.catalog, name)
    if row is None:
        raise QueryError(f"no album named {name!r}")
    liked, disliked = _labels(engine, row.liked), _labels(engine, row.disliked)
    n = engine.catalog.visible_count()
    if not liked:
        resp = SearchResponse([], "album", n, f"the album {name!r} has no example left in the library")
        resp.extra["album"] = {"name": name, "liked": 0, "disliked": len(disliked)}
        return resp
    dim = engine.runtime.dim
    pos_ids, pos = engine.catalog.embeddings_by_ids(liked, dim)
    _, neg = engine.catalog.embeddings_by_ids(disliked, dim)
    bg = engine.background()
    sample = bg.vecs
    if len(sample) > BACKGROUND:
        sample = sample[np.random.default_rng(0).choice(len(sample), BACKGROUND, replace=False)]
    model = train_album(
        fusion_mod.normalize(pos),
        fusion_mod.normalize(neg) if len(neg) else None,
        fusion_mod.normalize(sample),
    )
    scored: dict[int, float] = {}
    near = Nearest(fusion_mod.normalize(pos), pos_ids.tolist())
    # every embedding stored under the model now (a photo indexed a moment ago included), scored in chunks
    ids, vecs = engine.catalog.embeddings(engine.runtime.id, dim=dim)
    for start in range(0, len(ids), CHUNK):
        part_ids, part = ids[start : start + CHUNK], fusion_mod.normalize(vecs[start : start + CHUNK])
        p = model.score(part)
        keep = p >= model.threshold
        scored.update(zip(part_ids[keep].tolist(), p[keep].tolist(), strict=True))
        near.add(part_ids, part)
    scored.update({lab: 1.0 for lab in liked})
    for lab in disliked:
        scored.pop(lab, None)
    # the examples, then each example's nearest photos that are members too, then the rest, most certain first
    tier = {lab: 1 for lab in near.ids() if lab in scored} | {lab: 2 for lab in liked}
    results = [
        Result(0, f.path, scored[label], f, label, passed=True)
        for label, f in engine.catalog.visible_files_for_labels(list(scored))
    ]
    results.sort(key=lambda r: (-tier.get(r.label, 0), -r.score, r.path))
    if k is not None:
        results = results[:k]
    for i, r in enumerate(results, 1):
        r.rank = i
    resp = SearchResponse(results, "album", n)
    resp.extra["album"] = {
        "name": name,
        "liked": len(liked),
        "disliked": len(disliked),
        "threshold": round(float(model.threshold), 6),
    }
    return resp


def summaries(engine: SearchEngine) -> list[AlbumSummary]:
    out = []
    for row in store.albums(engine.catalog):
        resp = members(engine, row.name)
        info = resp.extra["album"]
        out.append(AlbumSummary(row.name, int(info["liked"]), int(info["disliked"]), len(resp.results)))
    return out


def delete(engine: SearchEngine, name: str) -> None:
    if not store.delete_album(engine.catalog, name):
        raise QueryError(f"no album named {name!r}")
