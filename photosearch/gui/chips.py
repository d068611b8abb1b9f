"""How the query line was understood, as removable chips: "📍 Italy ✕ · 📅 Jun–Aug 2025 ✕ · 📷 Nikon ✕".

Fed with ``photosearch.app.understand.Understood.chips()`` — (kind, label) pairs; a click on a chip removes it
and says which (``removed``), so the window can run the query again without that filter.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from photosearch.gui.icons import set_icon

ICONS = {
    "place": "📍",
    "time": "📅",
    "camera": "📷",
    "like": "👍",
    "unlike": "👎",
    "several": "🖼",
}  # in the chips' text (what a screen reader says)
ICON_FILES = {
    "place": "place",
    "time": "calendar",
    "camera": "camera",
    "like": "thumb-up",
    "unlike": "thumb-down",
    "several": "similar",
}  # drawn: fonts may lack the emoji


class QueryChips(QWidget):
    removed = Signal(str, str)  # kind, label

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._chips: list[tuple[str, str]] = []
        self.setVisible(False)

    def set_chips(self, chips: list[tuple[str, str]]) -> None:
        self._chips = list(chips)
        self._rebuild()

    def chips(self) -> list[tuple[str, str]]:
        return list(self._chips)

    def buttons(self) -> list[QToolButton]:
        return [w for w in self.findChildren(QToolButton) if w.parent() is self]

    def text(self) -> str:
        """The chips as one line, the way they read: "📍 Italy ✕ · 📅 Jun–Aug 2025 ✕"."""
        return " · ".join(chip_text(k, v) for k, v in self._chips)

    def _rebuild(self) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.setParent(None)
                w.deleteLater()
        for i, (kind, label) in enumerate(self._chips):
            if i:
                self._layout.addWidget(QLabel("·", self))
            b = QToolButton(self)
            b.setObjectName("FilterChip")  # drawn as the filter bar's chips are (a pill)
            b.setText(f"{label} ✕")
            if kind in ICON_FILES:
                set_icon(b, ICON_FILES[kind])
                b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setToolTip(f"Remove the {kind} filter")
            b.setAccessibleName(f"{kind} filter {label}, click to remove")
            b.clicked.connect(lambda _=False, k=kind, v=label: self._remove(k, v))
            self._layout.addWidget(b)
        self._layout.addStretch(1)
        self.setVisible(bool(self._chips))

    def _remove(self, kind: str, label: str) -> None:
        self._chips = [c for c in self._chips if c != (kind, label)]
        self._rebuild()
        self.removed.emit(kind, label)


def chip_text(kind: str, label: str) -> str:
    return f"{ICONS.get(kind, '')} {label} ✕".strip()
