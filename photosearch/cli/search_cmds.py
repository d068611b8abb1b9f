"""Commands that search: search (text, a photo, both), similar, duplicates."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from photosearch.cli.output import _emit, _open, _paths
from photosearch.errors import QueryError
from photosearch.progress import plural

if TYPE_CHECKING:
    from photosearch.app.query import Query
    from photosearch.app.search import SearchResponse


def _query(args: argparse.Namespace, text: str = "", images: tuple[str, ...] = (), **kw: Any) -> Query:
    from photosearch.app.query import Query, make_filters

    filters = make_filters(
        getattr(args, "folder", None),
        getattr(args, "date_from", None),
        getattr(args, "date_to", None),
        getattr(args, "type", None),
        getattr(args, "orientation", None),
        getattr(args, "place", None),
        getattr(args, "camera", None),
    )
    return Query.of(text, images, filters=filters, k=args.k, **kw)


def _run_query(args: argparse.Namespace, query: Any, shown: dict[str, Any]) -> int:
    from photosearch.app.understand import answer

    if query.kind.value != "browse":  # a filter-only query (--place alone) has nothing to check
        query.validate()  # before the model loads: a bad query fails fast
    no_location = getattr(args, "no_location", False)
    with _open(args) as lib:  # place, time and camera words become filters (photosearch.app.understand)
        resp, understood = answer(query, lib, literal=getattr(args, "literal", False))
        metas: list[Any] = []
        if args.json:
            from photosearch.app.places import results_meta

            metas = results_meta(lib.catalog, resp.results, no_location)
    read = understood.to_json(no_location)
    if no_location:  # the line as typed may name a place: only the remaining meaning is shown
        shown = {**shown, "text": read["text"] or None}
    _print_results(args, resp, shown, read, metas)
    return 0


def _print_results(
    args: argparse.Namespace,
    resp: SearchResponse,
    query: dict[str, Any],
    understood: dict[str, Any] | None = None,
    metas: list[Any] | None = None,
) -> None:
    results = [r.to_json() for r in resp.results]
    for r, m in zip(results, metas or [], strict=False):
        r["meta"] = m
    data = {
        "query": query,
        "understood": understood,
        "kind": resp.kind,
        "library_size": resp.library_size,
        "no_good_matches": resp.no_good_matches,
        "message": resp.message,
        "cutoff": resp.extra.get("cutoff"),
        "total": resp.extra.get("total"),
        "results": results,
    }

    def human() -> Iterable[str]:
        chips = (understood or {}).get("chips") or []
        if chips:
            yield "understood: " + ", ".join(f"{c['kind']} {c['label']}" for c in chips)
        if not resp.results:
            yield "no results" if resp.library_size else "the library is empty: add a folder and index it"
            return
        if resp.no_good_matches:
            yield f"no good matches ({resp.message or 'nothing stands out'}); the nearest photos are:"
        for r in resp.results:
            mark = "" if r.passed else "  (weak)"
            if r.found_by in ("text", "text+meaning"):
                mark += "  (found by its text)"
            yield f"{r.rank:3}  {r.score:.4f}  {r.path}{mark}"

    _emit(args, data, human)


def cmd_search(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    images = (args.image,) if args.image else ()
    if not text and not images and not (getattr(args, "place", None) or getattr(args, "camera", None)):
        raise QueryError("give some text to search for, or --image PATH")  # the GUI browses; here a mistake
    from photosearch.app.language import apply_query_language

    apply_query_language(_paths(args), getattr(args, "lang", None))  # NLLB: the query's FLORES-200 code
    query = _query(args, text, images, weight=args.weight, fusion=args.fusion)
    if getattr(args, "text_only", False):
        if images:
            raise QueryError("--text-only searches the words read in photos: give words, not --image")
        query = query.with_(text_only=True)
    return _run_query(args, query, {"text": text or None, "image": args.image})


def cmd_similar(args: argparse.Namespace) -> int:
    from photosearch.app.query import QueryKind

    query = _query(args, "", (args.path,)).with_(kind=QueryKind.SIMILAR)
    return _run_query(args, query, {"similar": args.path})


def cmd_duplicates(args: argparse.Namespace) -> int:
    from photosearch.app.search import duplicates

    groups = duplicates(_paths(args), args.threshold, args.max_distance)
    data = {
        "threshold": args.threshold,
        "max_distance": args.max_distance,
        "groups": [g.to_json() for g in groups],
    }

    def human() -> Iterable[str]:
        if not groups:
            yield "no near-duplicates found"
        for i, g in enumerate(groups, 1):
            yield f"group {i}: {plural(len(g.files), 'photo')}{' (identical files)' if g.identical else ''}"
            for f in g.files:
                yield f"  {f.path}"

    _emit(args, data, human)
    return 0


def cmd_places(args: argparse.Namespace) -> int:
    from photosearch.app.places import list_places

    with _open(args) as lib:
        listing = list_places(lib.catalog)

    def human() -> Iterable[str]:
        if not listing.countries:
            yield "no photos with a place yet"
        for c in listing.countries:
            yield f"{c.name} ({c.code})  {plural(c.count, 'photo')}"
            for city in c.cities:
                where = city.name or "(no town nearby)"
                yield f"    {where}{', ' + city.region if city.region else ''}  {city.count}"
        yield f"without a location: {plural(listing.without_location, 'photo')}"
        if listing.not_read:
            yield f"metadata not read yet: {plural(listing.not_read, 'photo')} (photosearch index reads it)"

    _emit(args, listing.to_json(), human)
    return 0
