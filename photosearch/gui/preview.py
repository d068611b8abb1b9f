"""The preview panel beside the results: the photo larger, its path, date taken, size and dimensions, and
the actions. The photo is decoded off the UI thread (any format the indexer reads, HEIC included); the
result's thumbnail stands in until it arrives. For a text query, the words that matched are outlined on the
photo, and the text read in the photo is shown below it (selectable, copyable)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photosearch.gui.elided import ElidedLabel, details_html
from photosearch.gui.meta_lines import photo_details
from photosearch.gui.workers import TaskRunner

OUTLINE = QColor(255, 196, 0)  # the matched words' outline on the photo
PREVIEW_EDGE = 1600  # longest side decoded for the panel (it is rarely wider than a third of the screen)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def describe(file: Any) -> dict[str, str]:
    taken = (
        dt.datetime.fromtimestamp(file.taken_at).strftime("%Y-%m-%d %H:%M") if file.taken_at else "unknown"
    )
    dims = f"{file.width} × {file.height}" if file.width and file.height else "unknown"
    return {"Path": file.path, "Date taken": taken, "Size": human_size(file.size), "Dimensions": dims}


def load_preview_image(path: str, edge: int = PREVIEW_EDGE) -> QImage:
    """Decode ``path`` for the panel (oriented, at most ``edge`` px on its longest side). Runs on a worker."""
    from PIL import Image

    from photosearch.library.imaging import open_image

    img = open_image(path, draft_short_side=edge // 2).image  # oriented 8-bit RGB
    if max(img.size) > edge:
        img.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    data = img.tobytes()
    return QImage(data, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888).copy()


class PreviewPanel(QFrame):
    """Shown at the right of the results (P, or "Preview" in the context menu); follows the current
    result while open."""

    open_requested = Signal(str)
    show_requested = Signal(str)
    similar_requested = Signal(str)
    reference_requested = Signal(str)
    image_loaded = Signal(str)  # the path whose full image is now shown
    view_large_requested = Signal(str)  # the photo was clicked: the viewer
    closed_by_person = Signal(bool)  # its × was used; True when the keyboard focus was inside the panel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PreviewPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(240)
        self.path = ""
        self.loaded_path = ""
        self.info: dict[str, str] = {}  # what the details say (``meta_lines.photo_details``)
        self._described: dict[str, str] = {}  # the result's own (``describe``), before its metadata is read
        self._pixmap = QPixmap()
        self.loader = TaskRunner(1, self)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = ElidedLabel(
            "", self, Qt.TextElideMode.ElideMiddle
        )  # the whole name: its tooltip, the Path
        self.title.setObjectName("PreviewTitle")
        top.addWidget(self.title, 1)
        self.close_button = QToolButton(self)
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Close the preview (P)")
        self.close_button.setAccessibleName("Close the preview")  # not '×' (read 'multiplication sign')
        self.close_button.clicked.connect(self._close_clicked)
        top.addWidget(self.close_button)
        lay.addLayout(top)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(QSize(200, 150))
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image.setCursor(Qt.CursorShape.PointingHandCursor)
        self.image.setToolTip("View large (V)")
        self.image.mousePressEvent = lambda _e: self.view_large_requested.emit(self.path)  # type: ignore[method-assign]
        lay.addWidget(self.image, 1)
        self.meta = QLabel(self)
        self.meta.setObjectName("PreviewMeta")
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta.setWordWrap(True)
        lay.addWidget(self.meta)
        self.text_label = QLabel("Text in the photo:", self)
        lay.addWidget(self.text_label)
        self.text_view = QPlainTextEdit(self)  # read-only: select and copy
        self.text_view.setObjectName("PreviewText")
        self.text_view.setReadOnly(True)
        self.text_view.setMaximumHeight(110)
        lay.addWidget(self.text_view)
        self.text_label.hide()
        self.text_view.hide()
        self.boxes: tuple[tuple[tuple[float, float], ...], ...] = ()  # matched words, full-image pixels
        self.full_size: tuple[int, int] = (0, 0)
        self.outlined: list[list[tuple[float, float]]] = []  # the outlines drawn, in the pixmap's pixels
        grid = QGridLayout()
        for i, (text, sig) in enumerate(
            (
                ("Open", self.open_requested),
                ("Show in folder", self.show_requested),
                ("Find similar", self.similar_requested),
                ("Use as reference", self.reference_requested),
            )
        ):
            b = QPushButton(text, self)
            b.clicked.connect(lambda _c=False, s=sig: s.emit(self.path))
            grid.addWidget(b, i // 2, i % 2)
        lay.addLayout(grid)

    def _close_clicked(self) -> None:
        focus = QApplication.focusWidget()
        had_focus = focus is not None and self.isAncestorOf(focus)
        self.close()
        self.closed_by_person.emit(had_focus)

    def show_result(self, result: Any, thumbnail: QImage | None = None) -> None:
        """Show ``result`` now (its thumbnail, if any, until the photo is decoded)."""
        self.path = result.path
        self._described = describe(result.file)
        self.info = photo_details(self._described, None, lines=False)
        self.title.setText(os.path.basename(result.path))
        self._show_details()
        text = getattr(result, "text", None) or ""
        self.text_view.setPlainText(text)
        self.text_label.setVisible(bool(text))
        self.text_view.setVisible(bool(text))
        boxes = tuple(getattr(result, "text_boxes", ()) or ())
        same_boxes = boxes == self.boxes
        self.boxes = boxes
        self.full_size = (result.file.width or 0, result.file.height or 0)
        if self.loaded_path == result.path and same_boxes:
            return
        self.loaded_path = ""
        self._pixmap = self._outline(
            QPixmap.fromImage(thumbnail) if thumbnail is not None and not thumbnail.isNull() else QPixmap()
        )
        if self._pixmap.isNull():
            self.image.setPixmap(QPixmap())
            self.image.setText("Loading…")
        else:
            self._fit()
        path = result.path

        def arrived(img: Any) -> None:
            self._arrived(path, img)

        def failed(error: BaseException) -> None:
            self._failed(path, error)

        self.loader.submit(lambda: load_preview_image(path), arrived, failed)

    def _arrived(self, path: str, img: QImage) -> None:
        if path != self.path:  # the person moved on meanwhile
            return
        self._pixmap = self._outline(QPixmap.fromImage(img))
        self.loaded_path = path
        self._fit()
        self.image_loaded.emit(path)

    def _failed(self, path: str, error: BaseException) -> None:
        if path != self.path:
            return
        reason = getattr(error, "reason", None) or str(error)
        if self._pixmap.isNull():
            self.image.setPixmap(QPixmap())
            self.image.setText(f"This photo can't be shown: {reason}")

    def _outline(self, pm: QPixmap) -> QPixmap:
        """``pm`` with the matched words outlined (boxes scaled from the full image to the pixmap)."""
        self.outlined = []
        fw, fh = self.full_size
        if pm.isNull() or not self.boxes or not fw or not fh:
            return pm
        sx, sy = pm.width() / fw, pm.height() / fh
        out = QPixmap(pm)
        painter = QPainter(out)
        pen = QPen(OUTLINE)
        pen.setWidthF(max(2.0, min(pm.width(), pm.height()) / 200))
        painter.setPen(pen)
        for box in self.boxes:
            pts = [(x * sx, y * sy) for x, y in box]
            painter.drawPolygon(QPolygonF([QPointF(x, y) for x, y in pts]))
            self.outlined.append(pts)
        painter.end()
        return out

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        dpr = self.devicePixelRatioF()
        pm = self._pixmap.scaled(
            self.image.size() * dpr,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        pm.setDevicePixelRatio(dpr)
        self.image.setPixmap(pm)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()
        if self.info:
            self._show_details()  # the path is fitted to the width

    def set_meta(self, meta: dict[str, Any] | None) -> None:
        """The photo's metadata arrived (read off the UI thread): its date taken, in its time zone, is the one
        'Date taken' line (the camera and place lines are the ``MetaLines`` below)."""
        self.info = photo_details(self._described, meta, lines=False)
        self._show_details()

    def _show_details(self) -> None:
        self.meta.setText(details_html(self.info, self.meta))
