"""The larger preview of one result: the photo, its path, date taken, size and dimensions, and the actions."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImageReader, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def describe(file: Any) -> dict[str, str]:
    taken = dt.datetime.fromtimestamp(file.taken_at).strftime("%Y-%m-%d %H:%M") if file.taken_at else "unknown"
    dims = f"{file.width} × {file.height}" if file.width and file.height else "unknown"
    return {"Path": file.path, "Date taken": taken, "Size": human_size(file.size), "Dimensions": dims}


class PreviewDialog(QDialog):
    open_requested = Signal(str)
    show_requested = Signal(str)
    similar_requested = Signal(str)
    reference_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self.resize(820, 680)
        self.path = ""
        lay = QVBoxLayout(self)
        self.image = QLabel(self)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(QSize(320, 240))
        lay.addWidget(self.image, 1)
        self.meta = QLabel(self)
        self.meta.setObjectName("PreviewMeta")
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta.setWordWrap(True)
        lay.addWidget(self.meta)
        row = QHBoxLayout()
        for text, sig in (("Open", self.open_requested), ("Show in folder", self.show_requested),
                          ("Find similar", self.similar_requested), ("Use as reference", self.reference_requested)):
            b = QPushButton(text, self)
            b.clicked.connect(lambda _c=False, s=sig: s.emit(self.path))
            row.addWidget(b)
        row.addStretch(1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        box.rejected.connect(self.reject)
        row.addWidget(box)
        lay.addLayout(row)
        self.info: dict[str, str] = {}

    def show_result(self, result: Any) -> None:
        self.path = result.path
        self.info = describe(result.file)
        self.setWindowTitle(os.path.basename(result.path))
        self.meta.setText("<br>".join(f"<b>{k}:</b> {v.replace('&', '&amp;').replace('<', '&lt;')}"
                                      for k, v in self.info.items()))
        reader = QImageReader(result.path)
        reader.setAutoTransform(True)
        size = reader.size()
        box = QSize(1600, 1600)
        if size.isValid() and (size.width() > box.width() or size.height() > box.height()):
            reader.setScaledSize(size.scaled(box, Qt.AspectRatioMode.KeepAspectRatio))
        img = reader.read()
        self._pixmap = QPixmap.fromImage(img) if not img.isNull() else QPixmap()
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            self.image.setText("This photo can't be shown here.")
            return
        dpr = self.devicePixelRatioF()
        pm = self._pixmap.scaled(self.image.size() * dpr, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        pm.setDevicePixelRatio(dpr)
        self.image.setPixmap(pm)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        if hasattr(self, "_pixmap"):
            self._fit()
