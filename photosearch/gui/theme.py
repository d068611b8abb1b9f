"""Light or dark, as the system says, live: the window follows ``QStyleHints.colorSchemeChanged`` and sets
the app's own light or dark palette (colours chosen so that text keeps a contrast of at least 4.5:1, which a
platform's palette doesn't promise). With no scheme reported, the platform palette's lightness decides. The
style sheet only refers to palette roles, so it follows too."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# The keyboard's place on controls whose style draws none: a ring in the highlight colour (a transparent ring
# of the same width without the focus, so nothing moves).
SLIDER_FOCUS = (
    "QSlider { border: 2px solid transparent; border-radius: 4px; } "
    "QSlider:focus { border-color: palette(highlight); }"
)
WELL_FOCUS = "QFrame#ReferenceWell:focus { border: 2px solid palette(highlight); border-radius: 8px; }"

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

# (role, light, dark): chosen so text on its background keeps ≥ 4.5:1 (tests/gui/test_theme.py computes it)
COLOURS: tuple[tuple[QPalette.ColorRole, str, str], ...] = (
    (Role.Window, "#f3f3f3", "#202124"),
    (Role.WindowText, "#1b1b1b", "#e8eaed"),
    (Role.Base, "#ffffff", "#18191b"),
    (Role.AlternateBase, "#f0f0f0", "#26272a"),
    (Role.Text, "#1b1b1b", "#e8eaed"),
    (Role.PlaceholderText, "#5f6368", "#9aa0a6"),
    (Role.Button, "#ececec", "#303134"),
    (Role.ButtonText, "#1b1b1b", "#e8eaed"),
    (Role.BrightText, "#ffffff", "#ffffff"),
    (Role.Highlight, "#1a61c7", "#8ab4f8"),
    (Role.HighlightedText, "#ffffff", "#102033"),
    (Role.Link, "#1a61c7", "#8ab4f8"),
    (Role.ToolTipBase, "#fffff0", "#303134"),
    (Role.ToolTipText, "#1b1b1b", "#e8eaed"),
    (Role.Light, "#ffffff", "#4a4c50"),
    (Role.Midlight, "#e3e3e3", "#3c3d41"),
    (Role.Mid, "#8a8a8a", "#7c8187"),  # borders: ≥ 3:1 on the window (non-text contrast)
    (Role.Dark, "#7a7a7a", "#111214"),
    (Role.Shadow, "#444444", "#000000"),
)


def palette_for(dark: bool) -> QPalette:
    pal = QPalette()
    for role, light_c, dark_c in COLOURS:
        pal.setColor(role, QColor(dark_c if dark else light_c))
    muted = QColor("#80868b" if dark else "#6b6b6b")
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        pal.setColor(Group.Disabled, role, muted)
    return pal


def is_dark(pal: QPalette) -> bool:
    return pal.color(Role.Window).lightness() < 128


class ThemeFollower(QObject):
    """Keeps the application's palette in step with the system's colour scheme (one per application)."""

    changed = Signal(bool)  # dark

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        scheme = app.styleHints().colorScheme()
        self.dark = (
            scheme == Qt.ColorScheme.Dark if scheme != Qt.ColorScheme.Unknown else is_dark(app.palette())
        )
        app.styleHints().colorSchemeChanged.connect(self.follow)
        self._apply()

    @staticmethod
    def install(app: QApplication) -> ThemeFollower:
        found = app.findChild(ThemeFollower)
        return found if isinstance(found, ThemeFollower) else ThemeFollower(app)

    def follow(self, scheme: Qt.ColorScheme) -> None:
        if scheme == Qt.ColorScheme.Unknown:
            return
        self.dark = scheme == Qt.ColorScheme.Dark
        self._apply()

    def _apply(self) -> None:
        self.app.setPalette(palette_for(self.dark))
        self.app.setStyleSheet(self.app.styleSheet())  # re-resolve palette() in the style sheet
        self.changed.emit(self.dark)
