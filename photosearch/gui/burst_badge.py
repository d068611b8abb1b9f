"""The count on a burst's tile (``photosearch.gui.grid_paint`` paints it, ``photosearch.gui.bursts_view``
takes clicks on it): a dark pill in the tile's top-right corner with a stack mark and the number of shots;
once the burst is expanded, each of its shots carries "k/n" on the highlight colour, so the run reads as one
burst, and the leader's pill says how to stack it again."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen

from photosearch.gui.results import BurstInfo

MARGIN = 6


def badge_text(info: BurstInfo) -> str:
    if not info.expanded:
        return str(info.size)
    return f"{info.shot + 1}/{info.size}"


def badge_font(base: QFont) -> QFont:
    f = QFont(base)
    f.setWeight(QFont.Weight.DemiBold)
    return f


def badge_rect(tile: QRect, info: BurstInfo, base: QFont) -> QRect:
    """Where the pill is drawn (and clicked) on ``tile``; empty when the tile is too small for one."""
    fm = QFontMetrics(badge_font(base))
    h = fm.height() + 6
    mark = h - 6 if info.shot == 0 else 0  # the stack mark, on the leader only
    w = fm.horizontalAdvance(badge_text(info)) + 14 + (mark + 4 if mark else 0)
    if tile.width() < w + 2 * MARGIN or tile.height() < h + 2 * MARGIN:
        return QRect()
    return QRect(tile.right() - MARGIN - w + 1, tile.top() + MARGIN, w, h)


def paint_badge(p: QPainter, tile: QRect, info: BurstInfo, pal: QPalette, base: QFont) -> None:
    r = badge_rect(tile, info, base)
    if r.isEmpty():
        return
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    fg = QColor(255, 255, 255)
    bg = QColor(pal.color(QPalette.ColorRole.Highlight)) if info.expanded else QColor(0, 0, 0, 165)
    if info.expanded:
        bg.setAlpha(230)
    p.setPen(QPen(QColor(255, 255, 255, 110), 1))
    p.setBrush(bg)
    p.drawRoundedRect(QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5), r.height() / 2, r.height() / 2)
    x = r.x() + 7
    if info.shot == 0:  # two offset frames: "more than one photo here"
        s = r.height() - 6
        y, off, a = r.y() + 3.0, s * 0.3, s * 0.7
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(fg, 1.6))
        p.drawRoundedRect(QRectF(x, y + off, a, a), 1.5, 1.5)
        p.drawPolyline(
            [
                QPointF(x + off, y + off),
                QPointF(x + off, y),
                QPointF(x + off + a, y),
                QPointF(x + off + a, y + a),
                QPointF(x + a, y + a),
            ]
        )
        x += s + 4
    p.setFont(badge_font(base))
    p.setPen(fg)
    p.drawText(
        QRect(x, r.y(), r.right() - x - 5, r.height()),
        int(Qt.AlignmentFlag.AlignCenter),
        badge_text(info),
    )
    p.restore()
