"""The results grid: justified rows (``photosearch.gui.justified``) painted by a ``QAbstractItemView`` over
the ``ResultsModel``, so selection (Ctrl/Shift-click, rubber band, Shift+arrows), the current result, drag
out and tooltips are Qt's own. Only the visible tiles are painted and only their thumbnails are asked for;
until one arrives, the tile is filled with the photo's mean colour. Rows can be grouped under month headers
that stay on top while scrolling (``set_by_date``), with a date scrubber in place of the scroll bar; a search's
weaker results are set apart by a divider, "Weaker matches below"."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QRegion,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QWidget

from photosearch.gui.justified import Header, LayoutBuilder, layout
from photosearch.gui.months import aspect_of, result_sections
from photosearch.gui.results import ResultsModel
from photosearch.gui.scrubber import DateScrubber

_ModelIndex = QModelIndex | QPersistentModelIndex
SPACING = 4
HEADER_H = 40
MIN_SIZE, MAX_SIZE = 80, 320  # the size control's range
FIRST_BATCH = 3000  # results laid out before the first paint (~10 ms; many screens)
NEXT_BATCH = 4000  # then per turn of the event loop (~10 ms each)


class JustifiedView(QAbstractItemView):
    activated_row = Signal(int)  # Enter
    preview_requested = Signal(int)  # P
    viewer_requested = Signal(int)  # double-click
    size_changed = Signal(int)  # Ctrl+wheel changed the row height
    more_needed = Signal(int)  # the scrubber asked for a photo past the rows loaded: load up to this index

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setAccessibleName("Photos")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.target = 160  # the row height the layout aims at (the size control)
        self.by_date = False
        self.lay = layout([], 1)
        self._hover = -1
        self._rubber: QRect | None = None  # in content coordinates
        self._press: QPoint | None = None
        self._relaying = False
        self._builder: LayoutBuilder | None = None
        self._more = QTimer(self)  # lays out the next batch of a long result list between frames
        self._more.setSingleShot(True)
        self._more.setInterval(0)
        self._more.timeout.connect(lambda: self._grow(NEXT_BATCH))
        self.painted_rows = 0  # rows painted by the last paint (benchmarks and tests read it)
        self.paints = 0
        self.scrubber = DateScrubber(self)
        self.scrubber.jump.connect(self.jump_to_index)
        self.timeline: list[tuple[str, int]] | None = None  # the whole library's months, when known
        self._pending_jump = -1
        self.scrubber.hide()
        self._place_scrubber()
        self.doubleClicked.connect(lambda idx: self.viewer_requested.emit(idx.row()))

    # -- the model and the layout --------------------------------------------------------------------
    @property
    def results_model(self) -> ResultsModel | None:
        m = self.model()
        return m if isinstance(m, ResultsModel) else None

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        if isinstance(model, ResultsModel):
            model.rowsInserted.connect(lambda *a: self.relayout())
            if model.loader is not None:
                model.loader.colours_changed.connect(self.viewport().update)
        self._tell_loader()
        self.relayout()

    def reset(self) -> None:
        super().reset()
        self._hover = -1
        self.relayout()

    def set_by_date(self, on: bool) -> None:
        """Group the rows under month headers, with the date scrubber (the rows come in date order)."""
        if on == self.by_date:
            return
        self.by_date = on
        self.relayout()

    def set_thumb_size(self, size: int) -> None:
        size = max(MIN_SIZE, min(MAX_SIZE, int(size)))
        if size == self.target:
            return
        anchor = self.currentIndex().row() if self.currentIndex().isValid() else -1
        self.target = size
        self._tell_loader()
        self.relayout()
        if anchor >= 0:
            self.scrollTo(self.model().index(anchor, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        self.size_changed.emit(size)

    @property
    def thumb_size(self) -> int:
        return self.target

    def _tell_loader(self) -> None:
        m = self.results_model
        if m is not None and m.loader is not None:
            # a tile is at most ~1.6 × the row height wide or 1.2 × high: thumbnails scaled to that square
            m.loader.set_edge(round(self.target * 1.6), self.devicePixelRatioF())

    def sections(self) -> list[tuple[str, int]] | None:
        m = self.results_model
        return result_sections(m.results, m.kind, self.by_date) if m is not None else None

    def relayout(self) -> None:
        self._relaying = True
        try:
            self._place_scrubber()
            self._relayout()
        finally:
            self._relaying = False

    def _relayout(self) -> None:
        m = self.results_model
        results = m.results if m is not None else []
        width = max(1, self.viewport().width())
        self._builder = LayoutBuilder(
            len(results),
            lambda i: aspect_of(results[i]),
            width,
            self.target,
            SPACING,
            self.sections(),
            header_height=HEADER_H,
        )
        self.lay = self._builder.out
        self._grow(FIRST_BATCH)  # the first screens now; the rest between frames

    def _grow(self, budget: int) -> None:
        b = self._builder
        if b is None:
            return
        done = b.run(budget)
        if done:
            self._builder = None
        else:
            self._more.start()
        self.updateGeometries()
        self._update_scrubber()
        self.viewport().update()
        if 0 <= self._pending_jump < len(self.results_model.results if self.results_model else []):
            self.jump_to_index(self._pending_jump)

    def finish_layout(self) -> None:
        """Complete the layout now (tests and benchmarks; the view does it between frames)."""
        while self._builder is not None:
            self._grow(1 << 30)
        self._more.stop()

    def updateGeometries(self) -> None:
        sb = self.verticalScrollBar()
        page = self.viewport().height()
        sb.setRange(0, max(0, self.lay.height - page))
        sb.setPageStep(max(1, page))
        sb.setSingleStep(max(20, self.target // 3))
        self.horizontalScrollBar().setRange(0, 0)

    def _place_scrubber(self) -> None:
        """By month, the scrubber stands in for the scroll bar (a fixed choice per mode: a scroll bar that
        comes and goes with the content's height would change the width the rows are laid out in)."""
        on = self.by_date
        w = self.scrubber.preferred_width() if on else 0
        if self.viewportMargins().right() != w:
            self.setViewportMargins(0, 0, w, 0)
        policy = Qt.ScrollBarPolicy.ScrollBarAlwaysOff if on else Qt.ScrollBarPolicy.ScrollBarAlwaysOn
        if self.verticalScrollBarPolicy() != policy:
            self.setVerticalScrollBarPolicy(policy)
        if on:
            vp = self.viewport().geometry()
            self.scrubber.setGeometry(vp.right() + 1, vp.top(), w, vp.height())
            self.scrubber.show()
        else:
            self.scrubber.hide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._relaying:
            return
        if self.viewport().width() != self.lay.width:
            anchor = self.indexAt(QPoint(8, 8))
            self.relayout()
            if anchor.isValid():
                self.scrollTo(anchor, QAbstractItemView.ScrollHint.PositionAtTop)
        else:
            self.updateGeometries()
            self._place_scrubber()

    def set_timeline(self, months: list[tuple[str, int]] | None) -> None:
        """The whole library's months (title, count), newest first: the scrubber spans all of it, not only
        the pages loaded so far."""
        self.timeline = months
        self._update_scrubber()

    def jump_to_index(self, index: int) -> None:
        """Show the photo at ``index`` at the top (its month's header above it); past the rows loaded,
        ask for them (``more_needed``) and go there when they arrive."""
        m = self.model()
        n = m.rowCount() if m is not None else 0
        if index >= n:
            self._pending_jump = index
            self.more_needed.emit(index)
            return
        self._pending_jump = -1
        if self.lay.tile_of(index) is None:
            self.finish_layout()
        t = self.lay.tile_of(index)
        if t is None:
            return
        h = self.lay.header_at(t.y)
        top = t.y - (HEADER_H if h is not None and h.title and self.by_date else 0)
        if h is not None and 0 <= t.y - (h.y + h.h) < SPACING:  # a month's first row: show the header itself
            top = h.y
        self.verticalScrollBar().setValue(top)

    def _update_scrubber(self) -> None:
        if not self.by_date:
            self.scrubber.set_months([])
            return
        months = self.timeline or [(h.title, h.count) for h in self.lay.headers]
        if [c for _, c in months] != [c for _, c in self.scrubber.months] or len(months) != len(
            self.scrubber.months
        ):
            self.scrubber.set_months(months)
        self._update_visible()

    def _update_visible(self) -> None:
        top = self._top()
        rows = self.lay.rows_between(top, top + self.viewport().height())
        if rows:
            self.scrubber.set_visible(rows[0].start, rows[-1].end)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()  # the sticky header moves with every scroll: repaint, not blit
        if self.by_date:
            self._update_visible()

    # -- QAbstractItemView's geometry ------------------------------------------------------------
    def _top(self) -> int:
        return self.verticalScrollBar().value()

    def tile_rect(self, row: int) -> QRect:
        """The tile of ``row`` in content coordinates (empty when there is none)."""
        t = self.lay.tile_of(row)
        return QRect(t.x, t.y, t.w, t.h) if t is not None else QRect()

    def visualRect(self, index: _ModelIndex) -> QRect:
        if not index.isValid():
            return QRect()
        r = self.tile_rect(index.row())
        return r.translated(0, -self._top()) if r.isValid() else QRect()

    def indexAt(self, point: QPoint) -> QModelIndex:
        m = self.model()
        if m is None:
            return QModelIndex()
        i = self.lay.index_at(point.x(), point.y() + self._top())
        return m.index(i, 0) if i is not None and i < m.rowCount() else QModelIndex()

    def scrollTo(
        self,
        index: _ModelIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        r = self.tile_rect(index.row()) if index.isValid() else QRect()
        if not r.isValid():
            return
        sb, h = self.verticalScrollBar(), self.viewport().height()
        sticky = HEADER_H if self.lay.headers else 0
        top = self._top()
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            sb.setValue(r.top() - sticky)
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            sb.setValue(r.center().y() - h // 2)
        elif hint == QAbstractItemView.ScrollHint.PositionAtBottom:
            sb.setValue(r.bottom() - h + 1)
        elif r.top() - sticky < top:
            sb.setValue(r.top() - sticky)
        elif r.bottom() >= top + h:
            sb.setValue(r.bottom() - h + 1 + SPACING)

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self._top()

    def isIndexHidden(self, index: _ModelIndex) -> bool:
        return False

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        m = self.model()
        n = m.rowCount() if m is not None else 0
        if not n:
            return QModelIndex()
        cur = self.currentIndex()
        if not cur.isValid():
            return m.index(0, 0)
        row = cur.row()
        A = QAbstractItemView.CursorAction
        if action in (A.MoveLeft, A.MovePrevious):
            row = self.lay.neighbour(row, -1, 0)
        elif action in (A.MoveRight, A.MoveNext):
            row = self.lay.neighbour(row, 1, 0)
        elif action == A.MoveUp:
            row = self.lay.neighbour(row, 0, -1)
        elif action == A.MoveDown:
            row = self.lay.neighbour(row, 0, 1)
        elif action in (A.MovePageUp, A.MovePageDown):
            row = self.lay.page(row, -1 if action == A.MovePageUp else 1, self.viewport().height())
        elif action == A.MoveHome:
            row = 0
        elif action == A.MoveEnd:
            row = n - 1
        return m.index(max(0, min(n - 1, row)), 0)

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        m, sel = self.model(), self.selectionModel()
        if m is None or sel is None:
            return
        a = rect.normalized().translated(0, self._top())
        selection = QItemSelection()
        for first, last in self.lay.runs_in(a.left(), a.top(), a.right(), a.bottom()):
            selection.select(m.index(first, 0), m.index(last, 0))
        sel.select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        return QRegion(self.viewport().rect())

    # -- keyboard, mouse, wheel, drag ---------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        cur = self.currentIndex()
        if cur.isValid() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated_row.emit(cur.row())
            return
        plain = not event.modifiers()
        if cur.isValid() and plain and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_V):
            self.viewer_requested.emit(cur.row())  # large, as Space opens a photo in a file manager
            return
        if cur.isValid() and plain and event.key() == Qt.Key.Key_P:
            self.preview_requested.emit(cur.row())
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.key() in (
            Qt.Key.Key_Plus,
            Qt.Key.Key_Equal,
            Qt.Key.Key_Minus,
        ):
            self.set_thumb_size(self.target + (-20 if event.key() == Qt.Key.Key_Minus else 20))
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.set_thumb_size(round(self.target * (1.1**steps)))
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position().toPoint() + QPoint(0, self._top())
        self._rubber = None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        idx = self.indexAt(pos)
        hover = idx.row() if idx.isValid() else -1
        if hover != self._hover:
            self._hover = hover
            self.viewport().update()
        super().mouseMoveEvent(event)
        if self.state() == QAbstractItemView.State.DragSelectingState and self._press is not None:
            self._rubber = QRect(self._press, pos + QPoint(0, self._top())).normalized()
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._rubber is not None:
            self._rubber = None
            self.viewport().update()
        self._press = None

    def leaveEvent(self, event: Any) -> None:
        self._hover = -1
        self.viewport().update()
        super().leaveEvent(event)

    def startDrag(self, supported: Qt.DropAction) -> None:
        m = self.results_model
        rows = self.selected_rows()
        if m is None or not rows:
            return
        drag = QDrag(self)
        drag.setMimeData(m.mimeData([m.index(r, 0) for r in rows]))
        img = m.thumbnail(rows[0], request=False)
        if img is not None and not img.isNull():
            pm = QPixmap.fromImage(img).scaled(
                96, 96, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            drag.setPixmap(pm)
        drag.exec(Qt.DropAction.CopyAction)

    def selected_rows(self) -> list[int]:
        sel = self.selectionModel()
        return sorted({i.row() for i in sel.selectedIndexes()}) if sel is not None else []

    def gridSize(self) -> QSize:
        return QSize(self.target, self.target)

    # -- painting -------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        from photosearch.gui.grid_paint import paint_grid

        p = QPainter(self.viewport())
        try:
            self.painted_rows = paint_grid(self, p, event.rect())
        finally:
            p.end()
        self.paints += 1

    def header_font(self) -> QFont:
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 1.15)
        f.setWeight(QFont.Weight.DemiBold)
        return f

    def sticky_header(self) -> tuple[Header, int] | None:
        """The month header shown on top, and its y (pushed up by the next header as it arrives)."""
        if not self.by_date or not self.lay.headers:
            return None
        top = self._top()
        h = self.lay.header_at(top)
        if h is None:
            return None
        y = 0
        nxt = h.section + 1
        if nxt < len(self.lay.headers):
            gap = self.lay.headers[nxt].y - top
            y = min(0, gap - HEADER_H)
        return h, y

    def hover_row(self) -> int:
        return self._hover

    def rubber_band(self) -> QRect | None:
        return self._rubber.translated(0, -self._top()) if self._rubber is not None else None

    def placeholder(self, row: int) -> QColor:
        m = self.results_model
        loader = m.loader if m is not None else None
        h = m.results[row].file.content_hash if m is not None else None
        rgb = loader.colours.get(h) if loader is not None and h else None
        if rgb is not None:
            return QColor((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255)
        c = QColor(self.palette().color(QPalette.ColorRole.Mid))
        c.setAlpha(90)
        return c
