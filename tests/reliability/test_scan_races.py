"""Files and folders that go away while a scan walks past them (renamed, moved, deleted by the person or a
sync tool) are not photos PhotoSearch failed to read: they are not listed as skipped. Before, a photo
renamed between the folder's listing and its stat was listed under its old name with "cannot read file
information: No such file or directory", and a sub-folder deleted meanwhile with "cannot list folder: No
such file or directory", until the next scan."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.library import scan
from photosearch.library.library import Library
from tests.reliability._util import install_model, make_photos


class _Listing(list):
    """A folder's listing taken before the change (``os.scandir`` is also used as a context manager)."""

    def __enter__(self) -> _Listing:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def close(self) -> None:
        return None


def test_what_goes_away_during_a_scan_is_not_listed_as_skipped(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_model(data_dir, tiny_model)
    folder = tmp_path / "photos"
    make_photos(folder, 3)
    renamed = make_photos(folder / "album", 2, seed=1)[0]
    doomed = folder / "album" / "to_delete"
    make_photos(doomed, 2, seed=2)
    real_scandir = os.scandir
    done: list[str] = []

    def scandir_then_change(path):  # type: ignore[no-untyped-def]
        entries = list(real_scandir(path))  # the listing is taken; then the person acts
        if os.path.normpath(str(path)) == str(folder / "album") and not done:
            renamed.rename(renamed.with_name("renamed.jpg"))
            shutil.rmtree(doomed)
            done.append(str(path))
        return _Listing(entries)

    with Library(Paths.resolve(data_dir), write=True) as lib:
        lib.set_active_model(lib.installed_models()[0].id)
        lib.add_folder(folder)
        monkeypatch.setattr(scan.os, "scandir", scandir_then_change)
        list(Indexer(lib).run())
        monkeypatch.undo()
        assert done
        errors = {f.path: f.error for f in lib.catalog.errors()}
        assert errors == {}, errors
        list(Indexer(lib).run())  # the next scan finds the new name
        paths = {Path(f.path).name for f in lib.catalog.all_files("indexed")}
        assert "renamed.jpg" in paths and renamed.name not in paths
        assert lib.catalog.counts_by_status() == {"pending": 0, "indexed": 5, "error": 0}


def test_a_photo_renamed_between_the_walk_and_its_hashing_is_not_listed_as_skipped(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk lists every file first; hashing the new ones follows (minutes for a big new folder): a photo
    renamed or deleted meanwhile was listed as 'file disappeared before it could be read'."""
    install_model(data_dir, tiny_model)
    folder = tmp_path / "photos"
    photos = make_photos(folder, 4)
    real_hash = scan.content_hash
    moved: list[str] = []

    def hash_after_a_rename(path: str, size: int | None = None) -> str:
        if not moved:
            os.rename(path, path + ".renamed.jpg")  # an organiser renames it as the scan reaches it
            moved.append(path)
        return real_hash(path, size)

    with Library(Paths.resolve(data_dir), write=True) as lib:
        lib.set_active_model(lib.installed_models()[0].id)
        lib.add_folder(folder)
        monkeypatch.setattr(scan, "content_hash", hash_after_a_rename)
        list(Indexer(lib).run())
        monkeypatch.undo()
        assert moved
        assert {f.path: f.error for f in lib.catalog.errors()} == {}
        list(Indexer(lib).run())
        names = {Path(f.path).name for f in lib.catalog.all_files("indexed")}
        assert Path(moved[0]).name + ".renamed.jpg" in names and len(names) == len(photos)


def _index_changed_mid_scan(
    data_dir: Path, folder: Path, change: Callable[[], object], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], bool]:
    """Index ``folder``; index it again with ``change`` made right after ``folder`` is listed (nothing may be
    listed as skipped); index once more. Returns the indexed photos' paths and whether the encoder ran again
    after the first scan."""
    real_scandir = os.scandir
    done: list[bool] = []

    def scandir_then_change(path):  # type: ignore[no-untyped-def]
        entries = list(real_scandir(path))
        if os.path.normpath(str(path)) == str(folder) and not done:
            change()
            done.append(True)
        return _Listing(entries)

    with Library(Paths.resolve(data_dir), write=True) as lib:
        lib.set_active_model(lib.installed_models()[0].id)
        lib.add_folder(folder)
        list(Indexer(lib).run())
        calls = lib.runtime().image.calls
        monkeypatch.setattr(scan.os, "scandir", scandir_then_change)
        list(Indexer(lib).run())
        monkeypatch.undo()
        assert done and lib.catalog.errors() == []
        list(Indexer(lib).run())
        return [f.path for f in lib.catalog.all_files("indexed")], lib.runtime().image.calls != calls


def test_a_folder_moved_during_a_scan_keeps_its_photos_embeddings(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sub-folder renamed after its parent was listed is not listed as skipped, and its photos' rows are kept
    for that scan: the next scan finds them under the new name and reuses their embeddings (no encoder run),
    where dropping the rows would have let their embeddings be collected and the photos be embedded again."""
    install_model(data_dir, tiny_model)
    folder = tmp_path / "photos"
    make_photos(folder, 2)
    make_photos(folder / "album", 3, seed=1)
    paths, embedded_again = _index_changed_mid_scan(
        data_dir, folder, lambda: (folder / "album").rename(folder / "album2"), monkeypatch
    )
    names = {os.path.relpath(p, folder) for p in paths}
    assert {n for n in names if n.startswith("album")} == {
        os.path.join("album2", f"photo_1_{i:04d}.jpg") for i in range(3)
    }
    assert not embedded_again, "a moved folder's photos were embedded again"


def test_a_photo_renamed_during_a_scan_keeps_its_embedding(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file-level counterpart of the test above: a photo renamed after its folder was listed keeps its row
    for that scan (not listed as skipped), so the next scan finds it under the new name and reuses its
    embedding; dropping the row let the embedding be collected and the photo was embedded again."""
    install_model(data_dir, tiny_model)
    folder = tmp_path / "photos"
    photos = make_photos(folder, 3)
    paths, embedded_again = _index_changed_mid_scan(
        data_dir, folder, lambda: photos[0].rename(folder / "renamed.jpg"), monkeypatch
    )
    names = {Path(p).name for p in paths}
    assert "renamed.jpg" in names and photos[0].name not in names and len(names) == 3
    assert not embedded_again, "a renamed photo was embedded again"
