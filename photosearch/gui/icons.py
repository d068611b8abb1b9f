"""The app's icons: line SVGs in ``resources/icons`` (one set, one stroke width), drawn in the palette's text
colour at every size a button asks for (crisp at any scaling), and redrawn when the theme changes."""

from __future__ import annotations

import weakref
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QAbstractButton

from photosearch.gui.resources import resource_dir


@lru_cache(maxsize=64)
def svg_text(name: str) -> str:
    p = resource_dir() / "icons" / f"{name}.svg"
    return p.read_text(encoding="utf-8") if p.is_file() else ""


class _SvgEngine(QIconEngine):
    """Renders the SVG at the exact pixel size asked, in the colour of the current palette."""

    def __init__(self, name: str, role: QPalette.ColorRole, colour: QColor | None = None) -> None:
        super().__init__()
        self.name, self.role, self.colour = name, role, colour

    def _renderer(self, mode: QIcon.Mode) -> QSvgRenderer:
        pal = QGuiApplication.palette()
        c = self.colour or pal.color(
            QPalette.ColorGroup.Disabled if mode == QIcon.Mode.Disabled else QPalette.ColorGroup.Active,
            self.role,
        )
        return QSvgRenderer(QByteArray(svg_text(self.name).replace("currentColor", c.name()).encode()))

    def paint(self, painter: QPainter, rect: Any, mode: QIcon.Mode, state: QIcon.State) -> None:  # type: ignore[override]
        self._renderer(mode).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pm = QPixmap(size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        self._renderer(mode).render(p, QRectF(0, 0, size.width(), size.height()))
        p.end()
        return pm

    def clone(self) -> QIconEngine:
        return _SvgEngine(self.name, self.role, self.colour)


def icon(
    name: str, role: QPalette.ColorRole = QPalette.ColorRole.ButtonText, colour: QColor | None = None
) -> QIcon:
    return QIcon(_SvgEngine(name, role, colour))


_buttons: weakref.WeakKeyDictionary[QAbstractButton, tuple[str, QColor | None]] = weakref.WeakKeyDictionary()


def set_icon(button: QAbstractButton, name: str, colour: QColor | None = None) -> None:
    """Give ``button`` the icon ``name`` (redrawn in the new palette when the theme changes)."""
    _buttons[button] = (name, colour)
    button.setIcon(icon(name, colour=colour))


def refresh_all() -> None:
    for button, (name, colour) in list(_buttons.items()):
        try:
            button.setIcon(icon(name, colour=colour))
        except RuntimeError:  # the widget is gone
            continue
