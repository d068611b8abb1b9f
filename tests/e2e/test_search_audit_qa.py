"""A new user's and a hostile tester's audit of searching, from the command line, on a real library (drawn shapes
the shapes model knows, a real SQLite catalog and a real index): each test is a defect found by using the app.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from photosearch.app import roots as roots_mod
from tests.e2e.test_name_search import write_shapes
from tests.support.cli import invoke

PICS = ["IMG_1234.JPG", "DSC_0042.JPG", "Holiday 2019/beach.jpg", "Holiday 2019/IMG_0001.jpg"] + [
    f"misc/{c}.jpg" for c in "abcdef"
]
USB = ["IMG_7777.JPG", "Trip/x.jpg", "Trip/y.jpg"]


pytestmark = pytest.mark.usefixtures("fresh_roots")  # each test asks about the roots afresh


@pytest.fixture
def lib_dirs(tmp_path: Path, data_dir: Path, shapes_model: Path) -> tuple[Path, Path]:
    pics, usb = tmp_path / "Pictures", tmp_path / "usb-drive"
    write_shapes(pics, PICS)
    write_shapes(usb, USB)
    assert invoke(data_dir, "models", "import", str(shapes_model)).code == 0
    assert invoke(data_dir, "folders", "add", str(pics)).code == 0
    assert invoke(data_dir, "folders", "add", str(usb)).code == 0
    out = invoke(data_dir, "index", "-q", "--no-text")
    assert out.code == 0, out.stderr
    return pics, usb


def search_json(data_dir: Path, *args: str) -> dict:
    out = invoke(data_dir, "search", *args, "--json")
    assert out.code == 0, out.stderr
    return json.loads(out.stdout)


def unplug(usb: Path) -> None:
    os.rename(usb, usb.with_name("usb-unplugged"))
    roots_mod.ROOTS.forget()


def test_the_count_in_no_good_matches_leaves_out_a_folder_not_there_now(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    _, usb = lib_dirs
    data = search_json(data_dir, "zzqx blorf")
    assert data["library_size"] == len(PICS) + len(USB)
    unplug(usb)
    for args in (("zzqx blorf",), ("--image", str(lib_dirs[0] / "misc" / "a.jpg"), "zzqx blorf")):
        data = search_json(data_dir, *args)
        assert data["unreachable_folders"] == [str(usb)]
        assert data["library_size"] == len(PICS) + len(USB)  # the library's; the window tells "empty" by it
        if data["no_good_matches"]:
            assert f"in {len(PICS)} photos" in data["message"], data["message"]
    human = invoke(data_dir, "search", "zzqx blorf", "-k", "2").stdout
    assert f"in {len(PICS)} photos" in human and f"in {len(PICS) + len(USB)} photos" not in human


def test_the_same_photo_given_twice_is_a_search_by_that_photo(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    pics, _ = lib_dirs
    ref = pics / "misc" / "a.jpg"
    once = search_json(data_dir, "--image", str(ref), "-k", "5")
    alias = pics / "alias.jpg"  # the same photo under a second name (a link outside the catalog's names)
    os.symlink(ref, alias)
    for args in (("--image", str(ref), "--image", str(ref)), ("--image", str(ref), "--image", str(alias))):
        twice = search_json(data_dir, *args, "-k", "5")
        assert twice["kind"] == once["kind"] == "image"
        assert [r["path"] for r in twice["results"]] == [r["path"] for r in once["results"]]
        assert twice["results"][0]["path"] == str(ref) and twice["results"][0]["passed"]


def test_a_reference_that_is_a_symlink_loop_is_named_as_such(tmp_path: Path, data_dir: Path) -> None:
    a, b = tmp_path / "loop-a.jpg", tmp_path / "loop-b.jpg"
    os.symlink(b, a)
    os.symlink(a, b)
    out = invoke(data_dir, "search", "--image", str(a))
    assert out.code == 2
    assert "symbolic link" in out.stderr and str(a) in out.stderr, out.stderr


def test_sort_by_date_shows_the_date_each_photo_is_sorted_by(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    """Photos without a date taken are sorted by their file's time; the list said "(no date)" beside them, so
    an undated photo at the top of "newest first" looked misplaced."""
    from datetime import datetime

    pics, usb = lib_dirs
    out = invoke(data_dir, "search", "a red circle", "--sort", "date", "--strictness", "1", "-k", "50")
    assert out.code == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line[:3].strip().isdigit()]
    assert lines and not any("(no date)" in line for line in lines), out.stdout
    every = [str(pics / n) for n in PICS] + [str(usb / n) for n in USB]
    for line in lines:
        path = next(p for p in every if line.rstrip().endswith(p) or f"{p}  (" in line)
        day = datetime.fromtimestamp(os.stat(path).st_mtime).strftime("%Y-%m-%d %H:%M")
        assert f"{day} (file time)" in line, line


def test_a_folder_name_with_a_year_finds_that_folder_when_the_year_finds_nothing(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    """'Holiday 2019' typed as the folder is named: the year was read as a date filter, no photo was taken in
    2019 (these have only this year's file times), and the answer was 'no results'."""
    pics, _ = lib_dirs
    holiday = {str(pics / "Holiday 2019" / "beach.jpg"), str(pics / "Holiday 2019" / "IMG_0001.jpg")}
    data = search_json(data_dir, "Holiday 2019")
    found = {r["path"] for r in data["results"] if r["passed"]}
    assert found == holiday, data
    assert all(r["matched_name"] == "Holiday 2019" for r in data["results"] if r["path"] in holiday)
    from photosearch.app.query import Query
    from photosearch.app.search import open_engine
    from photosearch.app.understand import run
    from photosearch.config import Paths
    from photosearch.library.library import Library

    with Library(Paths.resolve(data_dir)) as lib:  # the window's road
        resp = run(Query.of("Holiday 2019", k=20), open_engine(lib), lib.catalog)
        assert {r.path for r in resp.passed} == holiday
    data = search_json(data_dir, "beach 2019")  # a year no name has beside those words: a date filter still
    assert [c["kind"] for c in data["understood"]["chips"]] == ["time"] and not data["results"]
    data = search_json(data_dir, "2019")  # a year typed alone is a date filter, whatever the names (README)
    assert [c["kind"] for c in data["understood"]["chips"]] == ["time"] and not data["results"]


def test_no_results_says_which_filter_left_nothing(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    """'--from 2031' (a year in the future), '--type heic' in a library of JPEGs: the answer was a bare 'no
    results', which reads as "the model found nothing"."""
    for args, said in (
        (("circle", "--from", "2031"), "--from 2031"),
        (("circle", "--type", "heic"), "--type heic"),
        (("--from", "2031", "--to", "2032"), "--from 2031 --to 2032"),
        (("red circle", "--orientation", "portrait"), "--orientation portrait"),
    ):
        out = invoke(data_dir, "search", *args)
        assert out.code == 0, out.stderr
        assert f"no results: no photo passes {said}" in out.stdout, out.stdout
    out = invoke(data_dir, "search", "beach 2019")  # a filter read from the words
    assert "no results: no photo passes time 2019" in out.stdout, out.stdout


def test_rclips_no_indexing_flag_is_accepted(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    """rclip's habit 'rclip -n -f -t 3 cat | xargs feh' (-n: skip indexing) stopped at 'unrecognized arguments'."""
    from tests.support.cli import run_cli  # -f writes bytes: a real process

    plain = run_cli(data_dir, "search", "-f", "-t", "3", "IMG_1234")
    assert plain.stdout.strip()
    for flag in ("-n", "--no-indexing", "--skip-index"):
        out = run_cli(data_dir, "search", flag, "-f", "-t", "3", "IMG_1234")
        assert out.stdout == plain.stdout


def test_a_steered_search_still_finds_photos_by_name(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    """'holiday' lists the photos of the folder 'Holiday 2019' first; a 👎 on an unrelated photo made them
    vanish ('no good matches'), as did a 👍 on one of them for the other."""
    pics, _ = lib_dirs
    beach, other = pics / "Holiday 2019" / "beach.jpg", pics / "Holiday 2019" / "IMG_0001.jpg"
    plain = search_json(data_dir, "holiday")
    assert {r["path"] for r in plain["results"][:2]} == {str(beach), str(other)}
    for args in (("--unlike", str(pics / "misc" / "a.jpg")), ("--like", str(beach))):
        data = search_json(data_dir, "holiday", *args)
        top = {r["path"]: r for r in data["results"][:2]}
        assert set(top) == {str(beach), str(other)}, (args, data["results"][:3])
        assert all(r["passed"] and r["matched_name"] == "Holiday 2019" for r in top.values())
        assert not data["no_good_matches"]
    data = search_json(
        data_dir, "holiday", "--unlike", str(other)
    )  # 👎: left out, even when its name matches
    paths = [r["path"] for r in data["results"]]
    assert str(other) not in paths and paths[0] == str(beach)


def test_a_folders_path_as_the_query_lists_that_folders_photos(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    """A photo's path as the query searches by that photo (rclip's habit); a folder's path was searched as words
    ('no good matches (Nothing close to '/…/Pictures/misc')')."""
    pics, _ = lib_dirs
    misc = pics / "misc"
    out = invoke(data_dir, "search", str(misc), "--json")
    assert out.code == 0, out.stderr
    data = json.loads(out.stdout)
    assert {r["path"] for r in data["results"]} == {str(misc / f"{c}.jpg") for c in "abcdef"}
    assert all(r["passed"] for r in data["results"])
    assert f"--folder {misc}" in out.stderr
    assert "no good matches" not in invoke(data_dir, "search", str(misc)).stdout


def test_text_only_with_nothing_found_says_what_it_searched(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    """'--text-only IMG_1234' (a file name; no photo has words in it here) answered a bare 'no results'.
    --text-only stays the words read in photos (a name is not in the photo); the answer says so."""
    out = invoke(data_dir, "search", "--text-only", "IMG_1234")
    assert out.code == 0, out.stderr
    assert "no results: no photo has these words in it" in out.stdout, out.stdout
    assert "file and folder names" in out.stdout


def test_a_photo_found_by_name_has_the_same_score_whatever_k(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    """'holiday -k 3' gave its folder's photos the name's share (0.57) as their score, '-k 50' their cosine (0.04):
    the score (a cosine, says --json's help) of one photo for one query changed with how many results were asked."""
    few = {r["path"]: r["score"] for r in search_json(data_dir, "holiday", "-k", "2")["results"]}
    many = {r["path"]: r["score"] for r in search_json(data_dir, "holiday", "-k", "50")["results"]}
    assert few and all(many[p] == pytest.approx(s, abs=1e-5) for p, s in few.items()), (few, many)
    unlike = (
        "--unlike",
        str(lib_dirs[0] / "misc" / "a.jpg"),
    )  # steered (👎): the cosine with the words typed
    steered = {r["path"]: r["score"] for r in search_json(data_dir, "holiday", *unlike, "-k", "2")["results"]}
    assert steered == pytest.approx(few, abs=1e-5)


def test_folders_add_of_an_empty_name_adds_nothing(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'photosearch folders add "$DIR"' with DIR unset added the current folder (an empty path is '.')."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    for args in (("add", ""), ("add", "  "), ("remove", ""), ("exclude", "", "x")):
        out = invoke(data_dir, "folders", *args)
        assert out.code == 2 and "empty" in out.stderr, (args, out)
    listed = invoke(data_dir, "folders", "list", "--json")
    assert str(here) not in listed.stdout


def test_folders_add_that_takes_in_added_folders_says_so_on_lines_of_its_own(
    tmp_path: Path, data_dir: Path
) -> None:
    """'added /x\\x0a  it now covers …': the line break of the message was shown as an escape."""
    (tmp_path / "top" / "a").mkdir(parents=True)
    assert invoke(data_dir, "folders", "add", str(tmp_path / "top" / "a")).code == 0
    out = invoke(data_dir, "folders", "add", str(tmp_path / "top"))
    assert out.code == 0, out.stderr
    assert "\\x0a" not in out.stdout
    assert (
        f"  it now covers the added folder {tmp_path / 'top' / 'a'} (its photos are kept)"
        in out.stdout.splitlines()
    )


def test_watch_says_how_many_folders_in_words_and_stops_on_ctrl_c(
    tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    """'watching 1 folder(s); Ctrl+C stops'; and Ctrl+C (SIGINT) ends it cleanly with its summary."""
    import signal
    import subprocess
    import sys

    from tests.support.cli import cli_env

    write_shapes(tmp_path / "pics", ["a.jpg"])
    assert invoke(data_dir, "models", "import", str(shapes_model)).code == 0
    assert invoke(data_dir, "folders", "add", str(tmp_path / "pics")).code == 0
    env = {**cli_env(data_dir), "PHOTOSEARCH_READ_TEXT": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "photosearch", "watch"], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()  # printed once the service has started
        assert first.strip() == "watching 1 folder; Ctrl+C stops", first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and err.startswith("stopped: "), (proc.returncode, err)


def test_like_alone_says_it_steers_a_search(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    """'search --like a.jpg' answered 'give some text to search for, or --image PATH', not naming --like."""
    pics, _ = lib_dirs
    out = invoke(data_dir, "search", "--like", str(pics / "misc" / "a.jpg"))
    assert out.code == 2
    assert "--like/--unlike steer a search" in out.stderr and "--image" in out.stderr, out.stderr


def test_export_into_an_added_folder_says_the_copies_join_the_library(
    data_dir: Path, lib_dirs: tuple[Path, Path]
) -> None:
    """'--export-to ~/Pictures/picked' (inside an added folder) silently made copies the next index adds to the
    library: every exported photo then comes up twice in searches and in 'duplicates'."""
    pics, _ = lib_dirs
    dest = pics / "picked"
    out = invoke(data_dir, "search", "IMG_1234", "-k", "1", "--export-to", str(dest))
    assert out.code == 0, out.stderr
    assert (dest / "IMG_1234.JPG").is_file()
    assert f"inside the added folder {pics}" in out.stderr, out.stderr
    elsewhere = pics.parent / "outside"
    out = invoke(data_dir, "search", "IMG_1234", "-k", "1", "--export-to", str(elsewhere))
    assert out.code == 0 and "inside the added folder" not in out.stderr


def test_sort_oldest_lists_a_filter_only_search_oldest_first(
    tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    """'--from 2019 --sort oldest' and '2020 --sort oldest' (filters alone) listed the newest first: the order
    was ignored when no words or photo were given."""
    import datetime as dt

    pics = tmp_path / "pics"
    made = write_shapes(pics, [f"p{i}.jpg" for i in range(5)])
    for i, p in enumerate(made):  # no EXIF date: the file's time is the date (2020-01 … 2020-05)
        t = dt.datetime(2020, i + 1, 10, 12).timestamp()
        os.utime(p, (t, t))
    assert invoke(data_dir, "models", "import", str(shapes_model)).code == 0
    assert invoke(data_dir, "index", "-q", "--no-text", "--add", str(pics)).code == 0
    oldest = [str(p) for p in made]
    for args in (("--from", "2019"), ("2020",), ("--from", "2019", "--to", "2021")):
        data = search_json(data_dir, *args, "--sort", "oldest", "-k", "3")
        assert [r["path"] for r in data["results"]][:3] == oldest[:3], args  # a filter alone: every match
        data = search_json(data_dir, *args, "--sort", "newest", "-k", "3")
        assert [r["path"] for r in data["results"]][:3] == oldest[::-1][:3], args


def test_no_good_matches_for_several_photos_names_them(data_dir: Path, lib_dirs: tuple[Path, Path]) -> None:
    """'--image a.jpg --image b.jpg' with nothing standing out said "Nothing close to 'the query'"."""
    pics, _ = lib_dirs
    a, b = pics / "misc" / "a.jpg", pics / "misc" / "d.jpg"
    data = search_json(data_dir, "--image", str(a), "--image", str(b), "--strictness", "5")
    assert data["no_good_matches"], "the shapes library should have nothing clearly like both at strictness 5"
    assert "the query" not in data["message"] and "a.jpg + d.jpg" in data["message"], data["message"]


def test_folders_include_of_a_pattern_not_left_out_says_so(tmp_path: Path, data_dir: Path) -> None:
    """'folders include ~/Pictures Screenshotz' (a typo) printed the unchanged list, exit 0, as if it had worked."""
    pics = tmp_path / "pics"
    pics.mkdir()
    assert invoke(data_dir, "folders", "add", str(pics)).code == 0
    assert invoke(data_dir, "folders", "exclude", str(pics), "Screenshots").code == 0
    out = invoke(data_dir, "folders", "include", str(pics), "Screenshotz")
    assert out.code == 0
    assert "'Screenshotz' was not left out" in out.stdout, out.stdout
    out = invoke(data_dir, "folders", "include", str(pics), "screenshots")  # any case
    assert "was not left out" not in out.stdout and "screenshots" not in out.stdout.split(":", 1)[1]


def test_a_tilde_the_shell_left_alone_means_home(
    data_dir: Path, lib_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """'--export-to=~/picked' (the shell expands no ~ after '='): a folder named '~' was made in the current
    folder; '--folder=~/Pictures' and '--image=~/a.jpg' said 'no such folder/image: …/~/…'."""
    pics, _ = lib_dirs
    monkeypatch.setenv("HOME", str(tmp_path))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = invoke(data_dir, "search", "IMG_1234", "-k", "1", "--export-to=~/picked")
    assert out.code == 0, out.stderr
    assert (tmp_path / "picked" / "IMG_1234.JPG").is_file() and not (work / "~").exists()
    out = invoke(data_dir, "search", "red circle", "--folder=~/Pictures/misc", "--json")
    assert out.code == 0, out.stderr
    assert {r["path"] for r in json.loads(out.stdout)["results"]} <= {
        str(pics / "misc" / f"{c}.jpg") for c in "abcdef"
    }
    for flag in ("--image", "--like"):
        out = invoke(data_dir, "search", "red", f"{flag}=~/Pictures/IMG_1234.JPG", "-k", "1")
        assert out.code == 0, (flag, out.stderr)


def test_a_folder_name_with_a_year_finds_that_folder_beside_photos_of_that_year(
    tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    """'Holiday 2019' in a library that has photos taken in 2019: the year was read as a date filter and the
    folder 'Holiday 2019' (its photos copied off a phone in 2026) was not listed at all."""
    import datetime as dt

    pics = tmp_path / "Pictures"
    made = write_shapes(
        pics, ["Holiday 2019/beach.jpg", "Holiday 2019/IMG_0001.jpg", "misc/old.jpg", "misc/new.jpg"]
    )
    t = dt.datetime(2019, 6, 1, 12).timestamp()
    os.utime(made[2], (t, t))  # taken (file time) in 2019
    assert invoke(data_dir, "models", "import", str(shapes_model)).code == 0
    assert invoke(data_dir, "index", "-q", "--no-text", "--add", str(pics)).code == 0
    data = search_json(data_dir, "Holiday 2019")
    assert [c["kind"] for c in data["understood"]["chips"]] == ["time"]
    top = data["results"][:2]
    assert {r["path"] for r in top} == {str(made[0]), str(made[1])}, data["results"]
    assert all(r["passed"] and r["matched_name"] == "Holiday 2019" for r in top)
    assert str(made[3]) not in {r["path"] for r in data["results"]}  # 2026, not named: the filter still holds
