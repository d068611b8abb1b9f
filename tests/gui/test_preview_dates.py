"""The preview never contradicts itself about when a photo was taken. A photo without a date taken (no
EXIF/XMP/GPS time: a scan, a download, a copy) showed "Date taken: unknown" and, just below it, a bare date
with a zone — the file's modification time, which the metadata pass records as its last resort. That line
now says it is the file's date."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from photosearch.config import Paths
from photosearch.indexing.meta_steps import MetaPass
from photosearch.library.library import Library
from tests.gui.conftest import prepare_library, wait_results
from tests.support.photos import make_photos

DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d")


def test_a_photo_without_a_date_taken_shows_its_file_date_as_such(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    make_photos(tmp_path / "photos", 2)  # JPEGs without EXIF: only the file has a date
    paths = prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True)
    with Library(paths, write=True, purpose="test") as lib:
        MetaPass(lib.catalog).run()
    w = make_window(Paths.resolve(data_dir))
    wait_results(qtbot, w)
    w.actions_.show_preview(0)
    pc = w.places
    qtbot.waitUntil(lambda: pc.meta.text() != "", timeout=10000)
    assert w.preview.info["Date taken"] == "unknown"
    lines = pc.meta.text().splitlines()
    assert not [line for line in lines if DATE.match(line)], lines  # a bare date under "unknown"
    assert any(line.startswith("File date ") for line in lines), lines
