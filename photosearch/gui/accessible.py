"""What a screen reader hears in the results grid. The grid paints its photos itself (``JustifiedView`` is a
``QAbstractItemView`` that Qt's accessibility exposes as a scroll area, not photo by photo), so the grid's
accessible name follows the current photo: "Photos — 3: beach.jpg, a good match". A change of the focused
widget's name is what screen readers read out as the keyboard moves."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QModelIndex, QObject

GRID_NAME = "Photos"


def describe(model: Any, row: int) -> str:
    """One result in words: its place in the list, its file name, and how it matched."""
    if not 0 <= row < model.rowCount():
        return ""
    r = model.result(row)
    words = f"{row + 1}: {os.path.basename(r.path)}"
    if model.kind != "browse":
        words += ", a good match" if r.passed else ", a weak match"
    burst = model.burst_info(row)
    if burst is not None:
        words += (
            f", shot {burst.shot + 1} of a burst of {burst.size}"
            if burst.shot
            else f", a burst of {burst.size}"
        )
    return words


class CurrentPhotoName(QObject):
    """Keeps ``view``'s accessible name on its current photo (and back to "Photos" when there is none)."""

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.view = view
        view.selectionModel().currentChanged.connect(self._current_changed)
        view.model().modelReset.connect(lambda: self._current_changed(view.currentIndex(), QModelIndex()))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        words = describe(self.view.model(), current.row()) if current.isValid() else ""
        name = f"{GRID_NAME} — {words}" if words else GRID_NAME
        self.view.setAccessibleName(name)  # Qt sends the accessibility NameChanged event itself
