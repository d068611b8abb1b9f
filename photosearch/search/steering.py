"""Searches steered from stored vectors: relevance feedback (👍/👎 → Rocchio), several photos as one query (with
words too), and a date order that keeps only good matches. The vector arithmetic is :mod:`photosearch.search.steer`;
this module runs it through the engine.

Feedback re-ranks; it does not move the relevance line: whether a result is a good match is still judged by the
query the person typed or gave (:meth:`photosearch.search.relevance.RelevanceCutoff.judge`), and a photo the person
liked passes — they said so. Disliked photos are left out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from photosearch.errors import QueryError
from photosearch.search import albums
from photosearch.search import fusion as fusion_mod
from photosearch.search.engine import SearchEngine
from photosearch.search.line import DEFAULT_STRICTNESS
from photosearch.search.relevance import cosine_scorer
from photosearch.search.results import Filters, Result, SearchResponse
from photosearch.search.steer import like_these, rocchio, several

#: A date-sorted view lists up to this many good matches (the line decides, not k).
DATE_POOL = 500


class SortOrder(str, Enum):
    RELEVANCE = "relevance"
    NEWEST = "newest"  # good matches only, newest first
    OLDEST = "oldest"  # good matches only, oldest first

    def __str__(self) -> str:
        return self.value


def reference_rows(engine: SearchEngine, refs: Sequence[Any]) -> tuple[np.ndarray, list[int | None]]:
    """Unit embeddings of reference photos (stored ones for library photos), one row per reference, and each
    one's embedding label (None: not a library photo)."""
    vecs, labels = [], []
    for ref in refs:
        v, label = engine.image_vector(ref)
        vecs.append(fusion_mod.normalize(np.asarray(v, dtype=np.float32)))
        labels.append(None if label is None else int(label))
    if not vecs:
        return np.zeros((0, engine.runtime.dim), np.float32), labels
    return np.stack(vecs), labels


def reference_vectors(engine: SearchEngine, refs: Sequence[Any]) -> tuple[np.ndarray, set[int]]:
    """Unit embeddings of reference photos (stored ones for library photos) and their labels."""
    vecs, labels = reference_rows(engine, refs)
    return vecs, {lab for lab in labels if lab is not None}


def several_photos(
    engine: SearchEngine,
    refs: Sequence[Any],
    text: str = "",
    k: int = 20,
    filters: Filters | None = None,
    *,
    weight: float = fusion_mod.DEFAULT_WEIGHT,
    fusion: str = fusion_mod.DEFAULT_FUSION,
    strictness: int = DEFAULT_STRICTNESS,
) -> SearchResponse:
    """Photos like all of ``refs`` together, changed as ``text`` says when given ("these, but in winter"); the
    references themselves and copies of them are left out. Without words: what an album taught by these photos
    would take (:func:`photosearch.search.steer.like_these`); with words: their normalised mean, changed."""
    vecs, rows = reference_rows(engine, refs)
    labels = {lab for lab in rows if lab is not None}
    if len(vecs) < 2:
        raise QueryError("a search by several photos needs at least two")
    mean = several(vecs)
    if not text.strip():
        direction = like_these(vecs, albums.background_sample(engine), albums.reference_views(engine, rows))
        resp = engine.search_vector(
            direction,
            k,
            filters,
            kind="several",
            exclude=labels or None,
            strictness=strictness,
            what=_named(refs),
        )
        resp.extra["references"] = len(vecs)
        return resp
    return engine.search_composed_vector(
        mean,
        text.strip(),
        k,
        weight=weight,
        fusion=fusion,
        filters=filters,
        exclude=labels,
        strictness=strictness,
        extra={"references": len(vecs)},
    )


def steer(
    engine: SearchEngine,
    base: np.ndarray,
    kind: str,
    liked: tuple[np.ndarray, set[int]],
    disliked: tuple[np.ndarray, set[int]],
    k: int = 20,
    filters: Filters | None = None,
    *,
    exclude: set[int] | None = None,
    strictness: int = DEFAULT_STRICTNESS,
    what: str = "the query",
) -> SearchResponse:
    """``base`` (the query's own unit vector) moved toward the ``liked`` photos and away from the ``disliked``
    (Rocchio: each their :func:`reference_vectors`), searched from stored vectors; good matches judged by
    ``base``."""
    (pos, pos_labels), (neg, neg_labels) = liked, disliked
    moved = rocchio(base, pos, neg)
    resp = engine.search_vector(
        moved, k, filters, kind=kind, exclude=(exclude or set()) | neg_labels, cutoff=False
    )
    engine.judge(resp.results, cosine_scorer(base), kind, strictness=strictness, always=pos_labels)
    resp.extra["feedback"] = {"liked": len(pos), "disliked": len(neg)}
    resp.extra["cutoff"] = engine.line_info(kind, strictness)
    resp.message = (
        f"Nothing close to {what!r} in {resp.library_size:,} photos" if resp.no_good_matches else ""
    )
    return resp


def by_date(resp: SearchResponse, order: SortOrder, k: int) -> SearchResponse:
    """Only the good matches, by the date taken (a photo without one: by its file time), newest or oldest
    first; below-the-line results never mix in."""
    if order is SortOrder.RELEVANCE:
        return resp
    good = [r for r in resp.results if r.passed]

    def when(r: Result) -> float:
        f = r.file
        return float(f.taken_at if f.taken_at is not None else f.mtime_ns / 1e9)

    good.sort(key=lambda r: (when(r), r.path), reverse=order is SortOrder.NEWEST)
    if not good:  # no good matches: the answer says so (with the nearest, marked weak), in relevance order
        return resp
    good = good[:k]
    for i, r in enumerate(good, 1):
        r.rank = i
    return SearchResponse(
        good, resp.kind, resp.library_size, resp.message, {**resp.extra, "sort": str(order)}
    )


def _named(refs: Sequence[Any]) -> str:
    """Several reference photos in words: their file names ("a.jpg + d.jpg"; "… + 3 more" past three)."""
    names = [os.path.basename(str(r)) if isinstance(r, str | Path) else "a photo" for r in refs]
    more = f" + {len(names) - 3} more" if len(names) > 3 else ""
    return " + ".join(names[:3]) + more


def path_of(ref: Any) -> str:
    return str(Path(ref)) if isinstance(ref, str | Path) else "the image"
