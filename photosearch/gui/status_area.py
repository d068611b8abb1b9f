"""The status bar: a line of text, the indexing progress bar and pause button, the skipped-files count, the
read-only note and the thumbnail size slider. Progress is put in words by ``photosearch.progress.describe``
(the CLI's words too)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QSlider, QToolButton

from photosearch.gui.elided import ElidedLabel
from photosearch.gui.icons import set_icon
from photosearch.gui.theme import SLIDER_FOCUS
from photosearch.progress import Progress, ProgressPhase, describe, plural
from photosearch.terminal import bidi_safe


class StatusArea(QObject):
    pause_toggled = Signal(bool)
    skipped_clicked = Signal()

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        sb = window.statusBar()
        # the line and the count give up width first (an 800 px window), the line keeping the most
        self.label = ElidedLabel("", window, min_chars=24)
        self.progress_bar = QProgressBar(window)
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.pause_button = QToolButton(window)
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self._show_paused(False)
        self.pause_button.hide()
        self.skipped_button = QToolButton(window)
        self.skipped_button.setAutoRaise(True)
        self.skipped_button.setToolTip("Files that could not be indexed, with the reasons")
        self.skipped_button.clicked.connect(self.skipped_clicked)
        self.skipped_button.hide()
        self.count_label = ElidedLabel(
            "", window, min_chars=12
        )  # the current results: how many, and how many are close
        self.count_label.setToolTip("Close matches are shown first; weaker matches follow below a line")
        self.readonly_label = QLabel(
            "Read-only: another PhotoSearch is indexing this library; search still works", window
        )
        self.readonly_label.hide()
        self.size_slider = QSlider(Qt.Orientation.Horizontal, window)
        self.size_slider.setRange(80, 320)
        self.size_slider.setValue(160)
        self.size_slider.setFixedWidth(110)
        self.size_slider.setToolTip("Photo size (also Ctrl+wheel over the photos)")
        self.size_slider.setAccessibleName("Photo size")
        self.size_slider.setStyleSheet(SLIDER_FOCUS)  # a ring with the focus (Fusion draws none)
        sb.addWidget(self.label, 1)
        sb.addWidget(self.progress_bar)
        sb.addWidget(self.pause_button)
        sb.addPermanentWidget(self.count_label)
        sb.addPermanentWidget(self.readonly_label)
        sb.addPermanentWidget(self.skipped_button)
        size_label = QLabel("Size", window)
        size_label.setBuddy(self.size_slider)
        sb.addPermanentWidget(size_label)
        sb.addPermanentWidget(self.size_slider)
        self.last_progress: Progress | None = None
        self.indexed = 0  # photos that can be found, from the latest library summary

    # -- text ---------------------------------------------------------------------------------------
    def set_count(self, text: str) -> None:
        self.count_label.setText(bidi_safe(text))

    def say(self, text: str) -> None:
        self.label.setText(bidi_safe(text))  # a file name in it can't reorder the sentence

    def text(self) -> str:
        return self.label.text()

    def say_unless_indexing(self, text: str) -> None:
        """Show ``text`` unless indexing progress is on the line (it has priority)."""
        if not self.indexing_busy:
            self.label.setText(bidi_safe(text))

    @property
    def indexing_busy(self) -> bool:
        p = self.last_progress
        return p is not None and p.stage in (
            ProgressPhase.SCANNING,
            ProgressPhase.EMBEDDING,
            ProgressPhase.READING_TEXT,
        )

    # -- indexing -----------------------------------------------------------------------------------
    def show_progress(self, p: Progress) -> None:
        self.last_progress = p
        active = p.stage.active
        self.progress_bar.setVisible(active)
        self.pause_button.setVisible(active)
        if p.stage in (ProgressPhase.EMBEDDING, ProgressPhase.READING_TEXT) and p.total:
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
        elif active:
            self.progress_bar.setRange(0, 0)
        text = describe(p)
        if p.stage.finished:
            self.progress_bar.setRange(0, max(p.total, 1))
            self.progress_bar.setValue(max(p.total, 1))
            text = self._indexed_text(p)
        if text:
            self.label.setText(text)

    def _indexed_text(self, p: Progress) -> str:
        return f"{plural(self.indexed, 'photo')} indexed" + (f" · {p.done:,} new" if p.done else "")

    def set_indexed(self, n: int) -> None:
        """The library summary changed: keep a finished-indexing line's count current."""
        self.indexed = n
        p = self.last_progress
        if p is not None and p.stage.finished:
            self.label.setText(self._indexed_text(p))

    def set_skipped(self, n: int) -> None:
        self.skipped_button.setText(f"⚠ {n:,} skipped")
        self.skipped_button.setVisible(n > 0)

    def _pause_toggled(self, paused: bool) -> None:
        self._show_paused(paused)
        if self.last_progress is not None:
            self.last_progress.paused = paused
            self.label.setText(describe(self.last_progress))
        self.pause_toggled.emit(paused)

    def _show_paused(self, paused: bool) -> None:
        set_icon(self.pause_button, "play" if paused else "pause")
        self.pause_button.setAccessibleName("Resume indexing" if paused else "Pause indexing")
        self.pause_button.setToolTip("Resume indexing" if paused else "Pause indexing")
