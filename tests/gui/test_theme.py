"""Light and dark: the window follows the system's colour scheme live, and text keeps a contrast of at least
4.5:1 in both themes — computed from the palette and the style sheet together, and from rendered pixels."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from models.tools.shapes import make_library
from photosearch.gui.resources import style_sheet
from photosearch.gui.theme import ThemeFollower, is_dark, palette_for
from tests.gui.conftest import prepare_library, wait_results

Role = QPalette.ColorRole
ROOT = Path(__file__).resolve().parents[2]


def luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# text roles and the backgrounds they are drawn on (the grid's headers and the divider: Text on Base; the
# scrubber's years: WindowText on Window; a selected tile's check mark: HighlightedText on Highlight)
PAIRS = [
    (Role.Text, Role.Base),
    (Role.WindowText, Role.Window),
    (Role.ButtonText, Role.Button),
    (Role.HighlightedText, Role.Highlight),
    (Role.PlaceholderText, Role.Base),
    (Role.PlaceholderText, Role.Window),
    (Role.ToolTipText, Role.ToolTipBase),
    (Role.Link, Role.Base),
    (Role.ButtonText, Role.Window),  # the icons of the tool buttons (drawn in ButtonText, auto-raised)
]


def role_named(name: str) -> QPalette.ColorRole:
    camel = "".join(part.capitalize() for part in name.split("-"))
    return getattr(Role, camel if camel != "Placeholdertext" else "PlaceholderText")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_contrast_from_the_palette_and_the_style_sheet(dark: bool) -> None:
    pal = palette_for(dark)
    found = []
    for fg, bg in PAIRS:
        ratio = contrast(pal.color(fg), pal.color(bg))
        found.append((fg.name, bg.name, round(ratio, 2)))
        assert ratio >= 4.5, found[-1]
    # borders (text fields, chips, the divider) are not text: ≥ 3:1 (WCAG 1.4.11)
    for bg in (Role.Window, Role.Base):
        assert contrast(pal.color(Role.Mid), pal.color(bg)) >= 3.0, bg.name
    # every text colour the style sheet sets, on the window and on a text field's base
    for name in re.findall(r"(?<![-\w])color:\s*palette\(([\w-]+)\)", style_sheet()):
        for bg in (Role.Window, Role.Base):
            ratio = contrast(pal.color(role_named(name)), pal.color(bg))
            assert ratio >= 4.5, (name, bg.name, ratio)
    print("dark" if dark else "light", found)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_icon_contrast_from_rendered_pixels(qapp: Any, dark: bool) -> None:
    """Every icon, drawn as the app draws it (in the palette's button text colour) on the window's colour:
    its strokes keep ≥ 4.5:1 against the background, measured on the rendered pixels."""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage, QPainter

    from photosearch.gui.icons import icon
    from photosearch.gui.resources import resource_dir
    from photosearch.gui.viewer import BACKDROP, FOREGROUND

    app = QApplication.instance()
    before = app.palette()
    app.setPalette(palette_for(dark))
    try:
        bg = app.palette().color(Role.Window)
        names = sorted(p.stem for p in (resource_dir() / "icons").glob("*.svg"))
        assert len(names) >= 20
        for name in names:
            img = QImage(48, 48, QImage.Format.Format_RGB32)
            img.fill(bg)
            p = QPainter(img)
            icon(name).paint(p, 0, 0, 48, 48)
            p.end()
            best = max(contrast(QColor(img.pixel(x, y)), bg) for x in range(48) for y in range(48))
            assert best >= 4.5, (name, best)
        assert not icon("settings").pixmap(QSize(32, 32)).isNull()
    finally:
        app.setPalette(before)
    assert contrast(FOREGROUND, BACKDROP) >= 4.5  # the viewer's own colours


def test_the_window_follows_a_scheme_change_live(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    make_library(tmp_path / "photos", 8, seed=2)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    hints = QGuiApplication.styleHints()
    app = QApplication.instance()
    assert isinstance(w.theme, ThemeFollower)
    try:
        # the platform's message (the offscreen test platform has no scheme of its own to switch)
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert w.theme.dark and is_dark(app.palette())
        qtbot.waitUntil(lambda: is_dark(w.view.palette()) and is_dark(w.query_bar.field.palette()))
        img = w.view.viewport().grab().toImage()
        assert QColor(img.pixel(img.width() - 3, img.height() - 3)).lightness() < 80  # painted dark
        bar = w.statusBar()
        assert contrast(bar.palette().color(Role.WindowText), bar.palette().color(Role.Window)) >= 4.5
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert not w.theme.dark
        qtbot.waitUntil(lambda: not is_dark(w.view.palette()))
        img = w.view.viewport().grab().toImage()
        assert QColor(img.pixel(img.width() - 3, img.height() - 3)).lightness() > 200
    finally:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)


SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication
    from photosearch.gui.theme import ThemeFollower, is_dark
    app = QApplication(sys.argv)
    theme = ThemeFollower.install(app)
    app.styleHints().setColorScheme(Qt.ColorScheme.Dark)
    app.processEvents()
    dark = is_dark(app.palette())
    app.styleHints().setColorScheme(Qt.ColorScheme.Light)
    app.processEvents()
    print(app.styleHints().colorScheme().name, dark, is_dark(app.palette()))
    """
)


@pytest.mark.skipif(not shutil.which("xvfb-run"), reason="needs xvfb-run (an X server with a desktop theme)")
def test_qt_colour_scheme_request_switches_the_palette_under_x() -> None:
    """With a platform that honours ``QStyleHints.setColorScheme`` (X11 with the GNOME platform theme), the
    request itself switches the app between dark and light."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "QT_QPA_PLATFORM": "xcb",
        "QT_QPA_PLATFORMTHEME": "gnome",
        "HOME": "/tmp",
    }
    out = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["Light", "True", "False"], out.stdout


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_viewer_is_dark_with_readable_text_in_both_themes(qtbot: Any, dark: bool) -> None:
    from PySide6.QtWidgets import QWidget

    from photosearch.gui.results import ResultsModel
    from photosearch.gui.viewer import BACKDROP, PhotoViewer

    app = QApplication.instance()
    theme = ThemeFollower.install(app)
    try:
        theme.follow(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
        host = QWidget()
        qtbot.addWidget(host)
        host.resize(600, 400)
        v = PhotoViewer(host, ResultsModel(None))
        v.title.setText("IMG_0001.jpg · 1 of 1")
        v.setGeometry(host.rect())
        host.show()
        v.show()
        qtbot.waitExposed(host)
        img = v.grab().toImage()
        bg = QColor(img.pixel(300, 300))
        assert bg == BACKDROP
        best = max(contrast(QColor(img.pixel(x, y)), bg) for x in range(120) for y in range(30))
        assert best >= 4.5  # the title, rendered
    finally:
        theme.follow(Qt.ColorScheme.Light)
