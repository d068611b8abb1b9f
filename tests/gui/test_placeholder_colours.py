"""What the grid reads from the catalog: each thumbnail's mean colour (the placeholder while it loads) —
stored when a thumbnail is made on demand, backfilled when the window loads one stored without it, read back
off the UI thread — and the months of the library (``photosearch.app.search.timeline``)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from PIL import Image

from photosearch.app.search import timeline
from photosearch.library.library import Library
from photosearch.library.thumbs import ThumbnailCache, mean_rgb
from photosearch.search.engine import Filters
from tests.gui.conftest import prepare_library

DAY = 86400.0


def solid(path: Path, rgb: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGB", size, rgb).save(path, quality=95)
    return path


def test_mean_colour_of_an_image() -> None:
    img = Image.new("RGB", (10, 10), (200, 40, 10))
    img.paste((0, 40, 210), (0, 0, 5, 10))  # half blue
    rgb = mean_rgb(img)
    assert abs((rgb >> 16) - 100) <= 1 and abs(((rgb >> 8) & 255) - 40) <= 1 and abs((rgb & 255) - 110) <= 1


def test_colours_are_stored_backfilled_and_read_back(
    qtbot: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from photosearch.gui.workers import ThumbnailLoader

    folder = tmp_path / "photos"
    folder.mkdir()
    solid(folder / "red.jpg", (220, 20, 20))
    solid(folder / "blue.jpg", (20, 20, 220))
    paths = prepare_library(data_dir, model=tiny_model, photos=folder, index=True)
    with Library(paths, write=True, purpose="test") as lib:
        files = {os.path.basename(f.path): f for f in lib.catalog.all_files("indexed")}
        red, blue = files["red.jpg"], files["blue.jpg"]
        cat = lib.catalog
        # made on demand: the colour is stored with it
        shutil.rmtree(paths.thumbs_dir)
        thumbs = ThumbnailCache(paths.thumbs_dir)
        thumbs.ensure(red.content_hash, red.path, cat)
        got = cat.thumbnail_colours([red.content_hash])[red.content_hash]
        assert (got >> 16) > 200 and (got & 255) < 40
        # loaded by the window without a colour: it computes and keeps it
        thumbs.ensure(blue.content_hash, blue.path, None)
        assert blue.content_hash not in cat.thumbnail_colours([blue.content_hash])
        loader = ThumbnailLoader(thumbs, cat)
        with qtbot.waitSignal(loader.loaded, timeout=10000):
            loader.request(blue.content_hash, blue.path)
        loader.wait()
        stored = cat.thumbnail_colours([blue.content_hash])[blue.content_hash]
        assert (stored & 255) > 200 and (stored >> 16) < 40
        # read back off the UI thread for a result list
        fresh = ThumbnailLoader(thumbs, None)
        fresh.colour_catalog = cat

        class R:
            def __init__(self, f: Any) -> None:
                self.file = f

        with qtbot.waitSignal(fresh.colours_changed, timeout=10000):
            fresh.fetch_colours([R(red), R(blue)])
        assert fresh.colours == {red.content_hash: got, blue.content_hash: stored}
        fresh.wait()


def test_timeline_counts_the_months_browsing_shows(data_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    now = time.time()
    for i in range(9):
        p = solid(folder / f"p{i}.jpg", (10 * i, 100, 100), (64, 48) if i % 3 else (48, 64))
        t = now - i * 40 * DAY
        os.utime(p, (t, t))
    paths = prepare_library(data_dir, model=tiny_model, photos=folder, index=True)
    with Library(paths, write=True, purpose="test") as lib:
        months = timeline(lib.catalog)
        assert sum(n for _, _, n in months) == 9
        assert months == sorted(months, reverse=True)  # newest first
        lt = time.localtime(now)
        assert months[0][:2] == (lt.tm_year, lt.tm_mon)
        portrait = timeline(lib.catalog, Filters(orientation="portrait"))
        assert sum(n for _, _, n in portrait) == 3
