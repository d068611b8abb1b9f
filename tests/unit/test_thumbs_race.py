"""Thumbnail writes never clash: every write has its own temp file, renamed into place atomically."""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image

from photosearch.library.thumbs import ThumbnailCache


def test_two_threads_writing_the_same_thumbnail_1000_times(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs")
    images = [Image.new("RGB", (40, 30), (200, 30, 30)), Image.new("RGB", (30, 40), (30, 30, 200))]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(img: Image.Image) -> None:
        start.wait()
        try:
            for _ in range(1000):
                cache.store("ab" * 16, img)
        except BaseException as e:  # collected and reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(img,)) for img in images]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    dest = cache.path_for("ab" * 16)
    with Image.open(dest) as im:
        im.load()
        assert im.format == "JPEG" and im.size in {(40, 30), (30, 40)}
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]  # no temp file left behind
