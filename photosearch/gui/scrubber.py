"""The date scrubber: a strip in place of the scroll bar while the grid is grouped by month. Years are
labelled where they begin, months are ticks, the visible part is a handle; a click or a drag jumps there and
names the month under the pointer."""

from __future__ import annotations

import bisect

from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from photosearch.gui.justified import Layout

Role = QPalette.ColorRole


class DateScrubber(QWidget):
    jump = Signal(int)  # the content y to scroll to

    def __init__(self, area: QAbstractScrollArea) -> None:
        super().__init__(area)
        self.area = area
        self.lay: Layout | None = None
        self._ys: list[int] = []
        self._hover_y: int | None = None
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Date scrubber")
        self.setToolTip("Drag to move through the months")

    def preferred_width(self) -> int:
        return self.fontMetrics().horizontalAdvance("0000") + 22

    def set_layout(self, lay: Layout | None) -> None:
        self.lay = lay if lay is not None and lay.headers else None
        self._ys = [h.y for h in self.lay.headers] if self.lay is not None else []
        self.update()

    # -- content y ↔ strip y --------------------------------------------------------------------------
    def _to_strip(self, y: float) -> float:
        total = self.lay.height if self.lay is not None else 1
        return 4 + (self.height() - 8) * y / max(1, total)

    def _to_content(self, sy: float) -> int:
        total = self.lay.height if self.lay is not None else 1
        return int((sy - 4) / max(1, self.height() - 8) * total)

    def title_at(self, sy: float) -> str:
        if self.lay is None:
            return ""
        i = bisect.bisect_right(self._ys, self._to_content(sy)) - 1
        return self.lay.headers[max(0, i)].title

    # -- mouse ------------------------------------------------------------------------------------
    def _go(self, sy: float) -> None:
        y = self._to_content(sy) - self.area.viewport().height() // 2
        self.jump.emit(max(0, y))
        self.setToolTip(self.title_at(sy))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._go(event.position().y())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._hover_y = int(event.position().y())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position().y())
        self.update()

    def leaveEvent(self, event: object) -> None:
        self._hover_y = None
        self.update()

    # -- painting -------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        lay = self.lay
        if lay is None:
            return
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(Role.Window))
        w = self.width()
        # the visible part: a handle
        top = self.area.verticalScrollBar().value()
        page = self.area.viewport().height()
        y0, y1 = self._to_strip(top), self._to_strip(top + page)
        handle = QColor(pal.color(Role.Highlight))
        handle.setAlpha(60)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(handle)
        p.drawRoundedRect(QRectF(2, y0, w - 4, max(6.0, y1 - y0)), 4, 4)
        # month ticks and year labels
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.9)
        p.setFont(font)
        fm = p.fontMetrics()
        tick = QColor(pal.color(Role.WindowText))
        tick.setAlpha(110)
        last_label = -1000.0
        last_year = ""
        for h in lay.headers:
            sy = self._to_strip(h.y)
            year = h.title.rsplit(" ", 1)[-1]
            p.setPen(QPen(tick, 1))
            p.drawLine(int(w - 6), int(sy), int(w - 2), int(sy))
            if year != last_year and sy - last_label >= fm.height():
                p.setPen(pal.color(Role.WindowText))
                p.drawText(QRect(2, int(sy), w - 10, fm.height()), int(Qt.AlignmentFlag.AlignRight), year)
                last_label = sy
            last_year = year
        if self._hover_y is not None:  # the month under the pointer
            p.setPen(QPen(pal.color(Role.Highlight), 2))
            p.drawLine(0, self._hover_y, w, self._hover_y)
        p.end()
