"""A folder that goes away in the middle of an index (a USB disk pulled out, a folder renamed) and comes back
unchanged: its photos are indexed at the next run (found by the third audit: they stayed 'skipped: file
disappeared before it could be read' for ever, and 'index' said 'no new or changed photos'). Real files, a
real catalog and index, the real pipeline."""

from __future__ import annotations

from pathlib import Path

from models.tools.shapes import make_library
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.progress import ProgressPhase
from tests.support.library import prepare_library


def test_photos_that_vanished_mid_index_are_indexed_when_they_are_back(
    data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    photos = disk / "holiday"
    make_library(photos, 10, seed=4)
    paths = prepare_library(data_dir, model=tiny_model, photos=disk, index=False)
    away = tmp_path / "unplugged"
    with Library(paths, write=True, purpose="test") as lib:
        for p in Indexer(lib).run():
            if p.phase == ProgressPhase.SCANNING and p.total:  # scanned, nothing decoded yet
                photos.rename(away)
        counts = lib.catalog.counts_by_status()
        assert counts.get("indexed", 0) == 0 and counts.get("error") == 10  # they were gone when read
    away.rename(photos)  # plugged in again, nothing changed
    with Library(paths, write=True, purpose="test") as lib:
        for _ in Indexer(lib).run():
            pass
        counts = lib.catalog.counts_by_status()
        assert counts.get("indexed") == 10 and not counts.get("error")
        assert lib.vector_index().stored == 10
