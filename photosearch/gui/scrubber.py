"""The date scrubber: a strip in place of the scroll bar while the grid is grouped by month. Its length is the
photos, in order (the whole library's months when the timeline is known — ``photosearch.app.search.timeline``
— else the months of the rows shown); years are labelled where they begin, months are ticks, the visible part
is a handle. A click or a drag jumps to that photo (``jump``: its index, which may be past the rows loaded so
far) and names its month."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from PySide6.QtCore import QLocale, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

Role = QPalette.ColorRole


class DateScrubber(QWidget):
    jump = Signal(int)  # the index of the photo to show

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.months: list[tuple[str, int]] = []  # (title "March 2024", count), newest first
        self._starts: list[int] = []  # the index of each month's first photo
        self.total = 0
        self.visible = (0, 0)  # the indexes shown: [first, last)
        self._hover_y: int | None = None
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Date scrubber")
        self.setToolTip("Drag to move through the months")

    def preferred_width(self) -> int:
        return self.fontMetrics().horizontalAdvance("0000") + 22

    def set_months(self, months: Sequence[tuple[str, int]]) -> None:
        self.months = [(t, int(c)) for t, c in months]
        self._starts = []
        n = 0
        for _t, c in self.months:
            self._starts.append(n)
            n += c
        self.total = n
        self.update()

    def set_visible(self, first: int, last: int) -> None:
        if (first, last) != self.visible:
            self.visible = (first, last)
            self.update()

    # -- photo index ↔ strip y ---------------------------------------------------------------------
    def _to_strip(self, index: float) -> float:
        return 4 + (self.height() - 8) * index / max(1, self.total)

    def index_at(self, sy: float) -> int:
        frac = (sy - 4) / max(1, self.height() - 8)
        return max(0, min(self.total - 1, int(frac * self.total)))

    def title_at(self, sy: float) -> str:
        if not self.months:
            return ""
        i = bisect.bisect_right(self._starts, self.index_at(sy)) - 1
        return self.months[max(0, i)][0]

    # -- mouse ------------------------------------------------------------------------------------
    def _go(self, sy: float) -> None:
        if not self.total:
            return
        self.setToolTip(self.title_at(sy))
        self.jump.emit(self.index_at(sy))

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
        if not self.months:
            return
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(Role.Window))
        w = self.width()
        y0, y1 = self._to_strip(self.visible[0]), self._to_strip(self.visible[1])
        handle = QColor(pal.color(Role.Highlight))
        handle.setAlpha(70)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(handle)
        p.drawRoundedRect(QRectF(2, y0, w - 4, max(6.0, y1 - y0)), 4, 4)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.9)
        p.setFont(font)
        fm = p.fontMetrics()
        tick = QColor(pal.color(Role.WindowText))
        tick.setAlpha(110)
        last_label = -1000.0
        last_year = ""
        for (title, _count), start in zip(self.months, self._starts, strict=True):
            sy = self._to_strip(start)
            year = title.rsplit(" ", 1)[-1]
            p.setPen(QPen(tick, 1))
            p.drawLine(int(w - 6), int(sy), int(w - 2), int(sy))
            if year != last_year and sy - last_label >= fm.height():
                p.setPen(pal.color(Role.WindowText))
                p.drawText(QRect(2, int(sy), w - 10, fm.height()), int(Qt.AlignmentFlag.AlignRight), year)
                last_label = sy
            last_year = year
        if self._hover_y is not None:  # where a click goes
            p.setPen(QPen(pal.color(Role.Highlight), 2))
            p.drawLine(0, self._hover_y, w, self._hover_y)
        p.end()


def timeline_months(
    counts: Sequence[tuple[int, int, int]], locale: QLocale | None = None
) -> list[tuple[str, int]]:
    """``photosearch.app.search.timeline``'s (year, month, count) as the scrubber's (title, count)."""
    from PySide6.QtCore import QDate

    loc = locale or QLocale()
    return [(loc.toString(QDate(y, m, 1), "MMMM yyyy"), n) for y, m, n in counts]
