"""Search by file and folder name (``photosearch.search.name_match``): the rule on names, then on a real library
(real files, a real catalog and index, the tiny model): a rename seen by the running watcher is found under its
new name and no longer under its old one, and a deleted file is not found."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from photosearch.app.query import Query
from photosearch.app.search import open_engine, search
from photosearch.library.library import Library
from photosearch.search.name_match import NameQuery, name_words
from photosearch.search.results import FoundBy
from tests.support.photos import make_image
from tests.support.service import Running, catalog_paths, settle, wait_until


def test_names_are_read_as_words() -> None:
    assert name_words("IMG_20190512-Beach.JPG") == ("img", "20190512", "beach", "jpg")
    assert name_words("DSC0042") == ("dsc", "0042")  # letters and digits part
    assert name_words("Ürlaub Café") == ("ürlaub", "café")


@pytest.mark.parametrize(
    ("query", "name", "is_file", "matches"),
    [
        ("IMG_1234", "IMG_1234.JPG", True, True),
        ("img 1234", "IMG_1234.JPG", True, True),  # separators and case do not matter
        ("IMG_1234", "IMG_12345.JPG", True, False),  # numbers are whole
        ("1234", "IMG_1234.JPG", True, True),
        ("DSC_0042.JPG", "DSC_0042.JPG", True, True),
        ("dsc_0042.jpg", "DSC_0042.JPG", True, True),
        ("DSC_0042", "DSC_0042.JPG", True, True),
        ("holiday-2019", "Holiday 2019", False, True),
        ("holiday 2019", "Holiday-2019 Greece", False, True),
        ("2019 holiday", "Holiday 2019", False, False),  # in order
        ("holi", "Holiday 2019", False, True),  # the last word may be the start of a longer one
        ("ho", "Holiday 2019", False, False),  # ... of at least three letters
        ("2019", "IMG_20190512_120000.jpg", True, False),  # a date-like number never matches a longer one
        ("2019", "2019-07", False, True),
        ("a photo", "photo_0001.jpg", True, False),  # every word, whole
        ("urlaub", "Urlaub", False, True),
        ("ürlaub", "ÜRLAUB", False, True),
        ("beach + 0.5:sunset", "beach sunset", False, False),  # weighted queries are read by meaning
    ],
)
def test_the_rule(query: str, name: str, is_file: bool, matches: bool) -> None:
    nq = NameQuery.of(query)
    assert (nq is not None and nq.score(name, is_file) > 0) is matches


def test_the_whole_file_name_ranks_first() -> None:
    nq = NameQuery.of("IMG_1234")
    assert nq is not None
    assert nq.score("IMG_1234.JPG", True) == 1.0
    assert 0 < nq.score("IMG_1234 copy.JPG", True) < 1.0
    assert nq.score("IMG_1234", False) == pytest.approx(0.9)  # a folder's name counts less than a file's


def named(lib: Library, query: str) -> list[str]:
    resp = search(Query.of(query, k=10), open_engine(lib))
    return [r.path for r in resp.results if r.found_by in (FoundBy.NAME, FoundBy.NAME_AND_MEANING)]


def test_the_added_folders_own_path_is_not_a_name(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "Pictures" / "holiday"
    make_image(pics / "x.jpg")
    make_image(pics / "beach" / "y.jpg")
    library.add_folder(pics)
    with Running(library) as svc:
        settle(svc, library, [pics])
    assert named(library, "holiday") == []  # every photo of the added folder would match
    assert named(library, "pictures") == []
    assert named(library, "beach") == [str(pics / "beach" / "y.jpg")]  # a folder below it is a name


def test_a_rename_is_found_under_its_new_name_and_a_deleted_file_is_not(
    library: Library, tmp_path: Path
) -> None:
    pics = tmp_path / "pics"
    for name in ("IMG_1234.JPG", "IMG_5678.JPG", "DSC_0042.JPG", "other.jpg"):
        make_image(pics / name)
    library.add_folder(pics)
    with Running(library) as svc:
        settle(svc, library, [pics])
        assert named(library, "IMG_1234") == [str(pics / "IMG_1234.JPG")]
        os.rename(pics / "IMG_1234.JPG", pics / "Birthday cake.jpg")  # seen by the watcher
        (pics / "Trip").mkdir()
        shutil.move(str(pics / "DSC_0042.JPG"), str(pics / "Trip" / "DSC_0042.JPG"))
        (pics / "IMG_5678.JPG").unlink()
        settle(svc, library, [pics])
        wait_until(lambda: str(pics / "Birthday cake.jpg") in catalog_paths(library), 10, "the rename")
        assert named(library, "IMG_1234") == []
        assert named(library, "birthday cake") == [str(pics / "Birthday cake.jpg")]
        assert named(library, "trip") == [str(pics / "Trip" / "DSC_0042.JPG")]
        assert named(library, "DSC_0042") == [str(pics / "Trip" / "DSC_0042.JPG")]
        assert named(library, "IMG_5678") == []  # deleted: not found
