"""``?`` (or F1): every keyboard shortcut, in one list — the window's, the results grid's and the viewer's."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from photosearch.gui.viewer import ACTIONS

WINDOW_KEYS = (
    ("Ctrl+F", "Go to the search field"),
    ("Esc", "Close the preview or the viewer; else clear the search"),
    ("Down", "From the search field into the results (or to the button under a message)"),
    ("Ctrl+V", "Paste an image to search by"),
    ("Tab, then Space", "From the search field to the photo box: choose a photo file to search by"),
    ("Ctrl+O", "Add a folder"),
    ("?", "This list of shortcuts (also F1)"),
)
GRID_KEYS = (
    ("Left, Right, Up, Down", "Move through the results"),
    ("Shift+arrows, Shift+click", "Select a run of photos"),
    ("Ctrl+click", "Add a photo to the selection, or take it out"),
    ("Ctrl+A", "Select all"),
    ("Home, End, PgUp, PgDown", "First, last, a screen up or down"),
    ("Space, V", "View large (also double-click); Space again closes it"),
    ("P", "Preview beside the results: details, words in the photo, place"),
    ("Return", "Open in another app"),
    ("L, D", "👍 more like this, 👎 less like this (steers the search at once)"),
    ("Ctrl+Z", "Take back the last 👍 or 👎"),
    ("M", "More like these: search by the selected photos together"),
    ("B", "Show all shots of a burst, or stack them again"),
    ("Ctrl++, Ctrl+-", "Larger or smaller photos (also Ctrl+wheel)"),
)


def native(keys: str) -> str:
    if "," in keys or keys == "?":
        return keys
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText) or keys


def all_shortcuts() -> list[tuple[str, list[tuple[str, str]]]]:
    """(section, [(keys, what they do)]) — what the dialog lists."""
    viewer = [(native(a.keys), a.text) for a in ACTIONS]
    return [
        ("Window", [(native(k), t) for k, t in WINDOW_KEYS]),
        ("Results", [(native(k), t) for k, t in GRID_KEYS]),
        ("Viewer", viewer),
    ]


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;")


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        lay = QVBoxLayout(self)
        html = ["<table cellspacing='0' cellpadding='3'>"]
        for section, rows in all_shortcuts():  # one table: the keys line up across the sections
            html.append(f"<tr><td colspan='2'><h3>{_esc(section)}</h3></td></tr>")
            html += [f"<tr><td><b>{_esc(k)}</b>&nbsp;&nbsp;</td><td>{_esc(t)}</td></tr>" for k, t in rows]
        html.append("</table>")
        self.text = QLabel("".join(html), self)
        self.text.setAccessibleName("Keyboard shortcuts")
        area = QScrollArea(self)
        area.setAccessibleName("Keyboard shortcuts")  # Tab's first stop: not a nameless 'scroll area'
        area.setWidget(self.text)
        area.setWidgetResizable(True)
        lay.addWidget(area)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        # as wide as the table (its lines don't wrap), within the screen: no scrolling sideways to read one
        m = lay.contentsMargins()
        need = (
            self.text.sizeHint().width()
            + area.verticalScrollBar().sizeHint().width()
            + 2 * area.frameWidth()
            + m.left()
            + m.right()
        )
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(min(max(560, need), int(screen.width() * 0.95)), min(760, int(screen.height() * 0.95)))
