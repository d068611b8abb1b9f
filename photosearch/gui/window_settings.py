"""The window's look between runs — the person's settings: geometry, panel widths, thumbnail size, the side
bar and the "by date" switch — in
QSettings. The last query and the balance belong to the library (``photosearch.app.library_settings``): they
are read when the library opens and written here when the window closes."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from photosearch.app.library_settings import LibrarySettings
from photosearch.app.library_settings import save as save_library_settings

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
    w.side.sidebar_button.setChecked(str(s.value("view/sidebar", "true")).lower() != "false")
    w.side.by_date_button.setChecked(str(s.value("view/by_date", "false")).lower() == "true")


def restore_library_settings(w: MainWindow, ls: LibrarySettings) -> None:
    """The opened library's last query and balance (not another library's), unless the person already typed."""
    if not w.query_bar.field.text() and w.query_bar.reference is None:
        w.query_bar.set_weight(ls.weight)
        if ls.last_query:
            w.query_bar.field.setText(ls.last_query)


def save_settings(w: MainWindow) -> None:
    s = w.settings
    s.setValue("window/geometry", w.saveGeometry())
    sizes = w.splitter.sizes()
    if sizes[0] > 0:  # (a hidden side bar keeps the width it had)
        s.setValue("view/side_width", sizes[0])
    s.setValue("view/sidebar", w.side.sidebar_button.isChecked())
    s.setValue("view/by_date", w.side.by_date_button.isChecked())
    if w.preview.isVisible() and sizes[2] > 0:
        w.preview_width = sizes[2]
    if w.preview_width:
        s.setValue("view/preview_width", w.preview_width)
    s.setValue("view/thumb_size", w.size_slider.value())
    s.remove("query/last")  # kept per library now (older versions kept it here)
    s.remove("query/weight")
    s.sync()
    if w.library is not None:
        save_library_settings(w.paths, LibrarySettings(w.query_bar.field.text()[:1000], w.query_bar.weight))
