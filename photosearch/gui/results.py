"""The results grid: a list model over search results, a delegate that paints thumbnails (asking the
loader only for rows that are actually painted, i.e. visible), and an icon-mode list view.

A search that stacks bursts (``Query.bursts``) shows each burst as its best shot; the model keeps the rest
(``SearchResponse.extra["bursts"]``: leader path → every shot's path, best first) and inserts them after
their leader when the burst is expanded (``expand``), removing them again when it is stacked (``collapse``).
The other shots' rows come from the catalog, looked up off the UI thread (``gui.bursts_view``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, NamedTuple

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


class BurstInfo(NamedTuple):
    """A row's place in a burst: the leader's path, the shot's place in it (0: the leader), the burst's size."""

    leader: str
    shot: int
    size: int
    expanded: bool


class ResultsModel(QAbstractListModel):
    """Rows are ``photosearch.search.engine.Result`` objects, best first."""

    bursts_changed = Signal()  # bursts arrived whose other shots are not looked up yet

    def __init__(self, loader: ThumbnailLoader | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.results: list[Any] = []
        self.kind = ""
        self.loader = loader
        self._row_of_hash: dict[str, list[int]] = {}
        self.bursts: dict[str, list[str]] = {}  # leader path → every shot's path, best first
        self.expanded: set[str] = set()  # leaders whose shots are shown
        self.shots: dict[str, Any] = {}  # a burst's other shot (path) → its row, once looked up
        self.looked_up: set[str] = set()  # paths looked up (found or not)
        self._burst_of: dict[str, tuple[str, int]] = {}  # shot path → (leader, index)
        if loader is not None:
            loader.loaded.connect(self._thumb_arrived)

    def set_loader(self, loader: ThumbnailLoader) -> None:
        self.loader = loader
        loader.loaded.connect(self._thumb_arrived)

    def set_results(
        self, results: list[Any], kind: str = "", bursts: dict[str, list[str]] | None = None
    ) -> None:
        """Show ``results``; ``bursts`` (leader path → every shot's path) stacks those: a burst expanded
        before stays expanded while its leader leads it."""
        self.bursts = {k: list(v) for k, v in (bursts or {}).items() if len(v) > 1}
        self.expanded &= {r.path for r in results if r.path in self.bursts}
        self._index_bursts()
        self.shots = {p: v for p, v in self.shots.items() if p in self._burst_of}  # only bursts shown
        self.looked_up &= set(self._burst_of)
        rows: list[Any] = []
        for r in results:
            rows.append(r)
            if r.path in self.expanded:
                rows.extend(self._followers(r))
        self.beginResetModel()
        self.results = rows
        self.kind = kind
        self._row_of_hash = {}  # filled as thumbnails are asked for (only those can arrive): cheap at 100k
        self.endResetModel()
        if self.loader is not None:
            self.loader.clear_pending()
            self.loader.fetch_colours(self.results)
        self._want_shots()

    def append_results(self, results: list[Any], bursts: dict[str, list[str]] | None = None) -> None:
        if bursts:
            have = {r.path for r in self.results}
            self.bursts.update(
                {
                    k: list(v)
                    for k, v in bursts.items()
                    if len(v) > 1 and k not in self.bursts and k not in have
                }
            )
            self._index_bursts()
            self._want_shots()
        if not results:
            return
        first = len(self.results)
        self.beginInsertRows(QModelIndex(), first, first + len(results) - 1)
        self.results.extend(results)
        self.endInsertRows()
        if self.loader is not None:
            self.loader.fetch_colours(list(results))

    # -- bursts ---------------------------------------------------------------------------------------
    def _index_bursts(self) -> None:
        self._burst_of = {p: (lead, i) for lead, shots in self.bursts.items() for i, p in enumerate(shots)}

    def _want_shots(self) -> None:
        if self.missing_shots():
            self.bursts_changed.emit()

    def missing_shots(self) -> list[str]:
        """The bursts' other shots not looked up yet."""
        return [p for shots in self.bursts.values() for p in shots[1:] if p not in self.looked_up]

    def add_shots(self, looked_up: list[str], rows: dict[str, Any]) -> None:
        """The catalog's answer for ``looked_up`` paths: ``rows`` (path → a ``Result`` of its own file)."""
        self.looked_up.update(looked_up)
        self.shots.update(rows)

    def burst_info(self, row: int) -> BurstInfo | None:
        if not 0 <= row < len(self.results):
            return None
        where = self._burst_of.get(self.results[row].path)
        if where is None:
            return None
        lead, i = where
        return BurstInfo(lead, i, len(self.bursts[lead]), lead in self.expanded)

    def ready(self, leader: str) -> bool:
        """Every other shot of the burst has been looked up (its rows can be shown)."""
        return all(p in self.looked_up for p in self.bursts.get(leader, [])[1:])

    def _followers(self, leader: Any) -> list[Any]:
        """The burst's other shots as rows after ``leader``: each shot's own file, ranked with its leader."""
        out = []
        for p in self.bursts.get(leader.path, [])[1:]:
            shot = self.shots.get(p)
            if shot is not None:
                shot.rank, shot.score, shot.passed, shot.z = (
                    leader.rank,
                    leader.score,
                    leader.passed,
                    leader.z,
                )
                out.append(shot)
        return out

    def _row_of(self, path: str) -> int:
        return next((i for i, r in enumerate(self.results) if r.path == path), -1)

    def expand(self, leader: str) -> bool:
        """Show every shot of the burst led by ``leader`` after it; False when it can't be (yet)."""
        row = self._row_of(leader)
        if row < 0 or leader not in self.bursts or leader in self.expanded or not self.ready(leader):
            return False
        self.expanded.add(leader)
        have = {r.path for r in self.results}
        rows = [r for r in self._followers(self.results[row]) if r.path not in have]
        if rows:
            self._shift_thumb_rows(row + 1, len(rows))
            self.beginInsertRows(QModelIndex(), row + 1, row + len(rows))
            self.results[row + 1 : row + 1] = rows
            self.endInsertRows()
            if self.loader is not None:
                self.loader.fetch_colours(rows)
        return True

    def collapse(self, leader: str) -> bool:
        """Stack the burst led by ``leader`` again (its other shots leave the rows)."""
        if leader not in self.expanded:
            return False
        self.expanded.discard(leader)
        row = self._row_of(leader)
        others = set(self.bursts.get(leader, [])[1:])
        n = 0
        while row >= 0 and row + 1 + n < len(self.results) and self.results[row + 1 + n].path in others:
            n += 1
        if n:
            self.beginRemoveRows(QModelIndex(), row + 1, row + n)
            del self.results[row + 1 : row + 1 + n]
            self._shift_thumb_rows(row + 1 + n, -n)
            self.endRemoveRows()
        return True

    def _shift_thumb_rows(self, at: int, n: int) -> None:
        """Rows from ``at`` on moved by ``n`` (inserted > 0, removed < 0): where arriving thumbnails go."""
        for rows in self._row_of_hash.values():
            rows[:] = [r + n if r >= at else r for r in rows if not (n < 0 and at + n <= r < at)]

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
            burst = self.burst_info(index.row())
            if burst is not None and burst.shot:
                return f"#{r.rank} · shot {burst.shot + 1} of a burst of {burst.size}{weak}\n{r.path}"
            if burst is not None:
                more = "click the count or press B to " + ("stack them" if burst.expanded else "see them all")
                return (
                    f"#{r.rank} · score {r.score:.3f}{weak}\na burst of {burst.size} shots ({more})\n{r.path}"
                )
            return f"#{r.rank} · score {r.score:.3f}{weak}\n{r.path}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            from photosearch.gui.accessible import describe

            return describe(self, index.row())
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
