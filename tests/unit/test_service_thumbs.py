"""Thumbnails made by the indexing service: one decode per photo, ~320 px, keyed by content hash,
made on demand when missing, orphans cleaned when photos go away."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

import photosearch.library.thumbs as thumbs_mod
import photosearch.models.preprocess as preprocess_mod
from photosearch.library.imaging import open_image
from photosearch.library.library import Library
from tests.support.photos import make_image
from tests.support.service import Running, settle, wait_until


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(path, *a, **kw):
        calls.append(str(path))
        return open_image(path, *a, **kw)

    monkeypatch.setattr(preprocess_mod, "open_image", counting)
    monkeypatch.setattr(thumbs_mod, "open_image", counting)
    return calls


def test_thumbnails_come_from_the_one_decode_and_orphans_are_cleaned(
    library: Library, tmp_path: Path, decodes: list[str]
) -> None:
    pics = tmp_path / "pics"
    files = [make_image(pics / f"p{i}.png", size=(800, 600)) for i in range(4)]
    files.append(make_image(pics / "tall.png", size=(300, 900)))
    files.append(make_image(pics / "small.png", size=(100, 80)))
    library.add_folder(pics)
    with Running(library) as svc:
        settle(svc, library, [pics])
        assert sorted(decodes) == sorted(str(f) for f in files), "each photo decoded exactly once"
        cat = library.catalog
        sizes = {}
        for f in files:
            row = cat.file_by_path(str(f))
            assert row is not None and row.content_hash
            p = library.thumbs.path_for(row.content_hash)
            assert p.is_file() and p.name.startswith(row.content_hash)
            assert cat.has_thumbnail(row.content_hash)
            with Image.open(p) as im:
                sizes[f.name] = im.size
        assert sizes["p0.png"] == (320, 240)
        assert sizes["tall.png"] == (107, 320) or max(sizes["tall.png"]) == 320
        assert sizes["small.png"] == (100, 80)  # never enlarged
        # a copy of a photo (same content) shares the thumbnail: nothing decoded again
        decodes.clear()
        os.link(files[0], pics / "copy.png")
        wait_until(
            lambda: (r := cat.file_by_path(str(pics / "copy.png"))) is not None and r.status == "indexed",
            5,
            "the copy",
        )
        assert decodes == []
        # orphans: delete a photo → its thumbnail goes (after the garbage collection the service runs)
        gone = cat.file_by_path(str(files[1]))
        assert gone is not None and gone.content_hash
        os.remove(files[1])
        wait_until(
            lambda: not library.thumbs.path_for(gone.content_hash).exists(),
            5,  # type: ignore[arg-type]
            "the orphaned thumbnail to be cleaned",
        )
        assert not cat.has_thumbnail(gone.content_hash)  # type: ignore[arg-type]
        # made on demand when missing (one decode)
        keep = cat.file_by_path(str(files[2]))
        assert keep is not None and keep.content_hash
        library.thumbs.path_for(keep.content_hash).unlink()
        decodes.clear()
        p = library.thumbs.ensure(keep.content_hash, keep.path, cat)
        assert p.is_file() and decodes == [keep.path]
        assert library.thumbs.ensure(keep.content_hash, keep.path, cat) == p and len(decodes) == 1
