"""Place, time and camera queries on a real library (real files with GPS from several countries, off city
centres and near borders, both hemispheres; the shapes model; a real catalog and index): precision and recall
of "in <city>" / "in <country>" are 1.0, photos without GPS never match a place, a filter-only line lists every
match (all passed, newest first), and the remaining words still go to the model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from photosearch.app.query import Query, make_filters
from photosearch.app.understand import FOUND_BY_FILTERS, answer, understand
from photosearch.config import Paths
from photosearch.indexing.meta_steps import MetaPass
from photosearch.library.library import Library
from photosearch.places.countries import country_names
from tests.support.exif_photos import SPOTS, make_place_library
from tests.support.library import prepare_library

TODAY = dt.date(2025, 11, 20)


@pytest.fixture(scope="module")
def placed(shapes_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, dict]]:
    root = tmp_path_factory.mktemp("places")
    truth = make_place_library(root / "photos")
    paths: Paths = prepare_library(root / "data", model=shapes_model, photos=root / "photos", index=True)
    lib = Library(paths, write=True, purpose="test")
    MetaPass(lib.catalog).run()
    yield lib, truth
    lib.close()


def _found(lib: Library, text: str = "", **filters: str) -> tuple[set[str], object]:
    q = Query.of(text, filters=make_filters(**filters))  # type: ignore[arg-type]
    resp, u = answer(q, lib, today_=TODAY)
    return {r.path for r in resp.results if r.passed}, (resp, u)


def _pr(found: set[str], truth: set[str]) -> tuple[float, float]:
    tp = len(found & truth)
    return (tp / len(found) if found else 1.0), (tp / len(truth) if truth else 1.0)


def test_in_city_precision_and_recall_are_one(placed: tuple[Library, dict]) -> None:
    lib, truth = placed
    for city in sorted({s[3] for s in SPOTS}):
        want = {p for p, t in truth.items() if t["city"] == city}
        for phrasing in (city, f"photos in {city}"):
            got, _ = _found(lib, phrasing)
            assert _pr(got, want) == (1.0, 1.0), (phrasing, got, want)
        got, _ = _found(lib, place=city)
        assert _pr(got, want) == (1.0, 1.0), ("--place", city)


def test_in_country_precision_and_recall_are_one(placed: tuple[Library, dict]) -> None:
    lib, truth = placed
    names = country_names()
    for cc in sorted({s[4] for s in SPOTS}):
        want = {p for p, t in truth.items() if t["cc"] == cc}
        got, _ = _found(lib, f"in {names[cc]}")
        assert _pr(got, want) == (1.0, 1.0), (cc, got, want)
        got, _ = _found(lib, place=names[cc])
        assert _pr(got, want) == (1.0, 1.0), ("--place", cc)
    got, _ = _found(lib, "Italia")  # the country's own name
    assert got == {p for p, t in truth.items() if t["cc"] == "IT"}


def test_photos_without_gps_never_match_a_place(placed: tuple[Library, dict]) -> None:
    lib, truth = placed
    no_gps = {p for p, t in truth.items() if t["cc"] is None}
    assert len(no_gps) == 2
    for name in country_names().values():
        got, _ = _found(lib, place=name)
        assert not got & no_gps, name
    got, _ = _found(lib, "photos from my Nikon")  # a camera filter does take them
    assert got & no_gps


def test_filter_only_lines_list_every_match_newest_first(placed: tuple[Library, dict]) -> None:
    lib, truth = placed
    for line, want in (
        ("Helsinki", {p for p, t in truth.items() if t["city"] == "Helsinki"}),
        ("photos from my Nikon", {p for p, t in truth.items() if t["make"] == "NIKON CORPORATION"}),
        ("shot on iPhone", {p for p, t in truth.items() if t["model"] == "iPhone 13"}),
        ("Pixel 8", {p for p, t in truth.items() if t["model"] == "Pixel 8"}),
    ):
        q = Query.of(line, k=1)  # k does not cap a filter-only listing
        resp, u = answer(q, lib, today_=TODAY)
        assert u.filters_only and u.query.text == "", line
        assert {r.path for r in resp.results} == want, line
        assert all(r.passed and r.found_by == FOUND_BY_FILTERS for r in resp.results)
        assert resp.extra["total"] == len(want)
        stamps = [r.file.taken_at for r in resp.results]
        assert stamps == sorted(stamps, reverse=True), line


def test_meaning_and_filters_together(placed: tuple[Library, dict]) -> None:
    lib, truth = placed
    italy = {p for p, t in truth.items() if t["cc"] == "IT"}
    resp, u = answer(Query.of("red circle in Italy"), lib, today_=TODAY)
    assert u.query.text == "red circle" and [c[0] for c in u.chips()] == ["place"]
    assert {r.path for r in resp.results} <= italy and resp.results
    top = truth[resp.results[0].path]["spec"]
    assert (top.colour, top.shape) == ("red", "circle")  # the model still ranks what remains


def test_time_words_use_the_photo_local_time_and_hemisphere(placed: tuple[Library, dict]) -> None:
    lib, truth = placed
    # 2021-12-31 23:59 in Strasbourg and 2022-01-01 00:05 in Kehl: a year boundary in local time
    got, _ = _found(lib, "2021")
    assert {Path(p).stem for p in got} == {"strasbourg"}
    # last summer (today 2025-11-20): Jun–Aug 2025 in the north, Dec 2024–Feb 2025 in the south
    got, _ = _found(lib, "last summer")
    assert {Path(p).stem for p in got} == {
        "florence_michelangelo",
        "florence_station",
        "helsinki_cathedral",
        "no_gps_nikon",
        "sydney_opera",
    }
    got, _ = _found(lib, "in winter")  # Buenos Aires in July is winter
    assert "buenos_aires" in {Path(p).stem for p in got} and "sydney_opera" not in {Path(p).stem for p in got}


def test_false_friends_and_literal_stay_meaning(placed: tuple[Library, dict]) -> None:
    lib, _ = placed
    for line in ("paris hilton", "may flowers", "march of the penguins", "new york cheesecake"):
        u = understand(Query.of(line), lib.catalog, today_=TODAY)
        assert u.query.text == line and not u.chips(), line
    u = understand(Query.of("Helsinki"), lib.catalog, today_=TODAY, literal=True)
    assert u.query.text == "Helsinki" and not u.chips() and u.to_json()["literal"]


def test_unknown_place_or_camera_matches_nothing(placed: tuple[Library, dict]) -> None:
    lib, _ = placed
    got, (resp, u) = _found(lib, place="Atlantis")
    assert got == set() and u.unknown == ("Atlantis",)  # type: ignore[attr-defined]
    got, _ = _found(lib, camera="Hasselblad")
    assert got == set()


def test_a_browse_query_with_place_filters_lists_only_those(placed: tuple[Library, dict]) -> None:
    """The window's path: app.search.search on an understood (or hand-made) browse query honours the filters."""
    from photosearch.app.query import QueryKind
    from photosearch.app.search import search

    lib, truth = placed
    u = understand(Query.of("in Finland"), lib.catalog, today_=TODAY)
    assert u.query.kind is QueryKind.BROWSE
    resp = search(u.query, None, lib.catalog)
    assert {r.path for r in resp.results} == {p for p, t in truth.items() if t["cc"] == "FI"}
    unresolved = Query(QueryKind.BROWSE, filters=make_filters(place="Finland"))
    assert search(unresolved, None, lib.catalog).results == []  # a place never resolved passes nothing


def test_a_removed_chip_drops_its_filter_and_its_words(placed: tuple[Library, dict]) -> None:
    """The window's chip ✕: the filter goes, the others stay, and its words are not searched as meaning."""
    lib, _ = placed
    u = understand(Query.of("red circle in Italy last summer"), lib.catalog, today_=TODAY)
    assert [k for k, _ in u.chips()] == ["place", "time"]
    less = understand(
        Query.of("red circle in Italy last summer"), lib.catalog, today_=TODAY, drop=frozenset({"place"})
    )
    assert [k for k, _ in less.chips()] == ["time"] and less.query.text == "red circle"
    got, _ = _found(lib, "last summer")
    assert less.query.filters is not None and less.query.filters.within == frozenset(
        f.content_hash for f in lib.catalog.all_files() if f.path in got
    )
