"""Every count ``status`` shows counts files, the photos a person sees in their folders: with copies of a photo
in the library, "text read in R / T photos" is on the same basis as "N photos indexed" (before, the text line
counted distinct contents, so ten files of six pictures read "text read in 6 / 6 photos" beside "10 photos
indexed"). The index's embeddings (one per content) keep their own line, explained by ``why_counts_differ``."""

from __future__ import annotations

import shutil
from pathlib import Path

from photosearch.app.index import run_index
from photosearch.app.status import status
from photosearch.library.library import Library
from tests.reliability._util import make_photos


def _library_with_copies(library: Library, tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    originals = make_photos(folder, 6, seed=4)
    (folder / "copies").mkdir()
    for p in originals[:2]:  # two photos copied twice each: 10 files, 6 pictures
        shutil.copy(p, folder / "copies" / p.name)
        shutil.copy(p, folder / "copies" / ("again_" + p.name))
    library.add_folder(folder)
    run_index(library, read_text=False)
    return folder


def test_text_counts_files_like_the_photos_line(library: Library, tmp_path: Path) -> None:
    _library_with_copies(library, tmp_path)
    cat = library.catalog
    data = status(library)
    assert data["counts"]["indexed"] == 10
    assert data["index"]["embeddings"] == 6  # one per content: its own line, explained
    assert any("copies" in why for why in data["index"]["why_counts_differ"])
    assert data["text"] == {"read": 0, "total": 10}

    copied = next(f for f in cat.all_files("indexed") if "again_" in f.path)
    cat.put_text(copied.content_hash, "none", [], "")  # the text of one picture, which has 3 files
    assert status(library)["text"] == {"read": 3, "total": 10}

    for h in {f.content_hash for f in cat.all_files("indexed")}:
        cat.put_text(h, "none", [], "")
    data = status(library)
    assert data["text"] == {"read": 10, "total": 10} and data["counts"]["indexed"] == 10
    assert sum(f["photos"] for f in data["folders"]) == 10


def test_index_reports_text_on_the_same_basis_as_status(library: Library, tmp_path: Path) -> None:
    _library_with_copies(library, tmp_path)
    for h in {f.content_hash for f in library.catalog.all_files("indexed")}:
        library.catalog.put_text(h, "none", [], "")
    answer = run_index(library)  # the text pass finds nothing left to read, and says how much is read
    assert answer["text"] is not None
    assert (
        {k: answer["text"][k] for k in ("read", "total")}
        == status(library)["text"]
        == {
            "read": 10,
            "total": 10,
        }
    )
