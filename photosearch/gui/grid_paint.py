"""Painting the justified grid (``photosearch.gui.grid.JustifiedView``): the visible tiles only (a thumbnail
cropped to its tile, else the photo's mean colour), hover, selection and focus, section headers (the month
on top sticks), the "Weaker matches below" divider, a burst's count (``burst_badge``) and the rubber band."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette, QPen

from photosearch.gui.burst_badge import paint_badge

if TYPE_CHECKING:
    from photosearch.gui.grid import JustifiedView

Role = QPalette.ColorRole


def crop_source(img: QImage, w: int, h: int) -> QRectF:
    """The centred part of ``img`` (in its pixels) with the tile's aspect ratio."""
    iw, ih = img.width(), img.height()
    if not iw or not ih or not w or not h:
        return QRectF(0, 0, iw, ih)
    tile = w / h
    if iw / ih > tile:
        cw = ih * tile
        return QRectF((iw - cw) / 2, 0, cw, ih)
    ch = iw / tile
    return QRectF(0, (ih - ch) / 2, iw, ch)


def paint_grid(view: JustifiedView, p: QPainter, clip: QRect) -> int:
    """Paint what intersects ``clip`` (viewport coordinates); returns how many rows were painted."""
    model = view.results_model
    pal = view.palette()
    top = view.verticalScrollBar().value()
    lay = view.lay
    if model is None or not model.results:
        return 0
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    sel = view.selectionModel()
    current = view.currentIndex().row() if view.currentIndex().isValid() else -1
    focused = view.hasFocus()
    hover = view.hover_row()
    highlight = pal.color(Role.Highlight)
    rows = lay.rows_between(top + clip.top(), top + clip.bottom() + 1)
    n = len(model.results)
    for row in rows:
        y = row.y - top
        for k, (x, w) in enumerate(zip(row.xs, row.ws, strict=True)):
            i = row.start + k
            if i >= n:
                break
            r = QRect(x, y, w, row.h)
            img = model.thumbnail(i)
            if img is not None and not img.isNull():
                p.drawImage(QRectF(r), img, crop_source(img, w, row.h))
            else:
                p.fillRect(r, view.placeholder(i))
            selected = sel is not None and sel.isSelected(model.index(i, 0))
            if selected:
                veil = QColor(highlight)
                veil.setAlpha(70)
                p.fillRect(r, veil)
                p.setPen(QPen(highlight, 4))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(r.adjusted(2, 2, -2, -2))
                _check(p, r, highlight, pal.color(Role.HighlightedText))
            elif i == hover:
                p.fillRect(r, QColor(255, 255, 255, 36))
                p.setPen(QPen(pal.color(Role.Text), 1))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(r.adjusted(0, 0, -1, -1))
            burst = model.burst_info(i)
            if burst is not None:
                paint_badge(p, r, burst, pal, view.font())
            if i == current and focused:  # the keyboard's place: a ring both light and dark photos show
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(pal.color(Role.Base), 5))
                p.drawRect(r.adjusted(2, 2, -3, -3))
                p.setPen(QPen(highlight, 3))
                p.drawRect(r.adjusted(2, 2, -3, -3))
    for h in lay.headers_between(top + clip.top(), top + clip.bottom() + 1):
        _header(view, p, h.title, h.y - top, h.h, sticky=False)
    sticky = view.sticky_header()
    if sticky is not None:
        h, y = sticky
        _header(view, p, h.title, y, h.h, sticky=True)
    band = view.rubber_band()
    if band is not None:
        fill = QColor(highlight)
        fill.setAlpha(50)
        p.fillRect(band, fill)
        p.setPen(QPen(highlight, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(band.adjusted(0, 0, -1, -1))
    return len(rows)


def _check(p: QPainter, r: QRect, bg: QColor, fg: QColor) -> None:
    """A round check mark in the top-left corner of a selected tile."""
    d = max(14, min(24, r.height() // 6))
    c = QRectF(r.x() + 8, r.y() + 8, d, d)
    p.setPen(QPen(fg, 2))
    p.setBrush(bg)
    p.drawEllipse(c)
    p.setPen(QPen(fg, max(2.0, d / 9)))
    p.drawPolyline(
        [
            QPointF(c.x() + d * 0.27, c.y() + d * 0.52),
            QPointF(c.x() + d * 0.44, c.y() + d * 0.69),
            QPointF(c.x() + d * 0.74, c.y() + d * 0.34),
        ]
    )


def _header(view: JustifiedView, p: QPainter, title: str, y: int, h: int, *, sticky: bool) -> None:
    from photosearch.gui.months import WEAKER

    if not title:
        return
    pal = view.palette()
    width = view.viewport().width()
    if sticky:
        p.fillRect(QRect(0, y, width, h), pal.color(Role.Base))
    p.setFont(view.header_font())
    text_rect = QRect(8, y, width - 16, h)
    if title == WEAKER:  # the relevance line: a rule with the words in the middle
        fm = p.fontMetrics()
        tw = fm.horizontalAdvance(title) + 24
        mid = y + h // 2
        p.setPen(QPen(pal.color(Role.Mid), 1))
        left = (width - tw) // 2
        p.drawLine(8, mid, left, mid)
        p.drawLine(left + tw, mid, width - 8, mid)
        p.setPen(pal.color(Role.Text))
        p.drawText(QRect(left, y, tw, h), int(Qt.AlignmentFlag.AlignCenter), title)
        return
    p.setPen(pal.color(Role.Text))
    p.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
