"""The results grid: a list model over search results, a delegate that paints thumbnails (asking the
loader only for rows that are actually painted, i.e. visible), and an icon-mode list view."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photosearch.gui.workers import ThumbnailLoader

PathRole = Qt.ItemDataRole.UserRole + 1
ResultRole = Qt.ItemDataRole.UserRole + 2
ScoreRole = Qt.ItemDataRole.UserRole + 3

_ModelIndex = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractListModel):
    """Rows are ``photosearch.search.engine.Result`` objects, best first."""

    def __init__(self, loader: ThumbnailLoader | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.results: list[Any] = []
        self.kind = ""
        self.loader = loader
        self._row_of_hash: dict[str, list[int]] = {}
        if loader is not None:
            loader.loaded.connect(self._thumb_arrived)

    def set_loader(self, loader: ThumbnailLoader) -> None:
        self.loader = loader
        loader.loaded.connect(self._thumb_arrived)

    def set_results(self, results: list[Any], kind: str = "") -> None:
        self.beginResetModel()
        self.results = list(results)
        self.kind = kind
        self._row_of_hash = {}  # filled as thumbnails are asked for (only those can arrive): cheap at 100k
        self.endResetModel()
        if self.loader is not None:
            self.loader.clear_pending()
            self.loader.fetch_colours(self.results)

    def append_results(self, results: list[Any]) -> None:
        if not results:
            return
        first = len(self.results)
        self.beginInsertRows(QModelIndex(), first, first + len(results) - 1)
        self.results.extend(results)
        self.endInsertRows()
        if self.loader is not None:
            self.loader.fetch_colours(list(results))

    def clear(self) -> None:
        self.set_results([], "")

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.results)

    def result(self, row: int) -> Any:
        return self.results[row]

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.results):
            return None
        r = self.results[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(r.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            if self.kind == "browse":
                return r.path
            weak = "" if r.passed else " (weak match)"
            return f"#{r.rank} · score {r.score:.3f}{weak}\n{r.path}"
        if role == PathRole:
            return r.path
        if role == ResultRole:
            return r
        if role == ScoreRole:
            return float(r.score)
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(index.row())
        return None

    def thumbnail(self, row: int, request: bool = True) -> QImage | None:
        """The cached thumbnail, or None (then it is requested: this is called only for painted rows)."""
        if self.loader is None:
            return None
        r = self.results[row]
        h = r.file.content_hash
        if not h:
            return None
        img = self.loader.get(h)
        if img is None and request:
            rows = self._row_of_hash.setdefault(h, [])
            if row not in rows:
                rows.append(row)
            self.loader.request(h, r.path)
        return img

    def _thumb_arrived(self, content_hash: str) -> None:
        for row in self._row_of_hash.get(content_hash, ()):
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid():
            return (
                base
                | Qt.ItemFlag.ItemIsDragEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEnabled
            )
        return base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        paths = [self.results[r].path for r in rows]
        mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        mime.setText("\n".join(paths))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


class ResultDelegate(QStyledItemDelegate):
    """Paints a thumbnail (or a placeholder while it loads), the file name, and a weak-match dimming."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.edge = 160

    def sizeHint(self, option: QStyleOptionViewItem, index: _ModelIndex) -> QSize:
        return QSize(self.edge + 12, self.edge + 30)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        painter.save()
        pal = option.palette
        rect: QRect = option.rect.adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(rect, 6, 6)
        elif hover:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Midlight))
            painter.drawRoundedRect(rect, 6, 6)
        image_box = QRect(rect.x() + 3, rect.y() + 3, rect.width() - 6, rect.height() - 27)
        model = index.model()
        img = model.thumbnail(index.row()) if isinstance(model, ResultsModel) else None
        if img is not None and not img.isNull():
            size = img.deviceIndependentSize().toSize()
            scaled = size.scaled(image_box.size(), Qt.AspectRatioMode.KeepAspectRatio)
            if size.width() <= image_box.width() and size.height() <= image_box.height():
                scaled = size  # already at display size (the loader scales): a plain blit
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(image_box.center())
            painter.drawImage(target, img)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            c = QColor(pal.color(QPalette.ColorRole.Mid))
            c.setAlpha(70)
            painter.setBrush(c)
            painter.drawRoundedRect(image_box.adjusted(8, 8, -8, -8), 4, 4)
        result = index.data(ResultRole)
        if result is not None and not result.passed:
            veil = QColor(pal.color(QPalette.ColorRole.Base))
            veil.setAlpha(110)
            painter.fillRect(image_box, veil)
        text_rect = QRect(rect.x() + 4, rect.bottom() - 22, rect.width() - 8, 20)
        painter.setPen(pal.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        name = painter.fontMetrics().elidedText(
            str(index.data()), Qt.TextElideMode.ElideMiddle, text_rect.width()
        )
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignCenter), name)
        painter.restore()


class ResultsView(QListView):
    """Icon-mode, uniform items (so the view lays out 10,000 rows without asking each for its size)."""

    activated_row = Signal(int)  # Enter / double-click
    preview_requested = Signal(int)  # Space

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(400)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSpacing(2)
        self.setWordWrap(False)
        self.delegate = ResultDelegate(self)
        self.setItemDelegate(self.delegate)
        self.set_thumb_size(160)
        self.doubleClicked.connect(lambda idx: self.activated_row.emit(idx.row()))

    def set_thumb_size(self, edge: int) -> None:
        self.delegate.edge = edge
        model = self.model()
        if isinstance(model, ResultsModel) and model.loader is not None:
            model.loader.set_edge(edge - 4, self.devicePixelRatioF())
        self.setGridSize(QSize(edge + 16, edge + 34))
        self.doItemsLayout()

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        if isinstance(model, ResultsModel) and model.loader is not None:
            model.loader.set_edge(self.delegate.edge - 4, self.devicePixelRatioF())

    @property
    def thumb_size(self) -> int:
        return self.delegate.edge

    def keyPressEvent(self, event: QKeyEvent) -> None:
        cur = self.currentIndex()
        if cur.isValid() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated_row.emit(cur.row())
            return
        if cur.isValid() and event.key() == Qt.Key.Key_Space:
            self.preview_requested.emit(cur.row())
            return
        super().keyPressEvent(event)

    def selected_rows(self) -> list[int]:
        return (
            sorted({i.row() for i in self.selectionModel().selectedIndexes()})
            if self.selectionModel()
            else []
        )
