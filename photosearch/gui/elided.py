"""A one-line label that gives up width instead of taking it: a text too long for its room ends (or is cut in
the middle) with "…", and its tooltip then holds the whole text. A plain QLabel asks for its whole text's
width as its minimum, so a long file name or sentence widened the window past the screen or clipped the
widgets beside it."""

from __future__ import annotations

import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_CHARS = 6  # the least it shrinks to, in average characters (unless told otherwise)


class ElidedLabel(QLabel):
    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        min_chars: int = MIN_CHARS,
    ) -> None:
        super().__init__(text, parent)
        self.mode = mode
        self.min_chars = min_chars
        self._hint = ""  # a tooltip of its own, kept below the whole text when elided
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setWordWrap(False)
        self._update_tip()

    # -- what it says -------------------------------------------------------------------------------
    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tip()

    def setToolTip(self, tip: str) -> None:
        self._hint = tip
        self._update_tip()

    def shown_text(self) -> str:
        """The text as drawn: the whole text, or its elided form."""
        return self.fontMetrics().elidedText(self.text(), self.mode, max(0, self.contentsRect().width()))

    @property
    def elided(self) -> bool:
        return self.shown_text() != self.text()

    def _update_tip(self) -> None:
        tip = self.text() if self.text() and self.elided else ""
        super().setToolTip("\n\n".join(t for t in (tip, self._hint) if t))

    # -- size and drawing ---------------------------------------------------------------------------
    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        m = self.contentsMargins()
        room = self.min_chars * self.fontMetrics().averageCharWidth() + m.left() + m.right()
        return QSize(min(hint.width(), room), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        self.style().drawItemText(
            p,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )
        p.end()


def fit_path(path: str, metrics: QFontMetrics, width: int) -> str:
    """``path`` with each part (between separators) too wide for ``width`` cut in its middle with '…'. A
    word-wrapped label breaks a path after a separator, never inside a part: a long file name ran past the
    label's edge."""
    parts = re.split(r"([/\\])", path)
    return "".join(
        p
        if metrics.horizontalAdvance(p) <= width
        else metrics.elidedText(p, Qt.TextElideMode.ElideMiddle, width)
        for p in parts
    )


def details_html(info: dict[str, str], label: QLabel, stacked: bool = False) -> str:
    """The details of a photo (``preview.describe``) as rich text for ``label``: 'Name: value' lines, or with
    ``stacked`` each name in bold above its value; the path fitted to the label's width (``fit_path``), and
    the whole path in the label's tooltip when it was cut."""
    room = max(40, label.contentsRect().width() - 4)
    bold = label.font()
    bold.setBold(True)
    lines = []
    tip = ""
    for k, v in info.items():
        if k == "Path":
            fitted = fit_path(v, QFontMetrics(bold), room)  # measured in bold: the widest its letters can be
            tip = v if fitted != v else ""
            v = fitted
        v = v.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>")
        lines.append(f"<b>{k}</b><br>{v}" if stacked else f"<b>{k}:</b> {v}")
    label.setToolTip(tip)
    return ("<br><br>" if stacked else "<br>").join(lines)
