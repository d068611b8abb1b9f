"""How a query line was understood: place, time and camera filters read out of the words, and what remains for
the model ("dogs in Italy last summer" → "dogs" + 📍 Italy + 📅 Jun–Aug 2025).

The parser (``photosearch.places.query_words``; its rules for false friends are documented there) knows only
the places and cameras that occur in this library's catalog and every country name, so it never turns a word
into a place the library lacks. ``--place``/``--camera`` (``Filters.place``/``Filters.camera``) are looked up
the same way. All of them resolve into ``Filters.within``: the content hashes of the visible photos that pass
— a place needs a GPS position (a photo without one never matches a place), a camera needs EXIF make/model,
a time uses the photo's own local wall-clock date (seasons follow its hemisphere).

A line that is nothing but filters ("Helsinki", "photos from my Nikon") needs no model: every matching photo,
newest first, each marked ``passed=True`` and ``found_by="filters"`` (the response's ``extra['total']`` counts
them). Relative dates use ``today`` (injectable; ``PHOTOSEARCH_TODAY=YYYY-MM-DD`` for the CLI).

Nothing here loads the place data (GeoNames) or scipy: the parser needs only country names (a small CSV) and
the catalog.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from photosearch.app.query import Query, QueryKind, SortOrder
from photosearch.config import setting
from photosearch.places.countries import ENDONYMS, country_names
from photosearch.places.query_words import (
    CameraFilter,
    ParsedQuery,
    PlaceFilter,
    Vocabulary,
    _words,
    camera_key,
    fold,
    parse,
)
from photosearch.places.timewords import TimeFilter
from photosearch.search.results import Filters, Result, SearchResponse

if TYPE_CHECKING:
    from photosearch.library.library import Library
    from photosearch.search.engine import SearchEngine
    from photosearch.store.catalog import Catalog

FOUND_BY_FILTERS = "filters"
#: the most photos a filter-only query lists at once (the query's page size for meaning searches)
FILTER_LIST_MAX = 5000


def today() -> dt.date:
    raw = setting("PHOTOSEARCH_TODAY")
    if raw:
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    return dt.date.today()


_vocabularies: weakref.WeakKeyDictionary[Catalog, tuple[tuple[int, int], Vocabulary]] = (
    weakref.WeakKeyDictionary()
)
_vocabularies_lock = threading.Lock()


def vocabulary(catalog: Catalog) -> Vocabulary:
    """The parser's words for this library: its places and cameras, and every country. Built once per change
    of the catalog (its ``change_counter``: another process's commit or this connection's own writes), not on
    every query: building it (~250 countries plus the library's places) costs a few milliseconds. The
    vocabulary is never changed once built, so every thread may share it."""
    stamp = catalog.change_counter()
    with _vocabularies_lock:
        hit = _vocabularies.get(catalog)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    places, cameras = catalog.meta_vocabulary()
    vocab = Vocabulary.build(country_names(), places, cameras, local_names=ENDONYMS)
    with _vocabularies_lock:
        _vocabularies[catalog] = (stamp, vocab)
    return vocab


@dataclass
class Understood:
    """The query to run (its text is the remaining meaning; its filters resolved) and how the line was read."""

    query: Query
    parsed: ParsedQuery | None = None  # None: literal, or a query without words
    places: tuple[PlaceFilter, ...] = ()
    cameras: tuple[CameraFilter, ...] = ()
    time: TimeFilter | None = None
    unknown: tuple[str, ...] = ()  # --place / --camera values this library has no photos of
    literal: bool = False  # the words were not read for filters

    @property
    def filters_only(self) -> bool:
        f = self.query.filters
        return self.query.kind is QueryKind.BROWSE and f is not None and f.within is not None

    def chips(self, no_location: bool = False) -> list[tuple[str, str]]:
        """(kind, label) of every filter read, in order: ("place", "Italy"), ("time", "last summer")…"""
        out: list[tuple[str, str]] = []
        for p in self.places:
            out.append(("place", p.label))
        if self.time is not None:
            out.append(("time", time_label(self.time)))
        for c in self.cameras:
            out.append(("camera", c.label))
        return [c for c in out if not (no_location and c[0] == "place")]

    def to_json(self, no_location: bool = False) -> dict[str, Any]:
        t = self.time
        data: dict[str, Any] = {
            "text": self.query.text,
            "filters_only": self.filters_only,
            "literal": self.literal,
            "place": None if no_location else [_place_json(p) for p in self.places],
            "time": None
            if t is None
            else {"label": time_label(t), "from": _iso(t.bounds()[0]), "to": _iso(t.bounds()[1])},
            "camera": [c.label for c in self.cameras],
            "unknown": [] if no_location else list(self.unknown),
            "chips": [{"kind": k, "label": v} for k, v in self.chips(no_location)],
        }
        if no_location:
            del data["place"]
        return data


def time_label(t: TimeFilter) -> str:
    """ "last summer" → "Jun–Aug 2025" where the range is fixed (northern months; the south is shifted)."""
    start, end = t.bounds()
    if t.season is not None and t.relative is not None and t.today is not None:
        from photosearch.places.timewords import latest_season

        s, e = latest_season(t.season, t.today, False, ended=t.relative == "last")
        return _range_label(s, e)
    if start is not None and end is not None and t.months is None and t.season is None:
        return _range_label(start, end)
    return t.label


def _range_label(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    if start.day == 1 and end.day == 1:
        if start.month == 1 and end.month == 1:
            return str(start.year) if last.year == start.year else f"{start.year}–{last.year}"
        if (start.year, start.month) == (last.year, last.month):
            return start.strftime("%b %Y")
        if start.year == last.year:
            return f"{start.strftime('%b')}–{last.strftime('%b %Y')}"
        return f"{start.strftime('%b %Y')}–{last.strftime('%b %Y')}"
    return start.isoformat() if start == last else f"{start.isoformat()}–{last.isoformat()}"


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _place_json(p: PlaceFilter) -> dict[str, str]:
    return {"level": p.level.value, "name": p.name, "country_code": p.country_code}


def understand(
    query: Query,
    catalog: Catalog,
    *,
    today_: dt.date | None = None,
    literal: bool = False,
    drop: frozenset[str] = frozenset(),
) -> Understood:
    """Read filters out of ``query``'s words (unless ``literal``) and resolve every place, camera and time
    filter into ``Filters.within``. The query returned has the remaining meaning as its text; with no words
    left (and no photo) it becomes a filter-only listing (``Understood.filters_only``). ``drop`` names kinds of
    filter read from the words ("place", "time", "camera") that the person removed (a chip's ✕): their words
    are left out, not searched as meaning."""
    f = query.filters or Filters()
    vocab: Vocabulary | None = None
    places: list[PlaceFilter] = []
    cameras: list[CameraFilter] = []
    unknown: list[str] = []
    parsed: ParsedQuery | None = None
    time_f: TimeFilter | None = None
    text = query.text
    words_count = query.kind in (QueryKind.TEXT, QueryKind.COMPOSED) and not query.text_only
    if words_count and not literal and text.strip():
        vocab = vocabulary(catalog)
        parsed = parse(text, vocab, today_ or today())
        text = parsed.text
        places += [] if "place" in drop else parsed.places
        cameras += [] if "camera" in drop else parsed.cameras
        time_f = None if "time" in drop else parsed.time
    if f.place:
        vocab = vocab or vocabulary(catalog)
        found = vocab.places.get(tuple(_words(fold(f.place))))
        places += found or []
        if not found:
            unknown.append(f.place)
    if f.camera:
        vocab = vocab or vocabulary(catalog)
        cams = _cameras_named(f.camera, vocab, catalog)
        cameras += cams
        if not cams:
            unknown.append(f.camera)
    typed = bool(f.place or f.camera)
    if not (places or cameras or time_f or typed):
        return Understood(query, parsed, literal=literal)
    within = frozenset() if unknown else _resolve(catalog, places, cameras, time_f)
    filters = replace(f, within=within)
    kind = query.kind
    if kind is QueryKind.TEXT and not text:
        kind = QueryKind.BROWSE
    elif kind is QueryKind.COMPOSED and not text:
        kind = QueryKind.IMAGE
    q = query.with_(kind=kind, text=text, filters=filters)
    return Understood(q, parsed, tuple(places), tuple(cameras), time_f, tuple(unknown), literal)


def _cameras_named(name: str, vocab: Vocabulary, catalog: Catalog) -> list[CameraFilter]:
    key = tuple(_words(fold(name)))
    if key in vocab.cameras:
        return [vocab.cameras[key]]
    want = " ".join(key)
    out: list[CameraFilter] = []
    for make, model in catalog.meta_cameras():  # "d750", "pixel 8": a part of the make and model
        mk, md = camera_key(make, model)
        if want and want in f"{mk or ''} {md or ''}":
            out.append(CameraFilter(mk, md, " ".join(x for x in (make, model) if x)))
    return out


def _resolve(
    catalog: Catalog, places: list[PlaceFilter], cameras: list[CameraFilter], time_f: TimeFilter | None
) -> frozenset[str]:
    """Content hashes passing every given filter (SQL over the metadata indexes; times checked in Python
    on the rows within the filter's coarse date bounds)."""
    sets: list[set[str]] = []
    if places:
        hs: set[str] = set()
        for p in places:
            level = p.level.value
            hs |= catalog.hashes_at_place(
                p.country_code, p.name if level == "region" else None, p.name if level == "city" else None
            )
        sets.append(hs)
    if cameras:
        hs = set()
        for make, model in catalog.meta_cameras():
            if any(c.matches(make, model) for c in cameras):
                hs |= catalog.hashes_of_camera(make, model)
        sets.append(hs)
    if time_f is not None:
        lo, hi = time_f.bounds()
        hs = set()
        months = _months_of(time_f)
        for h, taken, lat in catalog.taken_times(
            lo.isoformat() if lo else None, hi.isoformat() if hi else None, months
        ):
            try:
                local = dt.datetime.fromisoformat(taken)
            except ValueError:
                continue
            if time_f.matches(local, lat):
                hs.add(h)
        for h, taken_at, mtime_ns in catalog.files_without_taken_meta():
            stamp = taken_at if taken_at is not None else (mtime_ns / 1e9 if mtime_ns else None)
            if stamp is not None and time_f.matches(dt.datetime.fromtimestamp(stamp), None):
                hs.add(h)
        sets.append(hs)
    out = sets[0]
    for more in sets[1:]:
        out &= more
    return frozenset(out)


def _months_of(t: TimeFilter) -> list[int] | None:
    """The months a filter can match in either hemisphere (a coarse SQL filter), or None for any."""
    if t.months is not None:
        return sorted(t.months)
    if t.season is not None and t.season_year is None and t.relative is None:
        from photosearch.places.timewords import season_months

        return sorted(set(season_months(t.season)) | set(season_months(t.season, southern=True)))
    return None


def matching(
    catalog: Catalog, filters: Filters, offset: int = 0, limit: int = FILTER_LIST_MAX, *, oldest: bool = False
) -> SearchResponse:
    """Every visible photo passing ``filters``, newest first (date taken, else file time; ``oldest``: oldest
    first): a filter-only query. Each result is marked passed, ``found_by="filters"``, score 1.0;
    ``extra['total']`` counts them all."""
    rows = [f for f in catalog.visible_files_for_hashes(sorted(filters.within or ())) if filters.accepts(f)]
    sign = 1 if oldest else -1
    rows.sort(key=lambda f: (sign * (f.taken_at if f.taken_at is not None else f.mtime_ns / 1e9), f.path))
    page = rows[offset : offset + limit]
    results = [
        Result(offset + i + 1, f.path, 1.0, f, -1, passed=True, found_by=FOUND_BY_FILTERS)
        for i, f in enumerate(page)
    ]
    return SearchResponse(
        results,
        QueryKind.TEXT.value,
        catalog.visible_count(),
        message="" if rows else "no photos pass these filters",
        extra={"total": len(rows), "offset": offset},
    )


def search_understood(u: Understood, engine: SearchEngine | None, catalog: Catalog) -> SearchResponse:
    """Run an understood query: a filter-only one from the catalog alone, any other through ``search``."""
    from photosearch.app.search import search

    if u.filters_only:
        from photosearch.app.search import UNREACHABLE_KEY, reachable_only

        q, gone = reachable_only(u.query, catalog)  # folders not there now: their photos are not listed
        assert q.filters is not None
        resp = matching(
            catalog, q.filters, q.offset, max(q.k, FILTER_LIST_MAX), oldest=q.sort is SortOrder.OLDEST
        )
        if gone:
            resp.extra[UNREACHABLE_KEY] = gone
        return resp
    if u.query.text_only:
        return search(u.query, None, catalog)
    return search(u.query, engine, catalog)


DROP_KEY = "drop"  # Query.extra: kinds of filter the person removed (the window's chip ✕)
CHIPS_KEY = "chips"  # SearchResponse.extra: how the line was understood, [(kind, label)…]


def run(query: Query, engine: SearchEngine | None, catalog: Catalog | None) -> SearchResponse:
    """The window's road for every query: understood (minus the kinds in ``query.extra[DROP_KEY]``), then
    run as ``answer`` runs it; the chips go in ``extra[CHIPS_KEY]``."""
    from photosearch.app.search import search

    cat = catalog if catalog is not None else engine.catalog if engine is not None else None
    if cat is None:
        return search(query, engine, catalog)  # says why it cannot run
    u = understand(query, cat, drop=frozenset(query.extra.get(DROP_KEY, ())))
    resp = _with_names_as_typed(u, search_understood(u, engine, cat), cat, query.text, engine)
    resp.extra[CHIPS_KEY] = u.chips()
    return resp


def _with_names_as_typed(
    u: Understood, resp: SearchResponse, catalog: Catalog, typed: str, engine: SearchEngine | None
) -> SearchResponse:
    """The photos the line *as typed* names, first: 'Holiday 2019' reads 2019 as a date filter, yet the folder
    'Holiday 2019' is what the person typed (its photos may have been copied off a phone years later). Only for a
    words query whose words were partly read as place/time/camera filters, in relevance order (a year, place or
    camera typed alone stays that filter). Cost: one name look-up (< 1 ms without a match) on such lines only."""
    q = u.query
    if (
        u.parsed is None
        or u.filters_only
        or engine is None
        or not (u.places or u.cameras or u.time is not None)
    ):
        return resp
    if q.kind is not QueryKind.TEXT or q.text_only or q.like or q.unlike or q.bursts:
        return resp
    if q.sort is not SortOrder.RELEVANCE:
        return resp
    from photosearch.app.search import cosines_of_named, reachable_only
    from photosearch.search.name_match import name_hits
    from photosearch.search.text_match import blend

    seen, _ = reachable_only(q, catalog)  # folders not there now stay out
    base = replace(seen.filters, within=None) if seen.filters is not None else None
    named = name_hits(catalog, typed, base, engine.runtime.id)
    if not named:
        return resp
    out = blend(resp, catalog, typed, q.k, base, engine.runtime.id, named)
    cosines_of_named(engine, out, q.text)
    out.good_matches_first()
    return out


def answer(
    query: Query, lib: Library, *, literal: bool = False, today_: dt.date | None = None
) -> tuple[SearchResponse, Understood]:
    """One query in a one-shot process (the CLI): understood, then run; the model loads only when words
    remain for it (a filter-only line needs none)."""
    from photosearch.app.search import engine_for

    u = understand(query, lib.catalog, today_=today_, literal=literal)
    needs_model = not u.filters_only and not u.query.text_only
    engine = engine_for(lib, u.query) if needs_model else None
    resp = search_understood(u, engine, lib.catalog)
    return _with_names_as_typed(u, resp, lib.catalog, query.text, engine), u
