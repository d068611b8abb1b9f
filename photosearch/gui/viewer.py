"""The viewer: one photo large over the window (double-click or V in the grid). Fit or 100 % (Z), previous and
next (Left/Right), full screen (F), the details on demand (I), and the actions with icons and shortcuts (open,
show in folder, find similar, use as reference, copy path: ``ACTIONS``). Esc closes. The photo is decoded off
the UI thread; its thumbnail stands in until then."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from photosearch.gui.elided import ElidedLabel, details_html
from photosearch.gui.icons import set_icon
from photosearch.gui.meta_lines import photo_details
from photosearch.gui.preview import describe, load_preview_image
from photosearch.gui.results import ResultsModel
from photosearch.gui.workers import TaskRunner

FULL_EDGE = 8192  # the longest side decoded for 100 %
BACKDROP = QColor(16, 16, 18)
FOREGROUND = QColor(236, 236, 236)


@dataclass(frozen=True)
class ViewerAction:
    name: str
    text: str
    icon: str
    keys: str


ACTIONS = (
    ViewerAction("previous", "Previous photo", "previous", "Left"),
    ViewerAction("next", "Next photo", "next", "Right"),
    ViewerAction("zoom", "Fit or 100 %", "zoom-actual", "Z"),
    ViewerAction("details", "Details", "info", "I"),
    ViewerAction("fullscreen", "Full screen", "fullscreen", "F"),
    ViewerAction("open", "Open in another app", "open", "Return"),
    ViewerAction("show", "Show in folder", "folder-show", "Ctrl+Shift+O"),
    ViewerAction("similar", "Find similar", "similar", "S"),
    ViewerAction("reference", "Use as reference", "reference", "R"),
    ViewerAction("copy", "Copy path", "copy", "Ctrl+C"),
    ViewerAction("close", "Close", "close", "Esc"),
)


class _Canvas(QWidget):
    """The photo: fitted to the space, or at 100 % (one image pixel per device pixel), dragged to pan."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.actual = False
        self.pan = QPointF(0, 0)
        self._drag: QPoint | None = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def set_image(self, img: QImage) -> None:
        self.image = img
        self.update()

    def target(self) -> QRectF:
        img = self.image
        if img.isNull():
            return QRectF()
        dpr = self.devicePixelRatioF()
        iw, ih = img.width(), img.height()
        if self.actual:
            w, h = iw / dpr, ih / dpr
        else:
            s = min(self.width() / iw, self.height() / ih)
            w, h = iw * s, ih * s
        x = (self.width() - w) / 2 + (self.pan.x() if self.actual else 0)
        y = (self.height() - h) / 2 + (self.pan.y() if self.actual else 0)
        return QRectF(x, y, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKDROP)
        if not self.image.isNull():
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(self.target(), self.image)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag = event.position().toPoint()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None and self.actual:
            pos = event.position().toPoint()
            self.pan += QPointF(pos - self._drag)
            self._drag = pos
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None


class PhotoViewer(QWidget):
    """Covers the window while open; ``row`` follows Left/Right through the results."""

    row_changed = Signal(int)
    open_requested = Signal(str)
    show_requested = Signal(str)
    similar_requested = Signal(str)
    reference_requested = Signal(str)
    copy_requested = Signal(str)
    help_requested = Signal()
    closed = Signal()

    def __init__(self, window: QWidget, model: ResultsModel) -> None:
        super().__init__(window)
        self.model = model
        self.row = -1
        self.path = ""
        self.loaded_path = ""
        self.loader = TaskRunner(1, self)
        self._was_fullscreen = False
        self.setObjectName("Viewer")
        self.setAccessibleName("Photo viewer")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # always dark around a photo, in either theme (a style sheet: the app's style sheet would override a
        # palette set here)
        fg, bg = FOREGROUND.name(), BACKDROP.name()
        self.setStyleSheet(
            f"#Viewer {{ background: {bg}; }} #Viewer QLabel {{ color: {fg}; background: transparent; }} "
            f"#Viewer QToolButton {{ color: {fg}; }} #ViewerDetails {{ background: #1c1c20; }}"
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        bar = QHBoxLayout()
        bar.setContentsMargins(10, 6, 10, 6)
        self.title = ElidedLabel("", self, Qt.TextElideMode.ElideMiddle)  # a long name: '…' and a tooltip
        self.title.setObjectName("ViewerTitle")
        bar.addWidget(self.title, 1)
        self.buttons: dict[str, QToolButton] = {}
        for a in ACTIONS:
            b = QToolButton(self)
            set_icon(b, a.icon, FOREGROUND)
            b.setIconSize(QSize(22, 22))
            b.setAutoRaise(True)
            shortcut = QKeySequence(a.keys).toString(QKeySequence.SequenceFormat.NativeText)
            b.setToolTip(f"{a.text} ({shortcut})")
            b.setAccessibleName(a.text)
            b.setFocusPolicy(
                Qt.FocusPolicy.NoFocus
            )  # the keys act on the photo; the buttons are for the mouse
            b.clicked.connect(lambda _c=False, n=a.name: self.act(n))
            self.buttons[a.name] = b
            bar.addWidget(b)
        lay.addLayout(bar)
        body = QHBoxLayout()
        self.canvas = _Canvas(self)
        body.addWidget(self.canvas, 1)
        self.details = QLabel(self)
        self.details.setObjectName("ViewerDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setFixedWidth(300)
        self.details.setContentsMargins(14, 14, 14, 14)
        self.details.hide()
        body.addWidget(self.details)
        lay.addLayout(body, 1)
        self.info: dict[str, str] = {}  # what the details say (``meta_lines.photo_details``)
        # reads a result's metadata off the UI thread and calls back with it (the window's places controller)
        self.meta_reader: Callable[[Any, Callable[[dict[str, Any] | None], None]], None] | None = None
        self.total_of: Callable[[], int] = (
            model.rowCount
        )  # how many photos there are (the library's, browsing)
        self.hide()
        window.installEventFilter(self)

    # -- opening, moving, closing -------------------------------------------------------------------
    def open_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.show_row(row)

    def show_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self.row = row
        r = self.model.result(row)
        self.path = r.path
        described, text = describe(r.file), getattr(r, "text", None) or ""
        self.info = photo_details(described, None, text)
        n = self.model.rowCount()
        self.title.setText(f"{os.path.basename(r.path)}  ·  {row + 1:,} of {max(n, self.total_of()):,}")
        self._show_details()
        if self.meta_reader is not None:  # the date taken in its zone, the camera and place lines: read later
            path = r.path

            def arrived(meta: dict[str, Any] | None) -> None:
                if path == self.path:
                    self.info = photo_details(described, meta, text)
                    self._show_details()

            self.meta_reader(r, arrived)
        self.canvas.pan = QPointF(0, 0)
        if self.loaded_path != r.path:
            self.loaded_path = ""
            thumb = self.model.thumbnail(row, request=False)
            self.canvas.set_image(thumb if thumb is not None else QImage())
            path = r.path
            self.loader.submit(
                lambda: load_preview_image(path, FULL_EDGE), lambda img: self._arrived(path, img), None
            )
        self.buttons["previous"].setEnabled(row > 0)
        self.buttons["next"].setEnabled(row < n - 1)
        self.row_changed.emit(row)

    def _show_details(self) -> None:
        self.details.setText(details_html(self.info, self.details, stacked=True))  # a long name: cut, tooltip

    def _arrived(self, path: str, img: QImage) -> None:
        if path == self.path and self.isVisible():
            self.loaded_path = path
            self.canvas.set_image(img)

    def close_viewer(self) -> None:
        if not self.isVisible():
            return
        w = self.window()
        if w.isFullScreen() and not self._was_fullscreen:
            w.showNormal()
        self.hide()
        self.closed.emit()

    @property
    def actual_size(self) -> bool:
        return self.canvas.actual

    def act(self, name: str) -> None:
        if name == "previous":
            self.show_row(self.row - 1)
        elif name == "next":
            self.show_row(self.row + 1)
        elif name == "zoom":
            self.canvas.actual = not self.canvas.actual
            self.canvas.pan = QPointF(0, 0)
            self.canvas.update()
        elif name == "details":
            self.details.setVisible(not self.details.isVisible())
        elif name == "fullscreen":
            w = self.window()
            if w.isFullScreen():
                w.showNormal()
            else:
                self._was_fullscreen = False
                w.showFullScreen()
        elif name == "close":
            self.close_viewer()
        elif self.path:
            signal = {
                "open": self.open_requested,
                "show": self.show_requested,
                "similar": self.similar_requested,
                "reference": self.reference_requested,
                "copy": self.copy_requested,
            }[name]
            if name in ("similar", "reference"):
                self.close_viewer()
            signal.emit(self.path)

    # -- keys -----------------------------------------------------------------------------------------
    KEYS: dict[tuple[int, bool], str] = {
        (Qt.Key.Key_Left, False): "previous",
        (Qt.Key.Key_Right, False): "next",
        (Qt.Key.Key_Z, False): "zoom",
        (Qt.Key.Key_1, False): "zoom",
        (Qt.Key.Key_I, False): "details",
        (Qt.Key.Key_F, False): "fullscreen",
        (Qt.Key.Key_Return, False): "open",
        (Qt.Key.Key_Enter, False): "open",
        (Qt.Key.Key_S, False): "similar",
        (Qt.Key.Key_R, False): "reference",
        (Qt.Key.Key_C, True): "copy",
        (Qt.Key.Key_Escape, False): "close",
        (Qt.Key.Key_Space, False): "close",
    }

    def _action_for(self, event: QKeyEvent) -> str | None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() == Qt.Key.Key_O and mods == (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        ):
            return "show"
        ctrl = mods == Qt.KeyboardModifier.ControlModifier
        if mods not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier):
            return None
        return self.KEYS.get((event.key(), ctrl))

    def event(self, event: QEvent) -> bool:
        # the window's own shortcuts (Esc clears the search, Ctrl+C …) wait while the viewer has the keys
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if self._action_for(event) is not None or event.text() == "?":
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        name = self._action_for(event)
        if name is not None:
            self.act(name)
            return
        if event.text() == "?":
            self.help_requested.emit()
            return
        super().keyPressEvent(event)

    def eventFilter(self, obj: Any, event: QEvent) -> bool:
        parent = self.parentWidget()
        if parent is not None and obj is parent and event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(parent.rect())
        return False
