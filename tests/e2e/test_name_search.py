"""Search a person can trust, by name and by what is there: on a real library (drawn shapes the shapes model
knows, under camera file names), through the command line and the application layer.

* A file name or a folder's name typed as the query finds those photos first, passing the line, and says why
  (``--json``: ``found_by``/``matched_name``; the human list: "found by its file name").
* A query whose words match no name gives exactly what it gave before names were searched.
* The photos of an added folder that is not there now are not listed, and are again when it comes back,
  with no rescan; a root whose ``stat`` hangs (a dead network mount) does not hold a search up.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from photosearch.app import roots as roots_mod
from photosearch.app.query import Query
from photosearch.app.search import UNREACHABLE_KEY, open_engine, search
from photosearch.config import Paths
from photosearch.library.library import Library
from photosearch.search import text_match
from tests.support.cli import invoke

NAMES = [
    "IMG_1234.JPG",
    "IMG_12345.JPG",
    "DSC_0042.JPG",
    "IMG_20190512_120000.jpg",
    "Holiday 2019/beach.jpg",
    "Holiday 2019/day 2/IMG_0001.jpg",
    "misc/a.jpg",
    "misc/b.jpg",
    "misc/c.jpg",
    "misc/d.jpg",
    "misc/e.jpg",
    "misc/f.jpg",
]


def write_shapes(folder: Path, names: list[str]) -> list[Path]:
    from models.tools import shapes

    out = []
    for i, name in enumerate(names):
        spec = shapes.Spec(shapes.SHAPES[i % 6], shapes.COLOURS[(i // 2) % 6], "large", "centre")
        p = folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        shapes.render(spec).convert("RGB").save(p, "JPEG", quality=92)
        out.append(p)
    return out


pytestmark = pytest.mark.usefixtures("fresh_roots")  # each test asks about the roots afresh


@pytest.fixture
def lib_dirs(tmp_path: Path, data_dir: Path, shapes_model: Path) -> tuple[Path, Path]:
    pics, usb = tmp_path / "Pictures", tmp_path / "usb-drive"
    write_shapes(pics, NAMES)
    write_shapes(usb, ["IMG_7777.JPG", "Trip/x.jpg"])
    assert invoke(data_dir, "models", "import", str(shapes_model)).code == 0
    out = invoke(data_dir, "index", "-q", "--no-text", "--add", str(pics))
    assert out.code == 0, out.stderr
    assert invoke(data_dir, "folders", "add", str(usb)).code == 0
    assert invoke(data_dir, "index", "-q", "--no-text").code == 0
    return pics, usb


def search_json(data_dir: Path, *args: str) -> dict:
    out = invoke(data_dir, "search", *args, "--json")
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)


def test_a_file_name_finds_that_photo_first_and_says_why(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    pics, _ = lib_dirs
    data = search_json(data_dir, "IMG_1234", "-k", "5")
    first = data["results"][0]
    assert first["path"] == str(pics / "IMG_1234.JPG")
    assert first["passed"] and first["found_by"] in ("name", "name+meaning")
    assert first["matched_name"] == "IMG_1234.JPG"
    assert not data["no_good_matches"]
    by_name = [r["path"] for r in data["results"] if r.get("matched_name")]
    assert by_name == [str(pics / "IMG_1234.JPG")]  # not IMG_12345: numbers are whole

    data = search_json(data_dir, "dsc_0042.jpg", "-k", "3")
    assert data["results"][0]["path"] == str(pics / "DSC_0042.JPG")

    human = invoke(data_dir, "search", "IMG_1234", "-k", "3").stdout.splitlines()
    assert human[0].endswith(f"{pics / 'IMG_1234.JPG'}  (found by its file name)")


def test_a_folder_name_finds_the_photos_below_it(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    pics, _ = lib_dirs
    data = search_json(data_dir, "holiday-2019", "-k", "6")
    named = {r["path"] for r in data["results"] if r.get("matched_name") == "Holiday 2019"}
    assert named == {
        str(pics / "Holiday 2019" / "beach.jpg"),
        str(pics / "Holiday 2019" / "day 2" / "IMG_0001.jpg"),
    }
    assert all(r["passed"] for r in data["results"][:2])
    assert {r["path"] for r in data["results"][:2]} == named  # above what meaning found
    human = invoke(data_dir, "search", "holiday-2019", "-k", "2").stdout
    assert "(found by its folder's name: Holiday 2019)" in human


def test_a_query_matching_no_name_is_unchanged(
    data_dir: Path, lib_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library(Paths.resolve(data_dir)) as lib:
        engine = open_engine(lib)
        for words in ("a red circle", "a blue square", "xyzzy qwerty", "2019 holiday", "beach + 0.5:sunset"):
            q = Query.of(words, k=8)
            now = [r.to_json() for r in search(q, engine).results]
            with monkeypatch.context() as m:
                m.setattr(text_match, "name_hits", lambda *a, **kw: [])  # as before names were searched
                before = [r.to_json() for r in search(q, engine).results]
            assert now == before, words
            assert not any("matched_name" in r for r in now)


def test_a_folder_not_there_now_is_not_listed_and_comes_back(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    pics, usb = lib_dirs
    usb_photos = {str(usb / "IMG_7777.JPG"), str(usb / "Trip" / "x.jpg")}

    def listed(*args: str) -> tuple[set[str], dict]:
        data = search_json(data_dir, *args)
        return {r["path"] for r in data["results"]}, data

    paths, data = listed("IMG_7777", "-k", "20")
    assert usb_photos <= paths and "unreachable_folders" not in data
    away = usb.with_name("usb-unplugged")
    os.rename(usb, away)  # the drive is unplugged: no scan runs
    roots_mod.ROOTS.forget()
    paths, data = listed("IMG_7777", "-k", "20")
    assert not paths & usb_photos
    assert data["unreachable_folders"] == [str(usb)]
    assert data["results"] and not any(r.get("matched_name") for r in data["results"])
    human = invoke(data_dir, "search", "a red circle", "-k", "3").stdout
    assert f"(not there now, so its photos are not listed: {usb})" in human
    paths, _ = listed("a red circle", "-k", "20", "--strictness", "1")
    assert not paths & usb_photos
    os.rename(away, usb)  # plugged in again: listed at once, no rescan
    roots_mod.ROOTS.forget()
    paths, data = listed("IMG_7777", "-k", "20")
    assert usb_photos <= paths and "unreachable_folders" not in data


def test_browsing_leaves_out_a_folder_not_there_now(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    pics, usb = lib_dirs
    with Library(Paths.resolve(data_dir)) as lib:
        everything = {r.path for r in search(Query.of(k=100), None, lib.catalog).results}
        assert str(usb / "IMG_7777.JPG") in everything
        os.rename(usb, usb.with_name("gone"))
        roots_mod.ROOTS.forget()
        resp = search(Query.of(k=100), None, lib.catalog)
        assert {r.path for r in resp.results} == {
            p for p in everything if not p.startswith(str(usb) + os.sep)
        }
        assert resp.extra["total"] == len(NAMES) and resp.extra[UNREACHABLE_KEY] == [str(usb)]


def test_a_root_whose_stat_hangs_does_not_hold_a_search_up(
    data_dir: Path, lib_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    pics, usb = lib_dirs
    release = threading.Event()
    asked: list[str] = []
    real_stat = os.stat

    def stat(path: object, *a: object, **kw: object) -> os.stat_result:
        if os.fspath(path) == str(usb):
            asked.append(str(usb))
            release.wait()  # a dead network mount: no answer until the end of the test
        return real_stat(path, *a, **kw)

    with Library(Paths.resolve(data_dir)) as lib:
        engine = open_engine(lib)
        monkeypatch.setattr(roots_mod.os, "stat", stat)
        try:
            for _ in range(3):  # typed letter by letter: each search answers; one check waits on the mount
                resp = search(Query.of("IMG_7777", k=20), engine)
                assert resp.extra[UNREACHABLE_KEY] == [str(usb)]
                assert not any(r.path.startswith(str(usb) + os.sep) for r in resp.results)
                assert any(r.path.startswith(str(pics) + os.sep) for r in resp.results)
            assert asked == [str(usb)]
            release.set()
            roots_mod.ROOTS.timeout = 60.0  # the mount answers now: wait for that answer (no sleep)
            resp = search(Query.of("IMG_7777", k=20), engine)
            assert UNREACHABLE_KEY not in resp.extra
            assert resp.results[0].path == str(usb / "IMG_7777.JPG")
        finally:
            release.set()
            monkeypatch.undo()


def test_a_filter_only_line_leaves_out_a_folder_not_there_now(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    from datetime import datetime

    _, usb = lib_dirs
    year = str(
        datetime.fromtimestamp((usb / "IMG_7777.JPG").stat().st_mtime).year
    )  # no EXIF: the file's time
    data = search_json(data_dir, year)
    assert [c["kind"] for c in data["understood"]["chips"]] == [
        "time"
    ]  # a filter alone: every match, no model
    assert str(usb / "IMG_7777.JPG") in {r["path"] for r in data["results"]}
    os.rename(usb, usb.with_name("gone"))
    roots_mod.ROOTS.forget()
    data = search_json(data_dir, year)
    assert data["results"] and not any(r["path"].startswith(str(usb) + os.sep) for r in data["results"])
    assert data["unreachable_folders"] == [str(usb)]
