"""Albums taught by example: a few liked (and disliked) photos → a small classifier over the stored embeddings
(:func:`photosearch.search.steer.train_album`) → every photo of the library it takes for a member.

The album keeps only its examples, by content hash (:mod:`photosearch.store.catalog_albums`). Its members are
worked out when asked for, from the embeddings stored at that moment under the active model: a photo indexed a
second ago (``watch``) is already a candidate, a renamed or moved example is still the same example, a model
switch retrains from the same examples, and an example whose photo is gone drops out. Nothing leaves the machine.

The liked examples count in the fit with their views too (:mod:`photosearch.search.views`; the ones chosen are
:data:`photosearch.search.steer.ALBUM_VIEWS`, today the mirror image — "this subject wherever it sits in the
frame"). The views' vectors are made once per example and model — when the album is saved, or when it is first
listed under a model (after a model switch) — in one batch through the image tower, and kept in the catalog
(:func:`example_views`): a listing reads them and decodes nothing. An example whose photo cannot be read then
has no views (it still counts with its stored embedding).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from photosearch.errors import CatalogError, PhotoSearchError, QueryError
from photosearch.search import fusion as fusion_mod
from photosearch.search import steer
from photosearch.search import views as views_mod
from photosearch.search.engine import SearchEngine, _unchanged_on_disk
from photosearch.search.results import Result, SearchResponse
from photosearch.search.steer import Nearest, train_album
from photosearch.store import catalog_albums as store
from photosearch.store.catalog_albums import AlbumRow

#: The most library photos the classifier is trained against (a random sample: most of a library is "not this").
BACKGROUND = 300
#: Embeddings are scored in chunks of this many rows.
CHUNK = 20_000

log = logging.getLogger(__name__)


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
    """Create album ``name`` (or add examples to it) from library photos given by path; the examples' views are
    made now (:func:`example_views`), so that listing the album decodes nothing."""
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
    if _views_used():
        example_views(engine, [h for h, _ in _examples(engine, _viewed(row))], retry=True)
    return row


def _views_used() -> bool:
    return float(np.max(steer.VIEW_WEIGHT)) > 0 and bool(steer.ALBUM_VIEWS)


def _viewed(row: AlbumRow) -> tuple[str, ...]:
    """The examples whose views the album's fit uses."""
    return row.liked + row.disliked if steer.DISLIKED_VIEWS else row.liked


def _examples(engine: SearchEngine, hashes: tuple[str, ...]) -> list[tuple[str, int]]:
    """(content hash, embedding label) of the examples still in the library under the active model."""
    out = []
    for h in hashes:
        label = engine.catalog.embedding_id(h, engine.runtime.id)
        if label is not None and engine.catalog.files_by_hash(h):
            out.append((h, int(label)))
    visible = {lab for lab, _ in engine.catalog.visible_files_for_labels([lab for _, lab in out])}
    return [(h, lab) for h, lab in out if lab in visible]


def example_views(
    engine: SearchEngine, hashes: Sequence[str], retry: bool = False
) -> dict[str, np.ndarray | None]:
    """Each example's views' vectors (the views the fit uses, :data:`photosearch.search.steer.ALBUM_VIEWS`; one
    row each) under the active model, by content hash; None: its photo could not be read. Kept in the catalog:
    the ones not made yet under this model (and with ``retry`` the ones whose photo could not be read before) are
    made now from one readable copy of each, unchanged since it was indexed, all in one batch through the image
    tower. When the image tower cannot run, the examples count without views this time (nothing is kept)."""
    model_id, pick = engine.runtime.id, list(steer.ALBUM_VIEWS)
    kinds = ",".join(map(str, pick))
    have = store.example_views(engine.catalog, hashes, model_id, kinds)
    todo = [h for h in dict.fromkeys(hashes) if h not in have or (retry and have[h] is None)]
    if not todo:
        return have
    files = {h: _readable_copy(engine, h) for h in todo}
    readable = [h for h in todo if files[h] is not None]
    made: dict[str, np.ndarray | None] = dict.fromkeys(todo)
    if readable:
        try:
            got = views_mod.views_of_many(engine.image_encoder(), [str(files[h]) for h in readable], pick)
        except (PhotoSearchError, OSError, RuntimeError) as e:  # the image tower would not load or run
            log.warning("an album's example views could not be made: %s", e)
            return have
        made.update(zip(readable, got, strict=True))
    try:
        store.put_example_views(engine.catalog, model_id, kinds, made)
    except (CatalogError, sqlite3.Error) as e:  # a read-only catalog: used now, made again next time
        log.info("an album's example views could not be kept: %s", e)
    have.update(made)
    return have


def _readable_copy(engine: SearchEngine, content_hash: str) -> str | None:
    """A file of the library with this content, unchanged on disk since it was indexed (None: no such file)."""
    return next((f.path for f in engine.catalog.files_by_hash(content_hash) if _unchanged_on_disk(f)), None)


def _view_rows(kept: dict[str, np.ndarray | None], hashes: list[str]) -> list[np.ndarray | None]:
    """Each example's views as the fit uses them (unit vectors; None: it has none)."""
    out: list[np.ndarray | None] = []
    for h in hashes:
        v = kept.get(h)
        out.append(None if v is None or not len(v) else fusion_mod.normalize(v))
    return out


def background_sample(engine: SearchEngine) -> np.ndarray:
    """What an album (or "more like these") is told apart from: a fixed random sample of the library's
    vectors (at most :data:`BACKGROUND`), unit rows."""
    sample = engine.background().vecs
    if len(sample) > BACKGROUND:
        sample = sample[np.random.default_rng(0).choice(len(sample), BACKGROUND, replace=False)]
    return fusion_mod.normalize(sample)


def reference_views(engine: SearchEngine, labels: Sequence[int | None]) -> list[np.ndarray | None]:
    """The views the album fit uses of each reference that is a library photo (by its embedding label; None:
    not a library photo, so no views), kept in the catalog as an album example's are (:func:`example_views`)."""
    if not _views_used():
        return [None] * len(labels)
    known = [lab for lab in labels if lab is not None]
    hash_of = {
        lab: f.content_hash for lab, f in engine.catalog.visible_files_for_labels(known) if f.content_hash
    }
    kept = example_views(engine, list(dict.fromkeys(hash_of.values()))) if hash_of else {}
    rows = _view_rows(kept, [hash_of.get(lab, "") if lab is not None else "" for lab in labels])
    return [r if lab is not None and lab in hash_of else None for r, lab in zip(rows, labels, strict=True)]


def members(engine: SearchEngine, name: str, k: int | None = None) -> SearchResponse:
    """The album's members now, as search results: its examples, then each example's nearest photos
    (:data:`photosearch.search.steer.NEAREST`) that are members, then the rest, most certain first."""
    row = store.album(engine.catalog, name)
    if row is None:
        raise QueryError(f"no album named {name!r}")
    liked_ex, disliked_ex = _examples(engine, row.liked), _examples(engine, row.disliked)
    liked, disliked = [lab for _, lab in liked_ex], [lab for _, lab in disliked_ex]
    n = engine.catalog.visible_count()
    if not liked:
        resp = SearchResponse([], "album", n, f"the album {name!r} has no example left in the library")
        resp.extra["album"] = {"name": name, "liked": 0, "disliked": len(disliked)}
        return resp
    dim = engine.runtime.dim
    pos_ids, pos = engine.catalog.embeddings_by_ids(liked, dim)
    neg_ids, neg = engine.catalog.embeddings_by_ids(disliked, dim)
    liked_views = disliked_views = None
    if _views_used():
        hash_of = {lab: h for h, lab in liked_ex + disliked_ex}
        viewed = [hash_of[int(i)] for i in pos_ids]
        if steer.DISLIKED_VIEWS:
            viewed += [hash_of[int(i)] for i in neg_ids]
        kept = example_views(engine, viewed)
        liked_views = _view_rows(kept, viewed[: len(pos_ids)])
        if steer.DISLIKED_VIEWS and len(neg_ids):
            disliked_views = _view_rows(kept, viewed[len(pos_ids) :])
    model = train_album(
        fusion_mod.normalize(pos),
        fusion_mod.normalize(neg) if len(neg) else None,
        background_sample(engine),
        liked_views=liked_views,
        disliked_views=disliked_views,
        view_weight=steer.VIEW_WEIGHT,
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
