"""A plain-words state of the results area (empty library, no matches, errors) with one obvious next step."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from photosearch.terminal import bidi_safe


class MessagePanel(QWidget):
    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        self.title = QLabel("", self)
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.hint = QLabel("", self)
        self.hint.setObjectName("EmptyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.button = QPushButton("", self)
        self.button.setObjectName("BigButton")
        self.button.clicked.connect(self.action_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.button)
        row.addStretch(1)
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        lay.addLayout(row)
        lay.addStretch(3)

    def show_message(self, title: str, hint: str = "", button: str = "") -> None:
        self.title.setText(bidi_safe(title))  # a query or a file name in it can't reorder the sentence
        self.hint.setText(bidi_safe(hint))
        self.hint.setVisible(bool(hint))
        self.button.setText(button)
        self.button.setVisible(bool(button))
