"""The window's look between runs (geometry, panel widths, thumbnail size, the last query and balance) in
QSettings."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

if TYPE_CHECKING:
    from photosearch.gui.main_window import MainWindow


def restore_settings(w: MainWindow) -> None:
    s = w.settings
    geo = s.value("window/geometry")
    if isinstance(geo, QByteArray | bytes) and geo:
        w.restoreGeometry(QByteArray(geo))
    with contextlib.suppress(TypeError, ValueError):
        side = int(s.value("view/side_width", 0))  # type: ignore[call-overload]
        if side > 0:
            w.splitter.setSizes([side, max(200, w.width() - side), 0])
    with contextlib.suppress(TypeError, ValueError):
        w.preview_width = int(s.value("view/preview_width", 0))  # type: ignore[call-overload]
    with contextlib.suppress(TypeError, ValueError):
        w.size_slider.setValue(int(s.value("view/thumb_size", 160)))  # type: ignore[call-overload]
    with contextlib.suppress(TypeError, ValueError):
        w.query_bar.set_weight(float(s.value("query/weight", 0.5)))  # type: ignore[arg-type]
    last = s.value("query/last", "")
    if isinstance(last, str) and last:
        w.query_bar.field.setText(last)


def save_settings(w: MainWindow) -> None:
    s = w.settings
    s.setValue("window/geometry", w.saveGeometry())
    sizes = w.splitter.sizes()
    s.setValue("view/side_width", sizes[0])
    if w.preview.isVisible() and sizes[2] > 0:
        w.preview_width = sizes[2]
    if w.preview_width:
        s.setValue("view/preview_width", w.preview_width)
    s.setValue("view/thumb_size", w.size_slider.value())
    s.setValue("query/last", w.query_bar.field.text())
    s.setValue("query/weight", w.query_bar.weight)
    s.sync()
