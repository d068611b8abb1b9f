"""The catalog's ``file_names`` table (search by name): filled by its migration step from the files already there,
and kept in step by triggers with every insert, rename, move, folder rename and delete — whatever code does them."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosearch.store import catalog as catalog_mod
from photosearch.store import schema
from photosearch.store.catalog import VERSION, Catalog

STEP = next(k for k, v in schema.MIGRATIONS.items() if v is schema._SCHEMA_V6_FILE_NAMES)


def add(c: Catalog, folder_id: int, path: Path, h: str) -> int:
    fid = c.upsert_file(folder_id, str(path), 1, 1, content_hash=h, status="pending")
    c.set_file_indexed(fid, fmt="jpeg", width=1, height=1, taken_at=None)
    return fid


def names(c: Catalog) -> dict[int, str]:
    return dict(c._q("SELECT rowid, name FROM file_names"))


def found(c: Catalog, *words: str) -> set[str]:
    return {f.path for f, _, _ in c.visible_files_named(words)}


def test_the_step_fills_the_table_from_the_files_already_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.sqlite3"
    root = tmp_path / "Pictures"
    with monkeypatch.context() as m:
        m.setattr(catalog_mod, "VERSION", STEP)  # the catalog before this step
        with Catalog(path) as c:
            folder = c.add_folder(str(root))
            a = add(c, folder.id, root / "Holiday 2019" / "IMG_1234.JPG", "h1")
            b = add(c, folder.id, root / "DSC_0042.JPG", "h2")
    with Catalog(path) as c:
        assert c.schema_version == VERSION
        assert names(c) == {a: "Holiday 2019/IMG_1234.JPG", b: "DSC_0042.JPG"}  # below the added folder
        assert found(c, "img", "1234") == {str(root / "Holiday 2019" / "IMG_1234.JPG")}
        assert found(c, "holiday") == {str(root / "Holiday 2019" / "IMG_1234.JPG")}
        assert found(c, "pictures") == set()  # the added folder's own path is not searched


def test_triggers_keep_it_in_step(tmp_path: Path) -> None:
    root = tmp_path / "Pictures"
    with Catalog(tmp_path / "c.sqlite3") as c:
        folder = c.add_folder(str(root))
        a = add(c, folder.id, root / "IMG_1234.JPG", "h1")
        b = add(c, folder.id, root / "trip" / "DSC_0042.JPG", "h2")
        add(c, folder.id, root / "Ürlaub" / "x.jpg", "h3")
        assert found(c, "IMG_1234") == found(c, "img", "1234") == {str(root / "IMG_1234.JPG")}
        assert found(c, "ürlaub") == found(c, "ÜRLAUB") == {str(root / "Ürlaub" / "x.jpg")}  # case folded
        assert c.move_file(str(root / "IMG_1234.JPG"), str(root / "cake.jpg"), folder.id)  # a rename
        assert found(c, "img", "1234") == set() and found(c, "cake") == {str(root / "cake.jpg")}
        c.move_tree(str(root / "trip"), str(root / "Paris"), folder.id)  # a folder moved inside the library
        assert found(c, "trip") == set() and found(c, "paris") == {str(root / "Paris" / "DSC_0042.JPG")}
        c.rename_folder(folder.id, str(tmp_path / "Photos"))  # the added folder's other name
        assert names(c)[b] == "Paris/DSC_0042.JPG"
        assert found(c, "paris") == {str(tmp_path / "Photos" / "Paris" / "DSC_0042.JPG")}
        c.delete_files([a])
        assert a not in names(c) and found(c, "cake") == set()
        assert found(c, "X") == {str(tmp_path / "Photos" / "Ürlaub" / "x.jpg")}  # a short word: scanned
        c.remove_folder(folder.id)
        assert names(c) == {}


def test_a_disk_root_as_the_added_folder(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3") as c:
        folder = c.add_folder("/")
        fid = add(c, folder.id, Path("/photos/IMG_1.jpg"), "h1")
        assert names(c)[fid] == "photos/IMG_1.jpg"


def test_a_decomposed_name_is_found_by_a_composed_query(tmp_path: Path) -> None:
    import unicodedata

    from photosearch.search.name_match import name_hits

    with Catalog(tmp_path / "c.sqlite3") as c:
        folder = c.add_folder(str(tmp_path))
        nfd = unicodedata.normalize("NFD", str(tmp_path / "Café Zürich" / "x.jpg"))  # as macOS writes it
        add(c, folder.id, Path(nfd), "h1")
        for query in ("café", "CAFÉ zürich", unicodedata.normalize("NFD", "café")):
            assert [h.file.path for h in name_hits(c, query)] == [nfd], query


def test_with_a_model_only_photos_it_embedded_are_candidates(tmp_path: Path) -> None:
    import numpy as np

    with Catalog(tmp_path / "c.sqlite3") as c:
        folder = c.add_folder(str(tmp_path))
        add(c, folder.id, tmp_path / "IMG_1.jpg", "h1")
        add(c, folder.id, tmp_path / "IMG_2.jpg", "h2")  # its vector is gone (or not made yet)
        label = c.put_embedding("h1", "m", np.ones(4, np.float32))
        assert len(c.visible_files_named(["img"])) == 2
        assert [(f.path, lab) for f, _, lab in c.visible_files_named(["img"], model_id="m")] == [
            (str(tmp_path / "IMG_1.jpg"), label)
        ]


def test_the_filters_apply_before_the_candidate_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.search import name_match
    from photosearch.search.results import Filters

    with Catalog(tmp_path / "c.sqlite3") as c:
        folder = c.add_folder(str(tmp_path))
        for i in range(3):
            add(c, folder.id, tmp_path / "a" / f"IMG_{i}.jpg", f"a{i}")
        add(c, folder.id, tmp_path / "b" / "IMG_9.jpg", "b9")
        monkeypatch.setattr(name_match, "SCAN_MAX", 2)  # fewer candidates than the files named "img"
        hits = name_match.name_hits(c, "img", Filters(folder=str(tmp_path / "b")))
        assert [h.file.path for h in hits] == [str(tmp_path / "b" / "IMG_9.jpg")]
