"""The preview and the viewer say the same about a photo (``meta_lines.photo_details`` builds both):
its date taken once, as the camera recorded it, with its time zone (before, the preview said 'Date taken:
2025-07-14 18:03' and, just below, '2025-07-14 18:03:11 (UTC+02:00)'), and the camera, place and read-text
lines the preview shows are in the viewer's details too (before, the viewer had only path, date, size and
dimensions)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from photosearch.config import Paths
from photosearch.indexing.meta_steps import MetaPass
from photosearch.library.library import Library
from photosearch.text import ocr
from tests.gui.conftest import prepare_library, wait_results
from tests.support.exif_photos import make_place_library

DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "\n", html).replace("&amp;", "&").replace("&lt;", "<")


def test_the_date_taken_is_one_line_with_its_zone_and_the_viewer_shows_camera_and_place(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    truth = make_place_library(tmp_path / "photos")
    paths = prepare_library(data_dir, model=shapes_model, photos=tmp_path / "photos", index=True)
    with Library(paths, write=True, purpose="test") as lib:
        MetaPass(lib.catalog).run()
    w = make_window(Paths.resolve(data_dir))
    wait_results(qtbot, w)
    florence = next(p for p, t in truth.items() if t["city"] == "Florence")
    row = next(i for i in range(w.model.rowCount()) if w.model.result(i).path == florence)

    # the preview: one date, with its zone, and the camera and place lines below it
    w.actions_.show_preview(row)
    pc = w.places
    qtbot.waitUntil(lambda: "Florence" in pc.meta.text(), timeout=10000)
    qtbot.waitUntil(lambda: "UTC" in w.preview.info["Date taken"], timeout=10000)
    assert w.preview.info["Date taken"] == "2025-07-14 18:03 (UTC+02:00)", w.preview.info
    shown = _plain(w.preview.meta.text()) + "\n" + pc.meta.text()
    assert len(DATE.findall(shown)) == 1, shown  # the date taken, once
    assert "2025-07-14 18:03 (UTC+02:00)" in shown
    assert "NIKON D750" in pc.meta.text() and "Florence, Tuscany, Italy" in pc.meta.text()

    # the viewer's details: the same date, camera and place
    w.preview.close()
    w.view.setFocus()
    w.view.setCurrentIndex(w.model.index(row))
    qtbot.keyClick(w.view, Qt.Key.Key_V)
    v = w.viewer
    assert v.isVisible() and v.path == florence
    qtbot.keyClick(v, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: "Florence" in v.details.text(), timeout=10000)
    text = _plain(v.details.text())
    assert "2025-07-14 18:03 (UTC+02:00)" in text and len(DATE.findall(text)) == 1, text
    assert "NIKON D750" in text and "Florence, Tuscany, Italy" in text
    assert v.info == {**w.preview.info, "Camera and place": "\n".join(_meta_lines(pc))}


def _meta_lines(pc: Any) -> list[str]:
    return pc.meta.text().splitlines()


@pytest.mark.skipif(not ocr.available(), reason="the OCR package (rapidocr) is not installed")
def test_the_viewer_shows_the_text_read_in_the_photo(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    from photosearch.indexing.text_steps import TextPass
    from tests.support.text_photos import photo_with_words

    photos = tmp_path / "photos"
    sign = photo_with_words(photos / "sign.jpg", "BOARDING PASS", seed=1)
    photo_with_words(photos / "plain.jpg", "", seed=20)
    paths = prepare_library(data_dir, model=tiny_model, photos=photos, index=True)
    with Library(paths, write=True, purpose="test") as lib:
        for _ in TextPass(lib.catalog).run():
            pass
    w = make_window(Paths.resolve(data_dir))
    wait_results(qtbot, w)
    w.query_bar.set_text("boarding")
    qtbot.waitUntil(
        lambda: w.current_request is not None and w.current_request.text == "boarding", timeout=5000
    )
    wait_results(qtbot, w)
    assert w.model.result(0).path == str(sign)
    w.actions_.show_preview(0)
    assert "BOARDING PASS" in w.preview.text_view.toPlainText().upper()
    w.view.setFocus()
    w.view.setCurrentIndex(w.model.index(0))
    qtbot.keyClick(w.view, Qt.Key.Key_V)
    v = w.viewer
    qtbot.keyClick(v, Qt.Key.Key_I)
    assert v.details.isVisible()
    assert "Text in the photo" in v.details.text() and "BOARDING PASS" in v.details.text().upper()
    # no camera, no place: its file's date is a line of its own, not under 'Camera and place'
    qtbot.waitUntil(lambda: "File date" in v.details.text(), timeout=10000)
    assert "Camera and place" not in v.details.text() and v.info["Date taken"] == "unknown"
