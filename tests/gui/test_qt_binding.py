"""The Qt binding must not drop references to None (PySide6 6.12.0 on Python < 3.12 does, on QPainter.save,
setBrush, drawRoundedRect, QModelIndex.data() → None …, and the app aborts after a few thousand paints)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from photosearch.gui.results import ResultDelegate, ResultsModel
from photosearch.search.engine import Result
from photosearch.store.catalog import FileRow


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_painting_results_keeps_none_alive(qtbot: Any) -> None:
    f = FileRow(1, 1, "/x.jpg", 1000, 0, "ab" * 32, "jpeg", 10, 10, None, None, "indexed", None, 0.0)
    model = ResultsModel(None)
    model.set_results([Result(1, "/x.jpg", 0.5, f, 1, passed=False)], "text")
    delegate = ResultDelegate()
    index = model.index(0)
    img = QImage(300, 300, QImage.Format.Format_RGB32)
    painter = QPainter(img)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 200, 200)
    try:
        before = sys.getrefcount(None)
        for _ in range(500):
            delegate.paint(painter, option, index)
            index.data(12345)  # a role the model doesn't know: None through QVariant
        after = sys.getrefcount(None)
    finally:
        painter.end()
    assert after >= before, f"the Qt binding dropped {before - after} references to None while painting"
