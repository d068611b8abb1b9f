"""Folders (issue 18 + issue 17 item 3): one identity per folder, never the app's own or the system's
data, exclusions per folder, nested folders that make sense."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.config import Paths
from photosearch.errors import ConfirmationNeeded, FolderRefused, QueryError
from photosearch.indexing.pipeline import Indexer
from photosearch.library import folders as F
from photosearch.library.library import Library
from photosearch.library.scan import walk
from photosearch.library.watch import relevant_path
from photosearch.models.install import install_package_dir
from photosearch.progress import WorkControl

_SEED = iter(range(50_000, 10**9))


def photos(folder: Path, n: int, prefix: str = "p") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        rng = np.random.default_rng(next(_SEED))
        img = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize(
            (64, 48), Image.Resampling.NEAREST
        )
        p = folder / f"{prefix}{i:03}.jpg"
        img.save(p, quality=92)
        out.append(p)
    return out


@pytest.fixture
def lib(data_dir: Path, tiny_model: Path):
    paths = Paths(data_dir)
    paths.ensure()
    install_package_dir(tiny_model, paths.models_dir)
    library = Library(paths, write=True)
    yield library
    library.close()


def index(lib: Library) -> int:
    """Run one index pass; returns how many photos were encoded."""
    last = None
    for p in Indexer(lib).run(WorkControl()):
        last = p
    return int(getattr(last, "encoded", 0) or 0)


def indexed(lib: Library) -> set[str]:
    return {f.path for f in lib.catalog.all_files("indexed")}


def _engine(lib: Library):  # the app layer opens engines once it exists (issue 16)
    try:
        from photosearch.app.search import open_engine  # type: ignore[import-not-found]
    except ImportError:
        return lib.search_engine()
    return open_engine(lib)


# -- one identity -----------------------------------------------------------------------------------


def test_symlinked_alias_is_refused_and_the_folder_is_stored_by_its_real_path(
    lib: Library, tmp_path: Path
) -> None:
    real = tmp_path / "Pictures"
    photos(real, 2)
    (tmp_path / "link").symlink_to(real)
    row = lib.add_folder(tmp_path / "link" / ".." / "Pictures")
    assert row.path == str(real)
    with pytest.raises(FolderRefused, match="is a link to the added folder"):
        lib.add_folder(tmp_path / "link")
    (real / "sub").mkdir()
    with pytest.raises(FolderRefused, match="already covered"):
        lib.add_folder(tmp_path / "link" / "sub")
    assert [f.path for f in lib.folders()] == [str(real)]
    assert lib.add_folder_report(real).existed  # the same name again: nothing new, no error
    # a folder added through a link is stored by its real path
    lib.remove_folder(tmp_path / "link")
    assert lib.folders() == []
    assert lib.add_folder(tmp_path / "link").path == str(real)


def test_bind_mount_alias_is_refused(lib: Library, tmp_path: Path) -> None:
    real, mnt = tmp_path / "Pictures", tmp_path / "mnt"
    photos(real, 1)
    mnt.mkdir()
    if os.system(f"mount --bind {real} {mnt} 2>/dev/null") != 0:
        pytest.skip("bind mounts are not permitted here")
    try:
        lib.add_folder(real)
        with pytest.raises(FolderRefused, match="same folder as"):
            lib.add_folder(mnt)
        assert len(lib.folders()) == 1
    finally:
        os.system(f"umount {mnt}")


def test_case_only_difference_is_one_folder_on_a_case_insensitive_disk(lib: Library, tmp_path: Path) -> None:
    real = tmp_path / "Pictures"
    real.mkdir()
    if not (tmp_path / "pictures").exists():
        pytest.skip("this disk tells upper and lower case apart")
    lib.add_folder(real)
    with pytest.raises(FolderRefused):
        lib.add_folder(tmp_path / "PICTURES")
    assert F.real_folder(tmp_path / "pictures") == str(real)


def test_a_case_only_difference_is_spelled_as_the_disk_spells_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a case-insensitive disk does, simulated (this machine's kernel has no case-folding file system):
    the folder named in other case is the same folder, and its one name is the disk's spelling."""
    (tmp_path / "Pictures").mkdir()
    monkeypatch.setattr(
        F, "_same_file", lambda a, b: os.path.basename(a).casefold() == os.path.basename(b).casefold()
    )
    assert F._disk_case(str(tmp_path / "PICTURES")) == str(tmp_path / "Pictures")
    monkeypatch.undo()
    assert F._disk_case(str(tmp_path / "PICTURES")) == str(tmp_path / "PICTURES")  # a different folder here


def test_duplicates_never_lists_one_file_twice(lib: Library, tmp_path: Path) -> None:
    from photosearch.search.duplicates import find_duplicates

    real = tmp_path / "Pictures"
    a, b = photos(real, 2)
    os.link(a, real / "hardlink.jpg")
    (real / "symlink.jpg").symlink_to(a.name)
    (real / "copy.jpg").write_bytes(b.read_bytes())  # a real second copy of b
    (tmp_path / "alias").symlink_to(real)
    lib.add_folder(real)
    with pytest.raises(FolderRefused):
        lib.add_folder(tmp_path / "alias")
    index(lib)
    assert len(indexed(lib)) == 5  # every name is listed as a photo...
    groups = find_duplicates(_engine(lib))
    # ...but a, its hard link and its symlink are one file: only b and its real copy are copies
    assert [sorted(os.path.basename(f.path) for f in g.files) for g in groups] == [["copy.jpg", b.name]]


# -- never itself, never the system -----------------------------------------------------------------


def test_data_venv_cache_and_other_library_are_never_catalogued(tmp_path: Path, tiny_model: Path) -> None:
    """Our data folder inside the added folder, a venv, a CACHEDIR.TAG folder and another library's data
    folder, under arbitrary names: after three index runs the count is the photos a person put there."""
    top = tmp_path / "Photos"
    mine = photos(top, 4) + photos(top / "trip", 3)
    paths = Paths(top / "zz misc")  # our own data folder, inside the added folder
    paths.ensure()
    install_package_dir(tiny_model, paths.models_dir)
    venv = top / "tools"
    photos(venv / "lib" / "site" / "icons", 3)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    cache = top / "renders"
    photos(cache / "x", 2)
    (cache / "CACHEDIR.TAG").write_text(F.CACHEDIR_TAG_TEXT)
    not_a_tag = top / "tagged-wrong"  # a CACHEDIR.TAG without the signature is not a cache tag
    mine += photos(not_a_tag, 1)
    (not_a_tag / "CACHEDIR.TAG").write_text("hello\n")
    other = Paths(top / "family stuff")  # another library's data folder (ours writes a marker)
    with Library(other, write=True) as o:
        o.add_folder(top / "trip")
    photos(other.thumbs_dir / "ab", 3)
    legacy = top / "old"  # an older library's data folder, without the marker
    photos(legacy / "thumbs" / "cd", 2)
    (legacy / "catalog.sqlite3").write_bytes(b"")
    (legacy / "folders.json").write_text("[]")
    with Library(paths, write=True) as lib:
        lib.add_folder(top)
        counts = []
        for _ in range(3):
            index(lib)
            counts.append(len(indexed(lib)))
        assert {f.path for f in lib.catalog.all_files()} == {str(p) for p in mine}
    assert counts == [len(mine)] * 3
    assert any(paths.thumbs_dir.rglob("*.jpg")), "thumbnails were written inside the added folder"
    assert (paths.data_dir / F.DATA_MARKER).is_file() and (paths.thumbs_dir / "CACHEDIR.TAG").is_file()
    # the watcher drops changes inside them too
    for p in (
        paths.thumbs_dir / "ab" / "x.jpg",
        venv / "a.jpg",
        cache / "x" / "b.jpg",
        other.thumbs_dir / "c.jpg",
    ):
        assert not relevant_path(str(p), str(top), False), p
    assert relevant_path(str(top / "trip" / "new.jpg"), str(top), False)


def test_data_venv_and_cache_folders_cannot_be_added(lib: Library, tmp_path: Path) -> None:
    venv = tmp_path / "env"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("")
    with pytest.raises(FolderRefused, match="virtual environment"):
        lib.add_folder(venv / "lib")
    with pytest.raises(FolderRefused, match="data folder"):
        lib.add_folder(lib.paths.thumbs_dir)
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "CACHEDIR.TAG").write_text(F.CACHEDIR_TAG_TEXT)
    with pytest.raises(FolderRefused, match="cache"):
        lib.add_folder(cache)
    assert lib.folders() == []


def test_root_home_and_system_folders_need_a_yes_with_a_bounded_estimate(lib: Library) -> None:
    home = Path.home()  # tests/conftest.py: a temporary home
    photos(home / "Pictures", 3)
    with pytest.raises(ConfirmationNeeded, match="home folder") as e:
        lib.add_folder(home)
    est = e.value.estimate
    assert isinstance(est, F.Estimate) and est.complete and est.photos == 3
    assert "3 photos" in str(e.value) and "--yes" in str(e.value)
    for p in ("/", "/usr/share"):
        with pytest.raises(ConfirmationNeeded) as e:
            lib.add_folder_report(p)
        assert isinstance(e.value.estimate, F.Estimate)
    assert lib.folders() == []
    assert lib.add_folder(home, confirm=True).path == F.real_folder(home)


def test_estimate_is_a_sample_when_time_runs_out(tmp_path: Path) -> None:
    for i in range(5):
        photos(tmp_path / f"d{i}", 2)
    ticks = iter(range(100))
    est = F.estimate(str(tmp_path), seconds=2, clock=lambda: float(next(ticks)))  # a fake clock: 1 s a step
    assert not est.complete and est.folders_left > 0
    assert "at least" in est.text() and "not yet looked at" in est.text()
    full = F.estimate(str(tmp_path), seconds=60)
    assert full.complete and full.photos == 10 and full.text() == "10 photos in 6 folders"


def test_system_trees_below_an_added_folder_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "disk"
    photos(root / "home" / "me", 2)
    photos(root / "usr" / "share" / "icons", 3)
    monkeypatch.setattr(F, "_POSIX_SYSTEM", (str(root / "usr"),))
    skipped: list[tuple[str, str]] = []
    got = {e.path for e in walk(str(root), on_skip=lambda p, r: skipped.append((p, r)))}
    assert len(got) == 2 and skipped == [(str(root / "usr"), "it is one of the system's own folders")]
    assert len(list(walk(str(root / "usr")))) == 3  # added on purpose (with a yes): scanned


# -- exclusions -------------------------------------------------------------------------------------


def test_exclusions_are_listed_editable_and_stored_with_the_folder(lib: Library, tmp_path: Path) -> None:
    top = tmp_path / "Pictures"
    photos(top, 2)
    photos(top / "Screenshots", 2, "s")
    photos(top / "node_modules" / "pkg", 1, "n")
    photos(top / "2019" / "raw", 1, "r")
    lib.add_folder(top)
    assert lib.folder_excludes(top) == F.DEFAULT_EXCLUDES
    index(lib)
    assert len(indexed(lib)) == 5  # node_modules is left out by default
    assert lib.exclude(top, ["screenshots", "2019/raw"])[-2:] == ("screenshots", "2019/raw")
    index(lib)
    assert len(indexed(lib)) == 2
    saved = json.loads((lib.paths.data_dir / "folders.json").read_text())
    assert saved[0]["exclude"][-2:] == ["screenshots", "2019/raw"]
    lib.include(top, ["node_modules", "Screenshots"])
    index(lib)
    assert len(indexed(lib)) == 5
    with pytest.raises(QueryError):
        lib.exclude(top, ["/etc"])
    assert lib.set_folder_excludes(top, None) == F.DEFAULT_EXCLUDES


# -- nested folders ---------------------------------------------------------------------------------


def test_a_folder_inside_an_added_one_is_already_covered(lib: Library, tmp_path: Path) -> None:
    top = tmp_path / "photos"
    photos(top, 3)
    photos(top / "camera", 4, "c")
    lib.add_folder(top)
    index(lib)
    with pytest.raises(FolderRefused, match="already covered"):
        lib.add_folder(top / "camera")
    with pytest.raises(FolderRefused, match="nothing was removed"):
        lib.remove_folder(top / "camera")
    assert [f.path for f in lib.folders()] == [str(top)] and len(indexed(lib)) == 7


def test_adding_a_parent_absorbs_its_children_without_re_embedding(lib: Library, tmp_path: Path) -> None:
    top = tmp_path / "photos"
    photos(top / "camera", 4, "c")
    photos(top / "phone", 2, "f")
    lib.add_folder(top / "camera")
    lib.add_folder(top / "phone")
    lib.exclude(top / "phone", ["junk"])
    photos(top / "phone" / "junk", 1, "j")
    assert index(lib) == 6
    before = {f.path: (f.id, f.content_hash) for f in lib.catalog.all_files("indexed")}
    photos(top, 1, "top")
    rep = lib.add_folder_report(top)
    assert sorted(rep.absorbed) == [str(top / "camera"), str(top / "phone")]
    assert [f.path for f in lib.folders()] == [str(top)]
    after = {f.path: (f.id, f.content_hash) for f in lib.catalog.all_files("indexed")}
    assert after == before  # same rows, same embeddings
    assert index(lib) == 1  # only the photo directly in photos/ is new
    assert len(indexed(lib)) == 7  # phone/junk stays left out
    assert "phone/junk" in lib.folder_excludes(top)


def test_removing_a_child_that_a_parent_covers_removes_nothing(lib: Library, tmp_path: Path) -> None:
    top = tmp_path / "photos"
    photos(top, 2)
    photos(top / "camera", 3, "c")
    lib.add_folder(top)
    lib.catalog.add_folder(str(top / "camera"))  # nested, as an older version allowed
    index(lib)
    n = len(indexed(lib))
    assert n == 5
    assert lib.remove_folder(top / "camera") == 0
    assert len(indexed(lib)) == n and [f.path for f in lib.folders()] == [str(top)]
    assert index(lib) == 0
