"""A file-size limit (``ulimit -f``, RLIMIT_FSIZE) reached while indexing: SQLite reports only "disk I/O
error" (it gets EFBIG and keeps no errno for it), so the catalog says in plain words what happened, and
nothing committed before is lost (the catalog opens, ``doctor`` finds it clean, ``status`` agrees, and the
work resumes once the limit is lifted)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from photosearch.errors import DiskFull
from photosearch.store.catalog import Catalog
from tests.reliability._util import cli_env, install_model, make_photos, run_cli

LIMIT = 512 * 1024  # bytes: room for a new catalog, not for 300 photos' rows and thumbnails' records


# the limit is set in the child itself, then the CLI runs in its place (an ignored SIGXFSZ stays ignored)
def with_limit(limit: int) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]),) * 2); "
        "os.execv(sys.argv[2], sys.argv[2:])",
        str(limit),
    ]


WITH_LIMIT = with_limit(LIMIT)


def _status(data: Path) -> dict:
    r = run_cli(data, "status", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_index_under_a_file_size_limit_says_so_and_loses_nothing(
    tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    install_model(data_dir, shapes_model)
    photos = tmp_path / "photos"
    make_photos(photos, 300, size=(400, 300))
    assert run_cli(data_dir, "folders", "add", str(photos), env=cli_env(data_dir)).returncode == 0

    r = run_cli(data_dir, "index", "-q", "--batch-size", "8", prefix=WITH_LIMIT, timeout=240)
    assert r.returncode == 6, (r.returncode, r.stderr)
    assert "disk I/O error" not in r.stderr, r.stderr
    assert "the catalog could not grow" in r.stderr, r.stderr
    assert "a file-size limit is set (524 kB" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr, r.stderr

    # what was committed is there: the catalog opens, is clean, and status agrees with it
    doctor = run_cli(data_dir, "doctor", "--json", "--full")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stdout
    before = _status(data_dir)
    partial = before["counts"]["indexed"]
    assert 0 < partial < 300, before["counts"]
    assert before["counts"]["error"] == 0, "a file-size limit must not mark photos as unreadable"
    assert before["index"]["embeddings"] == partial
    with Catalog(data_dir / "catalog.sqlite3", readonly=True) as cat:
        kept = {f.path for f in cat.all_files() if f.status == "indexed"}
    assert len(kept) == partial

    # a limit below even the WAL's shared-memory file (32 kB): opening fails, and that is not damage — a
    # catalog called damaged would be set aside by 'doctor --repair' and its embeddings lost
    for args in (("status",), ("search", "a red circle"), ("index", "-q"), ("doctor", "--repair")):
        r = run_cli(data_dir, *args, prefix=with_limit(8 * 1024), timeout=120)
        assert r.returncode != 0, (args, r.stdout)
        assert "damaged" not in r.stdout + r.stderr, (args, r.stdout, r.stderr)
        assert "a file-size limit is set (8 kB" in r.stdout + r.stderr, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr, r.stderr
    assert not [p.name for p in data_dir.iterdir() if "damaged" in p.name], "nothing set aside"
    assert _status(data_dir)["counts"] == before["counts"]

    # a second run under the same limit loses nothing either
    r = run_cli(data_dir, "index", "-q", "--batch-size", "8", prefix=WITH_LIMIT, timeout=240)
    assert r.returncode in (0, 6), r.stderr
    assert _status(data_dir)["counts"]["indexed"] >= partial

    # the limit lifted: the work resumes and completes, the photos indexed before are still indexed
    r = run_cli(data_dir, "index", "-q", "--json", "--batch-size", "8", timeout=240)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"] == {"pending": 0, "indexed": 300, "error": 0}
    with Catalog(data_dir / "catalog.sqlite3", readonly=True) as cat:
        assert kept <= {f.path for f in cat.all_files() if f.status == "indexed"}
    doctor = run_cli(data_dir, "doctor", "--json", "--full")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stdout
    print(f"\nfile-size limit reached after {partial} of 300 photos; resumed to 300 once lifted")


def _write_error() -> sqlite3.OperationalError:
    e = sqlite3.OperationalError("disk I/O error")
    e.sqlite_errorcode = 778  # SQLITE_IOERR_WRITE, what SQLite gives for EFBIG
    e.sqlite_errorname = "SQLITE_IOERR_WRITE"
    return e


@pytest.mark.parametrize(
    ("limit", "free", "words"),
    [
        (LIMIT, 10 << 30, "a file-size limit is set (524 kB"),
        (-1, 1 << 20, "the disk holding"),
        (3 << 20, 1 << 20, "the disk is full or a file-size limit is set (3.1 MB"),
    ],
)
def test_the_words_follow_what_was_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, free: int, words: str
) -> None:
    """Which words: a limit set and room on the disk, no limit and a full disk, or both."""
    import photosearch.store.grow as grow

    monkeypatch.setattr(grow, "file_size_limit", lambda: None if limit < 0 else limit)
    monkeypatch.setattr(grow, "free_bytes", lambda _p: free)
    with Catalog(tmp_path / "catalog.sqlite3") as cat:
        err = cat._map_error(_write_error())
    assert isinstance(err, DiskFull), err
    assert str(err).startswith("the catalog could not grow: "), err
    assert words in str(err), err
    assert "what was indexed before is kept" in str(err), err


def test_an_io_error_with_room_and_no_limit_is_not_called_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import photosearch.store.grow as grow

    monkeypatch.setattr(grow, "file_size_limit", lambda: None)
    monkeypatch.setattr(grow, "free_bytes", lambda _p: 10 << 30)
    with Catalog(tmp_path / "catalog.sqlite3") as cat:
        err = cat._map_error(_write_error())
    assert not isinstance(err, DiskFull), err
    assert "could not be written" in str(err) and "doctor" in str(err), err
