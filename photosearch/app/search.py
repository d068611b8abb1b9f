"""``search(query, engine)``: the one entry for every kind of query (a text query also finds photos by the
words read in them and by their file and folder names, ``photosearch.search.text_match.blend``; ``Query.text_only``:
only by the words); ``browse``: the library by date; ``duplicates``: groups of near-identical photos.

Every search and every page of browsing leaves out the photos of added folders whose root is not there now
(``photosearch.app.roots``: checked per root, briefly kept, never waited on for long); the response names those
folders in ``extra[UNREACHABLE_KEY]``."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from photosearch.app.query import K_MAX, Query, QueryKind
from photosearch.app.roots import ROOTS
from photosearch.errors import IndexLocked, ModelLoading, PhotoSearchError
from photosearch.library.library import Library
from photosearch.search.bursts import collapse
from photosearch.search.engine import Filters, Result, SearchEngine, SearchResponse
from photosearch.search.fusion import fused_vector
from photosearch.search.relevance import cosine_scorer
from photosearch.search.results import FoundBy
from photosearch.search.steer import several
from photosearch.search.steering import (
    DATE_POOL,
    SortOrder,
    by_date,
    reference_vectors,
    several_photos,
    steer,
)
from photosearch.search.text_match import blend
from photosearch.store.catalog import Catalog

__all__ = [
    "SearchResponse",
    "browse",
    "duplicates",
    "engine_for",
    "open_engine",
    "search",
]

#: ``SearchResponse.extra``: the added folders whose photos were left out because their root is not there now.
UNREACHABLE_KEY = "unreachable_folders"

if TYPE_CHECKING:
    from photosearch.config import Paths
    from photosearch.search.duplicates import DuplicateGroup


def open_engine(lib: Library, model_id: str | None = None, *, overlap_loads: bool = False) -> SearchEngine:
    """A search engine over the model's vector index, with its text model loaded.

    By default the text model loads first and the vector index after it, so the model's load-time
    transient and the index never sit in memory together (lower peak RSS). ``overlap_loads`` loads them
    on two threads at once instead — faster for a one-shot command (``photosearch search`` with words), at
    a higher peak.
    """
    rt = lib.runtime(model_id)
    if overlap_loads:
        warm = threading.Thread(target=rt.text.load, name="warm-text-model", daemon=True)
        warm.start()
        index = lib.vector_index(rt.id)
        # joined only when the index loaded: after Ctrl+C (KeyboardInterrupt here, perhaps in the middle of an
        # import that leaves the import lock held) the loader may never finish, and a join would wait for ever
        warm.join()
    else:
        rt.text.load()
        index = lib.vector_index(rt.id)
    return SearchEngine(lib.catalog, rt, index)


def engine_for(lib: Library, query: Query) -> SearchEngine:
    """The engine for one query in a one-shot process: a query with words overlaps the loads."""
    return open_engine(lib, overlap_loads=bool(query.text))


def browse(
    catalog: Catalog, offset: int = 0, limit: int = 200, filters: Filters | None = None
) -> SearchResponse:
    """The library by date (newest first), one page: what an empty query shows (needs no model).
    ``extra`` holds ``total`` (files matching the filters) and ``offset``."""
    f = filters or Filters()
    rows, total = catalog.browse_visible(
        offset,
        limit,
        folder=f.folder,
        date_from=f.date_from,
        date_to=f.date_to,
        formats=f.formats,
        orientation=f.orientation,
        hidden_roots=sorted(f.hidden_roots),
    )
    results = [Result(offset + i + 1, r.path, 0.0, r, -1) for i, r in enumerate(rows)]
    return SearchResponse(
        results, "browse", catalog.visible_count(), extra={"total": total, "offset": offset}
    )


def browse_oldest(
    catalog: Catalog, offset: int = 0, limit: int = 200, filters: Filters | None = None
) -> SearchResponse:
    """``browse`` oldest first (``--sort oldest``): the same rows from the other end, page by page (one count
    more than ``browse``)."""
    total = browse(catalog, 0, 0, filters).extra["total"]
    start = max(0, total - offset - limit)
    page = browse(catalog, start, max(0, total - offset - start), filters)
    page.results.reverse()
    for i, r in enumerate(page.results, offset + 1):
        r.rank = i
    page.extra["offset"] = offset
    page.extra["sort"] = str(SortOrder.OLDEST)
    return page


def timeline(catalog: Catalog, filters: Filters | None = None) -> list[tuple[int, int, int]]:
    """(year, month, count) of the photos browsing shows with these filters, newest month first (local
    time): the date scrubber's months, for the whole library and not only the pages loaded."""
    f = filters or Filters()
    return catalog.month_counts(
        folder=f.folder,
        date_from=f.date_from,
        date_to=f.date_to,
        formats=f.formats,
        orientation=f.orientation,
        hidden_roots=sorted(unreachable_roots(catalog)),
    )


def unreachable_roots(catalog: Catalog) -> set[str]:
    """The added folders whose root is not there now (``photosearch.app.roots``), whether or not a scan or the
    running indexer has recorded them offline yet (whoever noticed first, the answer names the same folders)."""
    return ROOTS.absent(f.path for f in catalog.folders())


def reachable_only(q: Query, catalog: Catalog) -> tuple[Query, list[str]]:
    """``q`` leaving out the photos of folders that are not there now, and those folders (for
    ``extra[UNREACHABLE_KEY]``). Every listing of photos goes through it: ``search`` and the filter-only listing
    (``photosearch.app.understand.search_understood``)."""
    gone = unreachable_roots(catalog)
    if not gone:
        return q, []
    return q.with_(filters=replace(q.filters or Filters(), hidden_roots=frozenset(gone))), sorted(gone)


def search(query: Query, engine: SearchEngine | None, catalog: Catalog | None = None) -> SearchResponse:
    """Run ``query`` (validated first). Browsing needs only the catalog (``catalog``, or the engine's);
    every other kind needs the engine (``ModelLoading`` while it is None)."""
    q = query.validate()
    cat = catalog if catalog is not None else engine.catalog if engine is not None else None
    if cat is None:
        if q.kind is QueryKind.BROWSE or q.text_only:
            raise PhotoSearchError("the library is not open yet")
        raise ModelLoading("the model is still loading")
    q, gone = reachable_only(q, cat)
    resp = _search(q, engine, cat)
    if gone:
        resp.extra[UNREACHABLE_KEY] = gone
        count_reachable(resp, cat, gone)
    return resp


def count_reachable(resp: SearchResponse, cat: Catalog, gone: list[str]) -> None:
    """The "in N photos" of "Nothing close to …" without the photos of folders not there now (it counted them):
    one count in the catalog, only while a folder is away and only when the answer says it. ``library_size``
    stays the library's (the window and the CLI tell an empty library from one whose folders are away by it)."""
    said = f" in {resp.library_size:,} photos"
    if not resp.message or said not in resp.message:
        return
    new = cat.browse_visible(0, 0, hidden_roots=gone)[1]
    head, _, tail = resp.message.rpartition(said)
    resp.message = f"{head} in {new:,} photos{tail}"


def _search(q: Query, engine: SearchEngine | None, cat: Catalog) -> SearchResponse:
    if q.kind is QueryKind.BROWSE:
        f = q.filters
        oldest = q.sort is SortOrder.OLDEST
        if f is not None and (f.within is not None or f.place or f.camera):  # place/time/camera filters
            from photosearch.app.understand import matching

            return matching(cat, f, q.offset, q.k, oldest=oldest)
        return (
            browse_oldest(cat, q.offset, q.k, q.filters) if oldest else browse(cat, q.offset, q.k, q.filters)
        )
    if q.kind is QueryKind.TEXT and q.text_only:  # the words read in photos: the catalog alone
        return blend(None, cat, q.text, q.k, q.filters)
    if engine is None:
        raise ModelLoading("the model is still loading")
    if q.sort is not SortOrder.RELEVANCE:  # the date view lists every good match, not only the k best
        resp = by_date(_ranked(engine, q.with_(k=max(q.k, DATE_POOL), offset=0)), q.sort, K_MAX)
    else:  # collapsing bursts needs more rows than it shows
        resp = _ranked(engine, q.with_(k=min(K_MAX, 3 * q.k + 20)) if q.bursts else q)
    if q.bursts:
        return collapse(resp, engine.catalog, engine.runtime.dim, q.k)
    del resp.results[q.k :]
    return resp


def _ranked(engine: SearchEngine, q: Query) -> SearchResponse:
    """The query's results by relevance (steered by 👍/👎 when given), each marked passed or not, the good
    matches first (see ``SearchResponse.good_matches_first``)."""
    resp = _by_relevance(engine, q)
    resp.good_matches_first()
    return resp


def _by_relevance(engine: SearchEngine, q: Query) -> SearchResponse:
    st = q.strictness
    if q.like or q.unlike:
        return _steered(engine, q)
    if q.kind is QueryKind.TEXT:  # by meaning and by the words read in photos, together
        return _with_names_and_text(engine, engine.search_text(q.text, q.k, q.filters, strictness=st), q)
    if q.kind is QueryKind.IMAGE:
        return engine.search_image(q.image, q.k, q.filters, strictness=st)
    if q.kind is QueryKind.SIMILAR:
        return engine.search_image(q.image, q.k, q.filters, exclude_self=True, strictness=st)
    if q.kind is QueryKind.COMPOSED:
        return engine.search_composed(
            q.image, q.text, q.k, weight=q.weight, fusion=q.fusion, filters=q.filters, strictness=st
        )
    if q.kind is QueryKind.SEVERAL:
        resp = several_photos(
            engine, q.images, q.text, q.k, q.filters, weight=q.weight, fusion=q.fusion, strictness=st
        )
        resp.kind = QueryKind.SEVERAL.value
        return resp
    raise ValueError(q.kind)


def _with_names_and_text(engine: SearchEngine, resp: SearchResponse, q: Query) -> SearchResponse:
    """``resp`` (by meaning) with the photos the words' names and the text read in them find first
    (``blend``), those found by name alone scored by their cosine with the words typed."""
    resp = blend(resp, engine.catalog, q.text, q.k, q.filters, engine.runtime.id)
    cosines_of_named(engine, resp, q.text)
    return resp


def cosines_of_named(engine: SearchEngine, resp: SearchResponse, text: str) -> None:
    """A photo found by its name alone (not among the meaning's k best) gets its cosine with the query as its
    score, as every other result has: before, it carried the name's share (0.57 for 'holiday' in 'Holiday
    2019'), so one photo's score for one query changed with -k. Its place in the list (names first) stays."""
    named = [r for r in resp.results if r.found_by == FoundBy.NAME and r.label >= 0]
    if not named:
        return
    ids, vecs = engine.vectors_for([r.label for r in named])
    if not len(ids):
        return
    scores = dict(
        zip((int(i) for i in ids), cosine_scorer(engine.text_vector(text)).score(vecs), strict=True)
    )
    for r in named:
        if r.label in scores:
            r.score = float(scores[r.label])


def _steered(engine: SearchEngine, q: Query) -> SearchResponse:
    """👍/👎: the query's own vector moved toward the liked photos and away from the disliked (Rocchio); good
    matches are still judged by the query as given."""
    exclude: set[int] = set()
    if q.kind is QueryKind.TEXT:
        base, kind = engine.text_vector(q.text), "text"
    else:
        vecs, labels = reference_vectors(engine, q.images)
        base = several(vecs)
        kind = {QueryKind.IMAGE: "image", QueryKind.SIMILAR: "similar"}.get(q.kind, "several")
        if q.kind is not QueryKind.IMAGE:  # "more like this/these": the references themselves are left out
            exclude = labels
        if q.text:  # a photo (or several) changed by words: the blend of the two, as one vector
            base = fused_vector(base, engine.text_vector(q.text), q.weight, "sum")
            kind = "composed"
    # the 👎 photos' vectors, once: the search moves away from them and the words' blend below drops them
    unlike = reference_vectors(engine, q.unlike)
    resp = steer(
        engine,
        base,
        kind,
        reference_vectors(engine, q.like),
        unlike,
        q.k,
        q.filters,
        exclude=exclude,
        strictness=q.strictness,
        what=q.text or "these photos",
    )
    if q.kind is not QueryKind.TEXT:
        return resp
    # words: the photos their names and the text read in them find come first, as without 👍/👎; 👎 stays out
    resp = _with_names_and_text(engine, resp, q)
    if q.unlike:
        gone = {os.path.realpath(p) for p in q.unlike if isinstance(p, str | os.PathLike)}
        resp.results = [
            r for r in resp.results if r.label not in unlike[1] and os.path.realpath(r.path) not in gone
        ]
        for i, r in enumerate(resp.results, 1):
            r.rank = i
    return resp


def duplicates(paths: Paths, threshold: float, max_distance: int) -> list[DuplicateGroup]:
    """Near-duplicate groups. A writer stores the perceptual hashes it computes; when another process
    holds the writer lock, a reader computes them and forgets."""
    from photosearch.search.duplicates import find_duplicates

    try:
        lib, store = Library(paths, write=True, purpose="photosearch duplicates"), True
    except IndexLocked:
        lib, store = Library(paths), False
    with lib:
        return find_duplicates(
            open_engine(lib), threshold=threshold, max_distance=max_distance, store_hashes=store
        )
