"""A text query in the window finds a photo by the words in it, and the preview outlines those words on the
photo and shows the photo's text (selectable, copyable)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor

from photosearch.config import Paths
from photosearch.gui.preview import OUTLINE
from photosearch.indexing.text_steps import TextPass
from photosearch.library.library import Library
from photosearch.text import ocr
from tests.gui.conftest import prepare_library, wait_results
from tests.support.text_photos import photo_with_words

pytestmark = pytest.mark.skipif(not ocr.available(), reason="the OCR package (rapidocr) is not installed")


def test_a_text_query_outlines_the_matched_words_in_the_preview(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    photos = tmp_path / "photos"
    sign = photo_with_words(photos / "sign.jpg", "BOARDING PASS", seed=1)
    for i in range(3):
        photo_with_words(photos / f"plain{i}.jpg", "", seed=20 + i)
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
    first = w.model.result(0)
    assert first.path == str(sign) and first.found_by in ("text", "text+meaning") and first.passed
    panel = w.actions_.show_preview(0)
    qtbot.waitUntil(lambda: panel.loaded_path == str(sign), timeout=15000)
    panel.loader.wait()
    assert "BOARDING PASS" in panel.text_view.toPlainText().upper() and panel.text_view.isVisible()
    assert panel.text_view.isReadOnly()
    assert len(panel.outlined) == 1  # the one word of the query, not the whole line
    (x0, y0), (x1, _), (_, y2), _ = panel.outlined[0]
    line = first.text_lines[0].box
    assert (
        x1 - x0 < 0.8 * (line[1][0] - line[0][0]) * panel._pixmap.width() / 800
    )  # "BOARDING" of "BOARDING PASS"
    img = panel._pixmap.toImage()
    assert QColor(img.pixel(int((x0 + x1) / 2), int(y0))) == OUTLINE  # drawn on the photo
