"""Derived data follows the truth: thumbnails go with their photos; a missing catalog is an error, not an
empty library; ``doctor --repair`` rebuilds it from the newest backup and the folder list, keeping the
thumbnails and embeddings it can re-attach (only photos added since the backup are embedded again); a
read-only data folder still answers searches; "forget this library" deletes our files and nothing else."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from photosearch.config import Paths
from photosearch.errors import CatalogMissing, IndexLocked
from photosearch.store import backup
from photosearch.store.catalog import Catalog
from photosearch.store.forget import forget_library
from photosearch.store.lock import WriterLock
from tests.reliability._util import (
    NOBODY,
    can_run_as_nobody,
    install_model,
    make_photos,
    remove_tree,
    run_cli,
    world_dir,
)

MISSING = "the catalog is missing; run `photosearch doctor --repair` to rebuild it from your folders"


def _thumb_files(data: Path) -> set[str]:
    return {p.name.split(".")[0] for p in (data / "thumbs").glob("*/*.jpg")}


def _hashes(data: Path) -> set[str]:
    with Catalog(Paths.resolve(data).catalog) as cat:
        return cat.content_hashes()


@pytest.fixture
def lib(tmp_path: Path, data_dir: Path, tiny_model: Path) -> Path:
    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    make_photos(photos, 6, seed=1)
    r = run_cli(data_dir, "index", "-q", "--json", "--add", str(photos))
    assert r.returncode == 0, r.stderr
    return photos


def test_thumbnails_are_removed_with_their_photos(lib: Path, data_dir: Path) -> None:
    before = _thumb_files(data_dir)
    assert before == _hashes(data_dir) and len(before) == 6
    # a thumbnail file nobody recorded (a kill between writing and recording it), of a photo then deleted
    stray = data_dir / "thumbs" / "ab" / ("ab" + "0" * 30 + ".jpg")
    stray.parent.mkdir(exist_ok=True)
    shutil.copyfile(next((data_dir / "thumbs").glob("*/*.jpg")), stray)
    for p in sorted(lib.glob("*.jpg"))[:2]:
        p.unlink()
    r = run_cli(data_dir, "index", "-q", "--json")
    assert r.returncode == 0, r.stderr
    assert _thumb_files(data_dir) == _hashes(data_dir) and len(_hashes(data_dir)) == 4
    assert not stray.exists()
    doctor = json.loads(run_cli(data_dir, "doctor", "--json").stdout)
    assert not [f for f in doctor["findings"] if f["check"] in ("thumbnails", "orphans")], doctor


def test_a_missing_catalog_is_a_clear_error_not_an_empty_library(lib: Path, data_dir: Path) -> None:
    (data_dir / "catalog.sqlite3").unlink()
    for args in (("status",), ("search", "a red circle"), ("index", "-q")):
        r = run_cli(data_dir, *args)
        assert r.returncode != 0, (args, r.stdout)
        assert MISSING in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert not (data_dir / "catalog.sqlite3").exists()  # nothing made an empty one
    with pytest.raises(CatalogMissing):
        Catalog(data_dir / "catalog.sqlite3")
    r = run_cli(data_dir, "doctor", "--json")
    assert r.returncode != 0 and MISSING in r.stdout


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_repair_restores_every_folder_and_photo_reembedding_only_those_added_since_the_backup(
    lib: Path, data_dir: Path, damage: str
) -> None:
    assert len(backup.list_backups(data_dir)) == 1  # the first index run made the first backup
    thumbs_before = _thumb_files(data_dir)
    more = make_photos(lib / "later", 3, seed=2)  # added after the backup
    r = run_cli(data_dir, "index", "-q", "--json")
    assert json.loads(r.stdout)["encoded"] == 3
    assert len(backup.list_backups(data_dir)) == 1  # not due again yet (daily)
    cat = data_dir / "catalog.sqlite3"
    for side in ("-wal", "-shm"):
        Path(str(cat) + side).unlink(missing_ok=True)
    if damage == "delete":
        cat.unlink()
    else:
        with open(cat, "r+b") as f:
            f.write(b"\x00garbage" * 4096)
    r = run_cli(data_dir, "doctor", "--repair", "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report["clean"], r.stdout
    assert any("backup" in line for line in report["repairs"]), report["repairs"]
    status = json.loads(run_cli(data_dir, "status", "--json").stdout)
    assert [f["path"] for f in status["folders"]] == [str(lib)]
    r = run_cli(data_dir, "index", "-q", "--json")
    out = json.loads(r.stdout)
    # the 6 photos of the backup come back as they were; the 3 added since are embedded again
    assert out["encoded"] == 3 and out["counts"]["indexed"] == 9, out
    assert {p.name for p in more} <= {Path(p).name for p in _paths_in(data_dir)}
    assert thumbs_before <= _thumb_files(data_dir)  # thumbnails kept, not deleted as strays
    assert _thumb_files(data_dir) == _hashes(data_dir)
    r = run_cli(data_dir, "search", "--json", "-k", "3", "a red circle")
    assert r.returncode == 0 and len(json.loads(r.stdout)["results"]) == 3


def _paths_in(data: Path) -> list[str]:
    with Catalog(Paths.resolve(data).catalog) as cat:
        return [f.path for f in cat.all_files()]


def test_backups_rotate_and_each_is_a_good_catalog(lib: Path, data_dir: Path) -> None:
    cat = Paths.resolve(data_dir).catalog
    made = [backup.backup_catalog(cat) for _ in range(5)]
    kept = backup.list_backups(data_dir)
    assert kept == sorted(made, reverse=True)[: backup.KEEP]
    for p in kept:
        with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as c:
            assert c.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            assert c.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 6
    assert not list((data_dir / "backups").glob("*.tmp"))


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    why = can_run_as_nobody()
    if why:
        pytest.skip(f"cannot run as an unprivileged user here: {why}")
    d = world_dir("ps-ro-")
    try:
        yield d
    finally:
        remove_tree(d)


def test_a_read_only_data_folder_still_answers_searches(shared_dir: Path, tiny_model: Path) -> None:
    """The data folder belongs to someone else (the unprivileged user may read, not write): search works
    and says it cannot update; indexing refuses in plain words."""
    data = shared_dir / "data"
    install_model(data, tiny_model)
    photos = shared_dir / "photos"
    make_photos(photos, 4)
    assert run_cli(data, "index", "-q", "--add", str(photos)).returncode == 0
    for p in [data, *data.rglob("*")]:
        if p.is_dir():
            p.chmod(0o755)
        elif not p.is_symlink():
            p.chmod(0o644)
    r = run_cli(data, "search", "--json", "-k", "2", "a red circle", user=NOBODY)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["results"]) == 2
    assert "read-only" in r.stderr and "nothing can be indexed" in r.stderr, r.stderr
    r = run_cli(data, "status", "--json", user=NOBODY)
    assert r.returncode == 0, r.stderr
    r = run_cli(data, "index", "-q", user=NOBODY)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "permission" in r.stderr or "read-only" in r.stderr, r.stderr


def test_forget_deletes_every_derived_file_and_nothing_else(
    lib: Path, data_dir: Path, tmp_path: Path
) -> None:
    theirs = data_dir / "my-notes.txt"  # a file of someone else's in the data folder
    theirs.write_text("keep me")
    from photosearch.app import library_settings

    library_settings.save(
        Paths.resolve(data_dir), library_settings.LibrarySettings(last_query="my private query")
    )
    photos_before = sorted(p.name for p in lib.rglob("*"))
    r = run_cli(data_dir, "forget")
    assert r.returncode != 0 and "--yes" in r.stderr and (data_dir / "catalog.sqlite3").exists()
    r = run_cli(data_dir, "forget", "--yes", "--json")
    assert r.returncode == 0, r.stderr
    removed = json.loads(r.stdout)["removed"]
    assert {"catalog.sqlite3", "index", "thumbs", "backups", "folders.json", "library-settings.json"} <= set(
        removed
    )
    left = sorted(p.name for p in data_dir.iterdir())
    assert left == ["models", "my-notes.txt"], left
    assert sorted(p.name for p in lib.rglob("*")) == photos_before
    # and a fresh start works
    r = run_cli(data_dir, "status", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["counts"]["indexed"] == 0


def test_forget_refuses_while_another_process_writes(lib: Path, data_dir: Path) -> None:
    paths = Paths.resolve(data_dir)
    with WriterLock(paths.lock_file, "test"), pytest.raises(IndexLocked):
        forget_library(paths)
    assert paths.catalog.exists()


def test_status_never_creates_a_catalog_where_one_is_missing(lib: Path, data_dir: Path) -> None:
    os.unlink(data_dir / "catalog.sqlite3")
    run_cli(data_dir, "status")
    run_cli(data_dir, "watch", "--json", timeout=20)
    assert not (data_dir / "catalog.sqlite3").exists()


def test_repair_keeps_each_folders_settings(lib: Path, data_dir: Path) -> None:
    """Reading text off and a folder's own exclusions survive a lost catalog (from ``folders.json``)."""
    for args in (("folders", "text-off", str(lib)), ("folders", "exclude", str(lib), "later", "*.tmp")):
        r = run_cli(data_dir, *args)
        assert r.returncode == 0, r.stderr

    def settings() -> tuple[bool, tuple[str, ...]]:
        from photosearch.library.folders import load_excludes

        with Catalog(Paths.resolve(data_dir).catalog) as c:
            (row,) = c.folders()
            return c.folder_reads_text(row.id), load_excludes(c, row.path)

    before = settings()
    assert before[0] is False and {"later", "*.tmp"} <= set(before[1])
    cat = data_dir / "catalog.sqlite3"
    for side in ("-wal", "-shm"):
        Path(str(cat) + side).unlink(missing_ok=True)
    cat.unlink()
    for p in data_dir.glob("backups/*"):  # no backup either: only folders.json knows the settings
        p.unlink()
    r = run_cli(data_dir, "doctor", "--repair", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert settings() == before


@pytest.mark.parametrize("also_real", [False, True])
def test_folders_an_older_version_stored_under_an_alias_take_their_real_path(
    lib: Path, data_dir: Path, tmp_path: Path, also_real: bool
) -> None:
    """A catalog written before folders were stored by real path: the alias becomes the real path (its
    photos with it, nothing embedded again); an alias of a folder also added by its real path goes."""
    alias = tmp_path / "alias"
    alias.symlink_to(lib)
    db = sqlite3.connect(data_dir / "catalog.sqlite3")
    with db:
        if also_real:
            db.execute("INSERT INTO folders(path, added_at) VALUES (?, 0)", (str(alias),))
        else:
            db.execute("UPDATE folders SET path=?", (str(alias),))
            db.execute("UPDATE files SET path=replace(path, ?, ?)", (str(lib), str(alias)))
    db.close()
    r = run_cli(data_dir, "index", "-q", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["encoded"] == 0 and out["counts"]["indexed"] == 6, out
    status = json.loads(run_cli(data_dir, "status", "--json").stdout)
    assert [f["path"] for f in status["folders"]] == [str(lib)]
    assert sorted(Path(p).parent for p in _paths_in(data_dir)) == [lib] * 6
    saved = json.loads((data_dir / "folders.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in saved] == [str(lib)]
