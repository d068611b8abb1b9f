"""Commands that search: search (text, a photo, both), similar, duplicates."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from photosearch.cli.output import _emit, _open, _paths, ranged
from photosearch.errors import QueryError
from photosearch.progress import plural
from photosearch.terminal import shown as printable

if TYPE_CHECKING:
    from photosearch.app.query import Query
    from photosearch.app.search import SearchResponse


def steering_opts(sp: argparse.ArgumentParser) -> None:
    """Options every search takes: the line's strictness, the date order, 👍/👎 feedback."""
    sp.add_argument(
        "--strictness",
        type=int,
        default=3,
        choices=range(1, 6),
        metavar="1-5",
        help="how clear a match must be: 1 loosest … 5 strictest (default 3, the model's calibrated line)",
    )
    sp.add_argument(
        "--sort",
        default="relevance",
        choices=["relevance", "date", "newest", "oldest"],
        help="date (= newest) / oldest: only the good matches, by date taken",
    )
    sp.add_argument(
        "--bursts",
        action="store_true",
        help="near-identical shots as one result with a count (--json lists them)",
    )
    sp.add_argument(
        "-n",
        "--no-indexing",
        "--skip-index",
        action="store_true",
        help="rclip's 'skip indexing': accepted; a search never indexes ('photosearch index' does)",
    )
    sp.add_argument(
        "--like", action="append", default=[], metavar="PATH", help="👍 more like this (repeatable)"
    )
    sp.add_argument(
        "--unlike", action="append", default=[], metavar="PATH", help="👎 less like this (repeatable)"
    )


def _steering(args: argparse.Namespace) -> dict[str, Any]:
    from photosearch.app.query import SortOrder

    sort = getattr(args, "sort", "relevance")
    return {
        "strictness": getattr(args, "strictness", 3),
        "sort": SortOrder.NEWEST if sort == "date" else SortOrder(sort),
        "like": tuple(getattr(args, "like", None) or ()),
        "unlike": tuple(getattr(args, "unlike", None) or ()),
        "bursts": bool(getattr(args, "bursts", False)),
    }


def _home(path: str | None) -> str | None:
    """``~`` the shell left alone (``--folder=~/Pictures``: no expansion after '='), as home."""
    return os.path.expanduser(path) if path else path


def _expand_home(args: argparse.Namespace) -> None:
    """Every path option with its ``~`` as home; '--export-to=~/x' made a folder named '~' where it ran."""
    for name in ("folder", "export_to"):
        if getattr(args, name, None):
            setattr(args, name, _home(getattr(args, name)))
    for name in ("image", "like", "unlike"):
        if getattr(args, name, None):
            setattr(args, name, [_home(p) for p in getattr(args, name)])


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
    return Query.of(text, images, filters=filters, k=args.k, **{**_steering(args), **kw})


def _run_query(args: argparse.Namespace, query: Any, shown: dict[str, Any]) -> int:
    from photosearch.app.status import empty_library_words
    from photosearch.app.understand import answer

    if query.kind.value != "browse":  # a filter-only query (--place alone) has nothing to check
        query.validate()  # before the model loads: a bad query fails fast
    no_location = getattr(args, "no_location", False)
    with _open(args) as lib:  # place, time and camera words become filters (photosearch.app.understand)
        resp, understood = answer(query, lib, literal=getattr(args, "literal", False))
        empty = "" if resp.library_size else empty_library_words(lib)
        roots = _export_roots(args, lib)
        metas: list[Any] = []
        if args.json:
            from photosearch.app.places import results_meta

            metas = results_meta(lib.catalog, resp.results, no_location)
    read = understood.to_json(no_location)
    if no_location:  # the line as typed may name a place: only the remaining meaning is shown
        shown = {**shown, "text": read["text"] or None}
    _print_results(args, resp, shown, read, metas, empty)
    _export(args, [r.path for r in resp.passed], no_location, roots)
    return 0


def _export_roots(args: argparse.Namespace, lib: Any) -> list[str]:
    """The added folders, which ``_export`` warns about copying into; read only for ``--export-to``."""
    return [f.path for f in lib.catalog.folders()] if getattr(args, "export_to", None) else []


def _export(args: argparse.Namespace, paths: list[str], no_location: bool, roots: Sequence[str] = ()) -> None:
    """``--export-to FOLDER``: copy these photos there (``app.places.export_photos``, the window's road too);
    the line that says so goes to stderr, so ``--json`` stays one document."""
    folder = _home(getattr(args, "export_to", None))
    if not folder:
        return
    from photosearch.app.places import export_photos

    how = " without location" if no_location else ""
    if not paths:
        print(f"nothing copied to {printable(folder)}: no good matches", file=sys.stderr)
        return
    out = export_photos(paths, folder, no_location=no_location)
    print(f"copied {plural(len(out), 'photo')}{how} to {printable(folder)}", file=sys.stderr)
    from photosearch.paths import path_inside

    real = os.path.realpath(folder)
    within = next((r for r in roots if path_inside(real, r)), None)
    if within is not None:  # the next index adds the copies: each photo then comes up twice
        print(
            f"(that folder is inside the added folder {printable(within)}: the copies will be indexed as photos of "
            "this library too; 'photosearch folders exclude' leaves it out)",
            file=sys.stderr,
        )


def _with_burst(row: dict[str, Any], bursts: dict[str, list[str]]) -> dict[str, Any]:
    shots = bursts.get(row["path"])
    return {**row, "burst": len(shots)} if shots else row


def _print_results(
    args: argparse.Namespace,
    resp: SearchResponse,
    query: dict[str, Any],
    understood: dict[str, Any] | None = None,
    metas: list[Any] | None = None,
    empty: str = "",
) -> None:
    """``empty``: what to say when the library has no photo to search (``app.status.empty_library_words``)."""
    if getattr(args, "filepath_only", False):
        _print_paths(resp, null=args.null)
        return
    bursts: dict[str, list[str]] = resp.extra.get("bursts") or {}
    results = [_with_burst(r.to_json(), bursts) for r in resp.results]
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
        "sort": resp.extra.get("sort", "relevance"),
        "results": results,
    }
    if "bursts" in resp.extra:
        data["bursts"] = bursts
    from photosearch.app.search import UNREACHABLE_KEY

    gone: list[str] = resp.extra.get(UNREACHABLE_KEY) or []
    if gone:
        data[UNREACHABLE_KEY] = gone

    def human() -> Iterable[str]:
        chips = (understood or {}).get("chips") or []
        if chips:
            yield "understood: " + ", ".join(f"{c['kind']} {c['label']}" for c in chips)
        yield from _unknown_filters(args, (understood or {}).get("unknown") or [])
        for folder in gone:
            yield f"(not there now, so its photos are not listed: {printable(folder)})"
        if not resp.results:
            yield _why_none(args, chips, resp) if resp.library_size else empty or "the library is empty"
            return
        line = resp.extra.get("cutoff") or {}
        if line and line.get("threshold", 0) is None:
            yield (
                "(no relevance line: this model is uncalibrated, so its results are not sorted into good and weak; "
                "'photosearch models calibrate' sets one on this library)"
            )
        elif line and not line.get("calibrated", True):
            yield "(this model's relevance line is uncalibrated: a default one)"
        if resp.no_good_matches:
            yield f"no good matches ({resp.message or 'nothing stands out'}); the nearest photos are:"
        for r in resp.results:
            mark = "" if r.passed else "  (weak)"
            if r.found_by in ("text", "text+meaning"):
                mark += "  (found by its text)"
            elif r.matched_name is not None:
                mark += f"  (found by its {_name_reason(r)})"
            if r.path in bursts:
                mark += f"  (a burst of {len(bursts[r.path])} shots; --json lists them)"
            when = ""
            if resp.extra.get("sort") in ("newest", "oldest"):  # the date it is sorted by (steering.by_date)
                when = f"  {_date(r.file.taken_at, r.file.mtime_ns)}"
            yield f"{r.rank:3}  {r.score:.4f}{when}  {r.path}{mark}"

    _emit(args, data, human)


def _why_none(args: argparse.Namespace, chips: list[dict[str, str]], resp: SearchResponse) -> str:
    """ "no results", and which filters left nothing (a bare "no results" reads as "the model found nothing")."""
    typed = [
        f"{flag} {printable(str(value))}"
        for flag, value in (
            ("--folder", getattr(args, "folder", None)),
            ("--from", getattr(args, "date_from", None)),
            ("--to", getattr(args, "date_to", None)),
            ("--type", getattr(args, "type", None)),
            ("--orientation", getattr(args, "orientation", None)),
            ("--place", getattr(args, "place", None)),
            ("--camera", getattr(args, "camera", None)),
        )
        if value
    ]
    read = [f"{c['kind']} {c['label']}" for c in chips if c["kind"] not in ("place", "camera") or not typed]
    said = " ".join(typed) + (" and " if typed and read else "") + ", ".join(read)
    if said:
        return f"no results: no photo passes {said}"
    if resp.extra.get("text_only"):  # text_match.blend without a model: the words read in photos, not names
        return (
            "no results: no photo has these words in it (--text-only looks only at the words read in photos; "
            "without it, file and folder names count too)"
        )
    return f"no results: {resp.message}" if resp.message else "no results"


def _name_reason(r: Any) -> str:
    """Which of a result's names matched the query (``Result.matched_name``), in words."""
    if r.matched_name == os.path.basename(r.path):
        return "file name"
    return f"folder's name: {printable(r.matched_name)}"


def _print_paths(resp: SearchResponse, null: bool) -> None:
    """``-f`` (rclip's ``--filepath-only``): the good matches' paths, byte for byte as on disk (a name that is
    not UTF-8 too), for another program; ``--null`` ends each with NUL, for a name with a newline in it. Why
    there is none goes to stderr."""
    end = b"\0" if null else b"\n"
    out = sys.stdout.buffer
    for r in resp.passed:
        out.write(os.fsencode(r.path) + end)
    out.flush()
    if not resp.passed:
        print(f"photosearch: no good matches{': ' + resp.message if resp.message else ''}", file=sys.stderr)


def check_output_options(args: argparse.Namespace) -> None:
    if getattr(args, "filepath_only", False) and args.json:
        raise QueryError("-f prints paths only and --json prints everything: choose one")
    if getattr(args, "null", False) and not getattr(args, "filepath_only", False):
        raise QueryError("--null ends the paths of -f with NUL: give -f too")


def cmd_search(args: argparse.Namespace) -> int:
    from photosearch.app.query import image_named_by

    check_output_options(args)
    _expand_home(args)
    text = " ".join(args.text).strip()
    images = tuple(args.image or ())
    named = None if images or len(args.text) != 1 else image_named_by(text)
    if named is not None:
        print(
            f"searching for photos like {printable(named)} (a photo's path; --image PATH says so)",
            file=sys.stderr,
        )
        text, images = "", (named,)
    folder = _folder_named_by(text) if named is None and not images and len(args.text) == 1 else None
    if folder is not None and not getattr(args, "folder", None):
        print(
            f"listing the photos in {printable(folder)} (a folder's path; --folder {printable(folder)} says so, "
            "and with words searches in it)",
            file=sys.stderr,
        )
        text, args.folder = "", folder
    query = _query(args, text, images, weight=args.weight, fusion=args.fusion)
    if not text and not images and (query.like or query.unlike):
        raise QueryError(
            "--like/--unlike steer a search: give words too, or --image PATH (--image a.jpg: photos like a.jpg)"
        )
    if not text and not images and query.filters is None:  # a filter alone browses (every match)
        raise QueryError("give some text to search for, or --image PATH")  # the GUI browses; here a mistake
    from photosearch.app.language import apply_query_language

    apply_query_language(_paths(args), getattr(args, "lang", None))  # NLLB: the query's FLORES-200 code
    if getattr(args, "text_only", False):
        if images:
            raise QueryError("--text-only searches the words read in photos: give words, not --image")
        query = query.with_(text_only=True)
    shown = {"text": text or None, "image": images[0] if len(images) == 1 else (list(images) or None)}
    return _run_query(args, query, shown)


def _folder_named_by(text: str) -> str | None:
    """The query is a folder's path (``~/Pictures/2019``, ``./trip``; a bare word such as ``beach`` is words even
    when the current folder has a sub-folder of that name): that folder, as it is written."""
    if os.sep not in text and not text.startswith("~") and not (os.altsep and os.altsep in text):
        return None
    path = os.path.expanduser(text)
    return os.path.abspath(path) if os.path.isdir(path) else None


def cmd_similar(args: argparse.Namespace) -> int:
    from photosearch.app.query import QueryKind

    check_output_options(args)
    _expand_home(args)
    query = _query(args, "", (_home(args.path) or args.path,)).with_(kind=QueryKind.SIMILAR)
    return _run_query(args, query, {"similar": args.path})


def _date(ts: float | None, mtime_ns: int | None = None) -> str:
    """The date taken; without one, the file's time (what ``--sort date`` orders such a photo by), marked so."""
    from datetime import datetime

    if ts is None and mtime_ns is not None:
        return datetime.fromtimestamp(mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M") + " (file time)"
    return "(no date)  " if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


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


def album_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``photosearch album save|list|show|export|delete``: albums taught by example."""
    a = sub.add_parser(
        "album",
        parents=[common],
        help="albums taught by example: save one from photos that belong (and don't), list, show, export",
    )
    a.add_argument("action", choices=["save", "list", "show", "export", "delete"])
    a.add_argument("name", nargs="?", help="the album's name")
    a.add_argument("--like", action="append", default=[], metavar="PATH", help="(save) a photo that belongs")
    a.add_argument(
        "--unlike", action="append", default=[], metavar="PATH", help="(save) a photo that doesn't"
    )
    a.add_argument("-k", type=ranged(int, 1), default=None, help="(show) at most this many members")
    a.add_argument("--export-to", metavar="FOLDER", help="(export) also copy the members into this folder")
    a.add_argument("--no-location", action="store_true", help="(export) copies without where they were taken")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_album)


def cmd_album(args: argparse.Namespace) -> int:
    from photosearch.app import albums

    if args.action != "list" and not args.name:
        raise QueryError(f"album {args.action} needs the album's name")
    _expand_home(args)
    with _open(
        args, write=args.action in ("save", "delete"), purpose=f"photosearch album {args.action}"
    ) as lib:
        if args.action == "list":
            found = albums.list_albums(lib)
            _emit(
                args,
                {"albums": [a.to_json() for a in found]},
                lambda: [f"{a.name}: {plural(a.members, 'photo')}" for a in found] or ["no albums yet"],
            )
            return 0
        if args.action == "save":
            s = albums.save_album(lib, args.name, args.like, args.unlike)
            _emit(args, s.to_json(), lambda: [f"album {s.name!r}: {plural(s.members, 'photo')} now"])
            return 0
        if args.action == "delete":
            gone = albums.delete_album(lib, args.name)
            _emit(args, {"deleted": gone}, lambda: [f"deleted the album {gone!r}"])
            return 0
        resp = albums.album_members(lib, args.name, args.k)
        roots = _export_roots(args, lib)
    name = albums.album_name(args.name)  # as listed: one line
    if args.action == "export":  # the members' paths, one a line; with --export-to copies of the photos too
        _emit(args, {"album": name, "paths": [r.path for r in resp.results]}, lambda: resp_paths(resp))
        _export(args, resp_paths(resp), args.no_location, roots)
        return 0
    _print_results(args, resp, {"album": name})
    return 0


def _unknown_filters(args: argparse.Namespace, unknown: list[str]) -> Iterable[str]:
    """A --place or --camera value no photo of the library has (``understood.unknown``), in words."""
    camera = (getattr(args, "camera", None) or "").strip().lower()
    for value in unknown:
        if camera and value.strip().lower() == camera:
            yield f"no photo of this library was taken with a camera called {value!r}"
        else:
            yield (
                f"no photo of this library was taken in {value!r} "
                "('photosearch places' lists where they were)"
            )


def resp_paths(resp: SearchResponse) -> list[str]:
    return [r.path for r in resp.results]
