"""What the third audit found on the command line, each checked as a person runs it (real files, a real
catalog and index, the CLI in a subprocess)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHAPES_MODEL
from tests.support.cli import cli_env, run_cli, run_json
from tests.support.photos import make_photos


@pytest.fixture
def library(tmp_path: Path, data_dir: Path, tiny_model: Path) -> tuple[Path, Path]:
    run_cli(data_dir, "models", "import", str(tiny_model))
    photos = tmp_path / "disk" / "Pictures"
    make_photos(photos, 4)
    run_cli(data_dir, "folders", "add", str(photos))
    run_cli(data_dir, "index")
    return photos, data_dir


def test_status_says_a_folder_that_cannot_be_reached_now_is_offline(library: tuple[Path, Path]) -> None:
    photos, data = library
    assert [f["state"] for f in run_json(data, "status")["folders"]] == ["online"]
    photos.rename(photos.with_name("unplugged"))  # the disk went away; nothing has scanned since
    assert [f["state"] for f in run_json(data, "status")["folders"]] == ["offline"]  # before: 'online'
    assert "offline" in run_cli(data, "status").stdout
    photos.with_name("unplugged").rename(photos)
    assert [f["state"] for f in run_json(data, "status")["folders"]] == ["online"]


def test_a_file_too_large_to_write_is_said_with_the_file_being_written_not_a_traceback(
    tmp_path: Path,
) -> None:
    """A file-size limit (ulimit -f; a FAT32 disk's 4 GB is the same error, EFBIG) met while a model is copied
    in: before, a traceback ending in 'OSError: [Errno 27] File too large'; and a full disk was reported with
    the file being copied (the source), not the one being written."""
    data = tmp_path / "data"
    limit = 300_000  # bytes: the shapes model's ONNX files are larger

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "photosearch", "models", "import", str(SHAPES_MODEL)],
        env=cli_env(data),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_files,
    )
    assert proc.returncode == 6, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("photosearch: a file is larger than the disk or a file-size limit allows (")
    assert str(data / "models") in proc.stderr and str(SHAPES_MODEL) not in proc.stderr
    assert not [p for p in (data / "models").iterdir()]  # nothing half-copied is left


def test_rclip_habits_paths_only_top_and_a_photo_path_as_the_query(
    library: tuple[Path, Path], tmp_path: Path
) -> None:
    """An rclip user's 'rclip -f -t 3 QUERY | xargs …' and 'rclip ./photo.jpg': before, -f, -t and --top were
    'unrecognized arguments', and a photo's path was searched for as words (no good matches)."""
    photos, data = library
    odd = photos / "new\nline.jpg"  # a name another program must get byte for byte
    ref = photos / "photo_0001.jpg"
    odd.write_bytes(ref.read_bytes())  # an identical copy: a good match of the reference
    run_cli(data, "index")
    full = run_json(data, "search", "--image", str(ref), "-k", "3")
    good = [r["path"] for r in full["results"] if r["passed"]]
    assert good and str(odd) in good
    out = run_cli(data, "search", "-f", "--null", "--top", "3", "--image", str(ref)).stdout
    assert out.split("\0")[:-1] == good and out.endswith("\0")
    assert run_cli(data, "search", "-t", "3", "--filepath-only", "--image", str(ref)).stdout == "".join(
        p + "\n" for p in good
    )
    by_path = run_cli(data, "search", "-f", "-k", "3", str(ref))  # rclip takes a photo's path as the query
    assert by_path.stdout == "".join(p + "\n" for p in good)
    assert "searching for photos like" in by_path.stderr
    assert len(run_json(data, "search", "--limit", "2", "photo")["results"]) == 2
    clash = run_cli(data, "search", "-f", "--json", "photo", check=False)
    assert clash.returncode != 0 and "choose one" in clash.stderr


def test_an_album_refuses_a_photo_given_as_belonging_and_not(library: tuple[Path, Path]) -> None:
    """'album save NAME --like A --unlike A' (or A's identical copy): before, saved as 'album NAME: 0 photos
    now', a contradiction kept in silence."""
    photos, data = library
    a = photos / "photo_0000.jpg"
    copy = photos / "copy of photo_0000.jpg"
    copy.write_bytes(a.read_bytes())
    run_cli(data, "index")
    for unlike in (a, photos / ".." / photos.name / a.name, copy):
        proc = run_cli(data, "album", "save", "mine", "--like", str(a), "--unlike", str(unlike), check=False)
        assert proc.returncode == 2 and "can't both belong in the album and not" in proc.stderr, proc.stderr
    assert "mine" not in run_cli(data, "album", "list").stdout  # nothing was saved
    saved = run_cli(
        data, "album", "save", "mine", "--like", str(a), "--unlike", str(photos / "photo_0001.jpg")
    )
    assert "album 'mine'" in saved.stdout


def test_filters_take_a_file_ending_as_its_type_and_refuse_what_matches_nothing_in_silence(
    library: tuple[Path, Path], tmp_path: Path
) -> None:
    """'--type jpg' (the ending everyone knows) found nothing, as did '--type foo', '--folder' of a folder that
    does not exist and '--from' after '--to': each said only 'no results'."""
    photos, data = library
    jpeg = run_json(data, "search", "photo", "--type", "jpeg")["results"]
    assert len(jpeg) == 4
    for spelled in ("jpg", "JPG", ".jpg", "jpg,tif"):
        assert run_json(data, "search", "photo", "--type", spelled)["results"] == jpeg, spelled
    for args, words in (
        (("--type", "foo"), "unknown file type 'foo'"),
        (("--folder", str(tmp_path / "nowhere")), "no such folder"),
        (("--from", "2026", "--to", "2020"), "--from 2026 is after --to 2020"),
    ):
        proc = run_cli(data, "search", "photo", *args, check=False)
        assert proc.returncode == 2 and words in proc.stderr, (args, proc.stderr)


def test_a_search_refuses_a_photo_given_as_both_thumbs_up_and_down(library: tuple[Path, Path]) -> None:
    """'search WORDS --like A --unlike A': before, the contradiction was searched with (results steered by
    neither and A left out), in silence."""
    photos, data = library
    a = photos / "photo_0000.jpg"
    for unlike in (a, photos / ".." / photos.name / a.name):
        proc = run_cli(data, "search", "photo", "--like", str(a), "--unlike", str(unlike), check=False)
        assert proc.returncode == 2 and "can't be both 👍 and 👎" in proc.stderr, proc.stderr
    ok = run_json(data, "search", "photo", "--like", str(a), "--unlike", str(photos / "photo_0001.jpg"))
    assert ok["results"]


def test_removing_the_model_in_use_and_installing_one_again_embeds_the_library_again(
    library: tuple[Path, Path], tiny_model: Path
) -> None:
    """'models remove' of the model in use deletes its embeddings; before, the photos stayed 'indexed' with no
    vector, so after importing a model again 'index' said 'no new or changed photos' and every search said
    'no results' for ever ('doctor' said 'run photosearch index', which did nothing)."""
    photos, data = library
    assert len(run_json(data, "search", "photo")["results"]) == 4
    run_cli(data, "models", "remove", "tiny-random")
    assert run_json(data, "status")["counts"]["pending"] == 4  # waiting for a model, not 'indexed'
    run_cli(data, "models", "import", str(tiny_model))
    done = run_json(data, "index")
    assert done["encoded"] == 4 and done["counts"]["indexed"] == 4
    assert len(run_json(data, "search", "photo")["results"]) == 4  # before: 0
    assert "no embedding for the active model" not in run_cli(data, "doctor").stdout


def test_index_embeds_indexed_photos_the_model_in_use_has_no_vector_for(library: tuple[Path, Path]) -> None:
    """A library left by the defect above (its photos 'indexed', their vectors gone): 'doctor' says 'run
    photosearch index'; before, 'index' found nothing to do and the library stayed unsearchable."""
    import sqlite3

    photos, data = library
    with sqlite3.connect(data / "catalog.sqlite3") as c:  # as 'models remove' + import left it before
        c.execute("DELETE FROM embeddings")
        c.execute("DELETE FROM vector_indexes")
    assert run_json(data, "search", "photo")["results"] == []
    assert "run 'photosearch index'" in run_cli(data, "doctor").stdout
    done = run_json(data, "index")
    assert done["counts"]["indexed"] == 4
    assert done["encoded"] == 4  # the Done line counts the catch-up ('no new or changed photos' before)
    assert len(run_json(data, "search", "photo")["results"]) == 4  # before: 0
    assert "no embedding for the active model" not in run_cli(data, "doctor").stdout


def test_a_photos_web_address_is_refused_in_words_not_mangled_into_a_path(library: tuple[Path, Path]) -> None:
    """rclip searches by a photo's URL (downloading it); before, PhotoSearch said 'no such image:
    /current/folder/https:/example.com/cat.jpg', or searched for the address as words."""
    _photos, data = library
    url = "https://example.com/cat.jpg"
    for args in (
        ("search", "--image", url),
        ("similar", url),
        ("search", url),
        ("search", "--like", url, "x"),
    ):
        proc = run_cli(data, *args, check=False)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert (
            proc.stderr.strip()
            == f"photosearch: {url} is a web address: PhotoSearch works offline and opens none; save the photo and give its path"
        )


def test_a_mistyped_command_gets_the_nearest_one_suggested(data_dir: Path) -> None:
    """An Immich user's 'albums' (the command is 'album'), 'serch', 'folders ad': before, only the list of
    every choice."""
    for args, near in (
        (("albums", "list"), "album"),
        (("serch", "cat"), "search"),
        (("folders", "ad"), "add"),
    ):
        proc = run_cli(data_dir, *args, check=False)
        assert proc.returncode == 2 and proc.stderr.rstrip().endswith(f"did you mean '{near}'?"), proc.stderr
    assert "did you mean" not in run_cli(data_dir, "xyz", check=False).stderr  # nothing near: no guess


def test_numbers_that_are_not_finite_or_too_large_are_refused(data_dir: Path) -> None:
    """'nan' passed every range check ('duplicates --threshold nan' ran), 'inf' too ('watch --debounce inf'
    would never apply a change), and 'index --batch-size 100000' would stack 100,000 decoded photos at once."""
    for args, words in (
        (("duplicates", "--threshold", "nan"), "must be a finite number, not nan"),
        (("watch", "--debounce", "inf"), "must be a finite number, not inf"),
        (("watch", "--poll-interval", "nan"), "must be a finite number, not nan"),
        (("index", "--batch-size", "100000"), "must be between 1 and 256, not 100000"),
    ):
        proc = run_cli(data_dir, *args, check=False)
        assert proc.returncode == 2 and words in proc.stderr, (args, proc.stderr)


def test_a_data_dir_pointed_at_a_photo_folder_writes_nothing_there(library: tuple[Path, Path]) -> None:
    """'photosearch --data-dir ~/Pictures/2024 status' (a typo for another library): before, even that
    read-only command made a catalog.sqlite3 and writer.lock among the photos, and the next 'index' of the real
    library dropped every photo of that folder from it, as a PhotoSearch data folder (81 → 38 photos here)."""
    photos, data = library
    before = sorted(p.name for p in photos.iterdir())
    for folder in (photos, photos.parent):  # the photos' folder, and a folder of photo folders
        proc = run_cli(data, "--data-dir", str(folder), "status", check=False)
        assert proc.returncode != 0 and "is not a PhotoSearch data folder" in proc.stderr, proc.stderr
    assert sorted(p.name for p in photos.iterdir()) == before
    assert not (photos.parent / "catalog.sqlite3").exists()
    assert run_json(data, "index")["counts"]["indexed"] == 4  # the real library keeps them all
    fresh = photos.parent.parent / "new-library"
    assert run_cli(data, "--data-dir", str(fresh), "status").returncode == 0  # a new folder is fine


def test_a_cache_dir_pointed_at_a_photo_folder_is_not_marked_as_a_cache(
    library: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PHOTOSEARCH_CACHE_DIR set to a photo folder (a typo): before, the next command that wrote wrote a
    CACHEDIR.TAG among the photos, and from then on the folder was refused ('it is marked as a cache folder')
    and its photos left out of every library."""
    photos, data = library
    monkeypatch.setenv("PHOTOSEARCH_CACHE_DIR", str(photos))
    run_cli(data, "index")
    assert not (photos / "CACHEDIR.TAG").exists()
    assert run_json(data, "index")["counts"]["indexed"] == 4


def test_an_exclusion_pattern_that_climbs_out_or_matches_nothing_is_refused(
    library: tuple[Path, Path],
) -> None:
    """'folders exclude DIR ../..' (or 'a/../b', './x', 'a//b'): before, stored and listed as left out, though
    a sub-folder pattern never matches it."""
    photos, data = library
    for pattern in ("../..", "a/../b", "./x", "a//b"):
        proc = run_cli(data, "folders", "exclude", str(photos), pattern, check=False)
        assert proc.returncode == 2 and "is not a sub-folder name or pattern" in proc.stderr, pattern
    ok = run_cli(data, "folders", "exclude", str(photos), "2019/raw", "tmp*").stdout
    assert "2019/raw" in ok and "tmp*" in ok
