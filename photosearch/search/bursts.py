"""Bursts: near-identical shots in a result list shown as one, with a count, expandable.

The signals are the duplicate detector's (:mod:`photosearch.search.duplicates`): embeddings close (cosine ≥ its
``DEFAULT_THRESHOLD``) and 64-bit perceptual hashes within its ``DEFAULT_MAX_DISTANCE`` bits (when both photos
have one), and both photos dated (a date taken) at most :data:`BURST_SECONDS` apart: a burst is shot in seconds,
two look-alike photos a year apart are two moments, and photos without a date taken are never stacked — drawn
shapes, screenshots and scans look alike to these signals without being one moment (in a library of drawn
shapes, 98 of 200 results were stacked, a star with a cross, before this rule). No pixel check: shots of a burst
differ by more than copies do, which is the point; undated copies are the duplicate finder's. Each burst is led by its best-ranked shot; the others follow it in
``SearchResponse.extra["bursts"]`` (leader path → every shot's path, best first), which is how a view expands it.
"""

from __future__ import annotations

import numpy as np

from photosearch.library.fingerprint import hamming
from photosearch.search.duplicate_defaults import DEFAULT_MAX_DISTANCE, DEFAULT_THRESHOLD
from photosearch.search.fusion import normalize
from photosearch.search.results import Result, SearchResponse
from photosearch.store.catalog import Catalog

BURST_SECONDS = 120.0


def same_burst(a: Result, b: Result, cosine: float) -> bool:
    if cosine < DEFAULT_THRESHOLD:
        return False
    fa, fb = a.file, b.file
    if (
        fa.phash is not None
        and fb.phash is not None
        and hamming(int(fa.phash), int(fb.phash)) > DEFAULT_MAX_DISTANCE
    ):
        return False
    if fa.taken_at is None or fb.taken_at is None:
        return False
    return abs(fa.taken_at - fb.taken_at) <= BURST_SECONDS


def collapse(resp: SearchResponse, catalog: Catalog, dim: int, k: int | None = None) -> SearchResponse:
    """``resp`` with each burst shown once (its best-ranked shot); ``extra["bursts"]`` lists every shot of each
    burst of two or more, best first. Ranks are renumbered; ``k`` cuts the collapsed list."""
    results = resp.results
    if len(results) < 2:
        return resp
    ids, vecs = catalog.embeddings_by_ids(sorted({r.label for r in results if r.label >= 0}), dim)
    by_label = dict(zip(ids.tolist(), normalize(vecs), strict=True)) if len(ids) else {}
    leaders: list[Result] = []
    shots: dict[int, list[Result]] = {}
    for r in results:  # best first: a shot joins the first leader it belongs with
        v = by_label.get(r.label)
        home = None
        if v is not None:
            for lead in leaders:
                lv = by_label.get(lead.label)
                if lv is not None and same_burst(lead, r, float(np.dot(v, lv))):
                    home = lead
                    break
        if home is None:
            leaders.append(r)
            shots[id(r)] = [r]
        else:
            shots[id(home)].append(r)
    if k is not None:
        leaders = leaders[:k]
    for i, r in enumerate(leaders, 1):
        r.rank = i
    bursts = {r.path: [s.path for s in shots[id(r)]] for r in leaders if len(shots[id(r)]) > 1}
    return SearchResponse(
        leaders, resp.kind, resp.library_size, resp.message, {**resp.extra, "bursts": bursts}
    )
