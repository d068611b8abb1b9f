"""The query bar: the search field (search as you type, debounced; Enter searches now), the reference
image well (drop a file, drag a result in, paste an image) and the image ↔ text balance slider."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

from PySide6.QtCore import QBuffer, QIODevice, QMimeData, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photosearch.gui.elided import ElidedLabel
from photosearch.gui.icons import icon, set_icon
from photosearch.gui.theme import SLIDER_FOCUS, WELL_FOCUS
from photosearch.terminal import bidi_safe

PLACEHOLDER_TEXT = "Describe the photo you want (e.g. kids on a beach at sunset)"
PLACEHOLDER_CHANGE = "What should be different? (e.g. at night, in winter)"
DEBOUNCE_MS = 300


@dataclass
class Reference:
    """The reference photo of a composed query: a file, or pasted pixels."""

    path: str | None
    image: Image.Image | None
    preview: QImage

    @property
    def query_image(self) -> Any:
        return self.path if self.path is not None else self.image

    @property
    def name(self) -> str:
        return os.path.basename(self.path) if self.path else "pasted image"


def qimage_to_pil(img: QImage) -> Image.Image:
    from PIL import Image

    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")  # type: ignore[call-overload]  # PySide accepts str; its stubs say bytes
    return Image.open(io.BytesIO(bytes(buf.data().data())), formats=["PNG"]).convert("RGB")


def local_other_paths(mime: QMimeData) -> list[str]:
    """Local files in ``mime`` that are not photos (a text file, a folder, a missing file)."""
    from photosearch.library.imaging import is_image_name

    out = []
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                p = url.toLocalFile()
                if not (os.path.isfile(p) and is_image_name(p)):
                    out.append(p)
    return out


def not_a_photo(path: str) -> str:
    name = os.path.basename(path.rstrip("/")) or path
    if not os.path.exists(path):
        return f"{name} is not there any more"
    if os.path.isdir(path):
        return f"{name} is a folder, not a photo"
    return f"{name} is not a photo PhotoSearch can read"


def local_image_paths(mime: QMimeData) -> list[str]:
    """The photos in ``mime``: its file URLs, or its text when that is one photo's path (copied from a terminal
    or a file manager's address bar: searched by that photo, not for its words)."""
    from photosearch.library.imaging import is_image_name

    out = []
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                p = url.toLocalFile()
                if os.path.isfile(p) and is_image_name(p):
                    out.append(p)
    elif mime.hasText():
        text = mime.text().strip()
        p = QUrl(text).toLocalFile() if text.startswith("file://") else os.path.expanduser(text)
        if "\n" not in text and os.path.isabs(p) and os.path.isfile(p) and is_image_name(p):
            out.append(p)
    return out


def load_preview(path: str, edge: int = 256) -> QImage:
    """A small preview of the photo at ``path`` (Qt's reader, scaled while decoding; else Pillow, e.g. HEIC);
    a null image when neither can read it. Runs on a worker thread."""
    from PySide6.QtGui import QImageReader

    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > edge:
        reader.setScaledSize(size.scaled(edge, edge, Qt.AspectRatioMode.KeepAspectRatio))
    img = reader.read()
    if not img.isNull():
        return img
    try:
        from PIL import Image

        from photosearch.library.imaging import photo_formats

        with Image.open(path, formats=photo_formats()) as src:
            pil = src.convert("RGB")
            pil.thumbnail((edge, edge))
            buf = io.BytesIO()
            pil.save(buf, "PNG")
        return QImage.fromData(buf.getvalue())
    except Exception:  # a file Qt and Pillow can't read: no preview (the search then says why)
        return QImage()


class ReferenceWell(QFrame):
    """Accepts an image: a dropped file URL (from the file manager or from the results), dropped or pasted
    pixels. Shows the thumbnail with a clear (×) button."""

    changed = Signal(object)  # Reference, or None when cleared (a Qt signal type cannot say "or None")
    refused = Signal(str)  # what was given is not a photo: why, in words

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReferenceWell")
        self.setStyleSheet(WELL_FOCUS)  # its dashed frame turns solid with the focus (Tab, then Space)
        self.setAcceptDrops(True)
        self.setFixedSize(QSize(64, 48))
        self.setToolTip(
            "Click to choose a photo, drop one here, or paste one with Ctrl+V, to search for photos like it"
        )
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.reference: Reference | None = None
        from photosearch.gui.workers import TaskRunner

        self.loader = TaskRunner(1, self)  # thumbnails of dropped photos, off the UI thread
        lay = QHBoxLayout(self)
        lay.setContentsMargins(3, 3, 3, 3)
        self.image_label = QLabel(self)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setStyleSheet("font-size: 8pt;")
        self.setAccessibleName("Search by photo")
        self.setAccessibleDescription("Space or Enter: choose a photo to search for photos like it")
        # reached with Tab (then Space or Enter chooses a photo); a click still leaves the typing alone
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self._show_empty()
        lay.addWidget(self.image_label)
        self.clear_button = QToolButton(self)
        self.clear_button.setText("×")
        self.clear_button.setToolTip("Clear the reference photo")
        self.clear_button.setAccessibleName("Clear the reference photo")
        self.clear_button.setAutoRaise(True)
        self.clear_button.setFixedSize(18, 18)
        self.clear_button.clicked.connect(self.clear)
        self.clear_button.hide()

    def _show_empty(self) -> None:
        """No reference: an image-plus icon (drop or click a photo here)."""
        dpr = self.devicePixelRatioF()
        pm = icon("image-add", QPalette.ColorRole.PlaceholderText).pixmap(QSize(26, 26), dpr)
        self.image_label.setPixmap(pm)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.clear_button.move(self.width() - self.clear_button.width() - 1, 1)

    # -- setting --------------------------------------------------------------------------------
    def set_path(self, path: str) -> bool:
        """Use the photo at ``path`` (an image file by its name) as the reference at once; its thumbnail is
        decoded on a worker thread (a 12 MP photo takes a while) and shown when it arrives."""
        from photosearch.library.imaging import is_image_name

        if not is_image_name(path) or not os.path.isfile(path):
            self.refused.emit(not_a_photo(path))
            return False
        path = os.path.abspath(path)
        self._set(Reference(path, None, QImage()))
        self.loader.submit(lambda: load_preview(path), lambda img: self._preview_loaded(path, img))
        return True

    def _preview_loaded(self, path: str, img: QImage) -> None:
        ref = self.reference
        if ref is None or ref.path != path:
            return  # replaced or cleared meanwhile
        ref.preview = img
        if img.isNull():
            self.image_label.setText("?")
            self.image_label.setToolTip(f"{path}: not an image PhotoSearch can read")
            self.refused.emit(not_a_photo(path))
        else:
            self._show_preview(ref)

    def set_image(self, img: QImage) -> bool:
        if img.isNull():
            return False
        self._set(Reference(None, qimage_to_pil(img), img))
        return True

    def set_from_mime(self, mime: QMimeData) -> bool:
        paths = local_image_paths(mime)
        if paths:
            return self.set_path(paths[0])
        if mime.hasImage():
            data = mime.imageData()
            img = data if isinstance(data, QImage) else QImage(data) if data is not None else QImage()
            if isinstance(data, QPixmap):
                img = data.toImage()
            return self.set_image(img)
        others = local_other_paths(mime)
        self.refused.emit(
            not_a_photo(others[0])
            if others
            else "That is not a photo: paste or drop a photo, or a photo file"
        )
        return False

    # -- choosing a file (a click on the well) ------------------------------------------------------
    def choose_file(self) -> str | None:
        """A native file dialog for one photo (tests replace this)."""
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self,
            "Choose a photo to search by",
            "",
            "Photos (*.jpg *.jpeg *.png *.webp *.heic *.heif *.avif *.tif *.tiff *.bmp *.gif);;All files (*)",
        )
        return path or None

    def choose(self) -> None:
        path = self.choose_file()
        if path:
            self.set_path(path)

    def mouseReleaseEvent(self, event: Any) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.choose()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Space or Enter chooses a photo, as a click does (the well is reached with Tab); Delete or
        Backspace clears the one chosen."""
        key = event.key()
        if not event.modifiers() and key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.choose()
            event.accept()
            return
        if not event.modifiers() and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.reference:
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)

    def _set(self, ref: Reference) -> None:
        self.reference = ref
        if ref.preview.isNull():
            self.image_label.setText("…")  # the thumbnail is on its way
        else:
            self._show_preview(ref)
        self.image_label.setToolTip(ref.path or "pasted image")
        self.setAccessibleName(f"Search by photo: {ref.name}")
        self.clear_button.show()
        self.clear_button.raise_()
        self.changed.emit(ref)

    def _show_preview(self, ref: Reference) -> None:
        pm = QPixmap.fromImage(ref.preview).scaled(
            self.image_label.size() * self.devicePixelRatioF(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        pm.setDevicePixelRatio(self.devicePixelRatioF())
        self.image_label.setPixmap(pm)

    def clear(self) -> None:
        if self.reference is None:
            return
        self.reference = None
        self.image_label.clear()
        self._show_empty()
        self.setAccessibleName("Search by photo")
        self.clear_button.hide()
        self.changed.emit(None)

    # -- drag and drop ------------------------------------------------------------------------------
    @staticmethod
    def accepts(mime: QMimeData) -> bool:
        return bool(local_image_paths(mime)) or mime.hasImage()

    def _set_drag_active(self, on: bool) -> None:
        self.setProperty("dragActive", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.accepts(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._set_drag_active(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if self.accepts(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()

    def dragLeaveEvent(self, event: Any) -> None:
        self._set_drag_active(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drag_active(False)
        if self.set_from_mime(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()


class SearchField(QLineEdit):
    """A line edit whose Ctrl+V takes an image (or an image file) as the reference instead of text."""

    paste_image = Signal(QMimeData)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            mime = QGuiApplication.clipboard().mimeData()
            if mime is not None and (ReferenceWell.accepts(mime) or local_other_paths(mime)):
                self.paste_image.emit(mime)  # a file that is not a photo: the well says why
                return
        if event.key() == Qt.Key.Key_Escape:
            event.ignore()  # the window clears the query
            return
        super().keyPressEvent(event)


class QueryBar(QWidget):
    """Emits ``query_changed`` (debounced while typing, at once on Enter) with the text and the reference."""

    query_changed = Signal()
    gear_clicked = Signal()
    help_clicked = Signal()  # the ? button: the keyboard shortcuts
    problem = Signal(str)  # something given to the query bar could not be used (said in the status bar)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 4)
        row = QHBoxLayout()
        outer.addLayout(row)
        self.field = SearchField(self)
        self.field.setPlaceholderText(PLACEHOLDER_TEXT)
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumHeight(32)
        self.field.setAccessibleName("Search")  # what a screen reader calls it (the placeholder is a hint)
        row.addWidget(self.field, 1)
        self.well = ReferenceWell(self)
        row.addWidget(self.well)
        self.gear = QToolButton(self)
        self.gear.setText("Settings")
        set_icon(self.gear, "settings")
        self.gear.setIconSize(QSize(22, 22))
        self.gear.setAutoRaise(True)
        self.gear.setAccessibleName("Folders and models")
        self.gear.setToolTip("Folders and models")
        self.gear.clicked.connect(self.gear_clicked)
        row.addWidget(self.gear)
        self.help = QToolButton(self)  # where a person looks for help: the keyboard shortcuts (also ? and F1)
        self.help.setText("?")
        set_icon(self.help, "keyboard")
        self.help.setIconSize(QSize(22, 22))
        self.help.setAutoRaise(True)
        self.help.setAccessibleName("Keyboard shortcuts")
        self.help.setToolTip("Keyboard shortcuts (F1)")
        self.help.clicked.connect(self.help_clicked)
        row.addWidget(self.help)

        self.balance_row = QWidget(self)
        bl = QHBoxLayout(self.balance_row)
        bl.setContentsMargins(0, 0, 0, 0)
        self.ref_caption = ElidedLabel("", self.balance_row, Qt.TextElideMode.ElideMiddle)  # a long name
        bl.addWidget(self.ref_caption, 1)
        self.balance_ends = (QLabel("image", self.balance_row), QLabel("text", self.balance_row))
        bl.addWidget(self.balance_ends[0])
        self.slider = QSlider(Qt.Orientation.Horizontal, self.balance_row)
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setFixedWidth(180)
        self.slider.setToolTip("How much the result should follow the photo (left) or the words (right)")
        self.slider.setAccessibleName("Photo and words balance")
        self.slider.setStyleSheet(SLIDER_FOCUS)
        bl.addWidget(self.slider)
        bl.addWidget(self.balance_ends[1])
        outer.addWidget(self.balance_row)
        self.balance_row.hide()

        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.query_changed)
        self.field.textEdited.connect(lambda _t: self.debounce.start())
        self.field.textChanged.connect(lambda _t: self._say_reference())
        self.field.returnPressed.connect(self.submit_now)
        self.field.paste_image.connect(self.well.set_from_mime)
        self.well.changed.connect(self._reference_changed)
        self.well.refused.connect(self.problem)
        self.slider.valueChanged.connect(lambda _v: self.debounce.start())

    # -- state ----------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.field.text().strip()

    @property
    def reference(self) -> Reference | None:
        return self.well.reference

    @property
    def weight(self) -> float:
        return self.slider.value() / 100.0

    def set_weight(self, w: float) -> None:
        self.slider.setValue(round(w * 100))

    def set_text(self, text: str, submit: bool = True) -> None:
        self.field.setText(text)
        if submit:
            self.submit_now()

    def submit_now(self) -> None:
        self.debounce.stop()
        self.query_changed.emit()

    def clear(self) -> None:
        self.debounce.stop()
        blocked = self.well.blockSignals(True)
        self.well.clear()
        self.well.blockSignals(blocked)
        self._show_reference(None)
        self.field.clear()
        self.query_changed.emit()

    def _show_reference(self, ref: Reference | None) -> None:
        if ref is None:
            self.field.setPlaceholderText(PLACEHOLDER_TEXT)
            self.balance_row.hide()
        else:
            self.field.setPlaceholderText(PLACEHOLDER_CHANGE)
            self._say_reference()
            self.balance_row.show()

    def _say_reference(self) -> None:
        """The line under the field: the photo alone, or changed by the words typed (only then is there a
        balance between the two to move)."""
        ref = self.well.reference
        if ref is None:
            return
        words = bool(self.field.text().strip())
        name = bidi_safe(ref.name)
        self.ref_caption.setText(
            f"Like “{name}”, changed as the text says:" if words else f"Photos like “{name}”"
        )
        for x in (self.slider, *self.balance_ends):
            x.setEnabled(words)

    def _reference_changed(self, ref: Reference | None) -> None:
        self._show_reference(ref)
        self.submit_now()
