"""The viewer in the real window: V or a double-click opens the current photo large, Left/Right go through the
results (the grid follows), Z switches fit / 100 %, I the details, F full screen, the actions act on the
shown photo, Esc closes it without clearing the search; ``?`` lists every shortcut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from models.tools.shapes import make_library
from tests.gui.conftest import prepare_library, wait_results


def window(make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path) -> Any:
    make_library(tmp_path / "photos", 10, seed=6)
    return make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))


def test_the_viewer_opens_large_and_the_arrow_keys_move_through_the_results(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    w = window(make_window, data_dir, tiny_model, tmp_path)
    wait_results(qtbot, w)
    w.view.setFocus()
    w.view.setCurrentIndex(w.model.index(0))
    qtbot.keyClick(w.view, Qt.Key.Key_Space)  # Space (or V) opens the photo large; Space closes it again
    v = w.viewer
    assert v.isVisible() and v.hasFocus() and v.row == 0
    qtbot.keyClick(v, Qt.Key.Key_Space)
    assert not v.isVisible() and w.view.hasFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_V)
    assert v.isVisible() and v.hasFocus() and v.row == 0
    assert v.geometry() == w.rect()  # over the whole window
    first = w.model.result(0).path
    qtbot.waitUntil(lambda: v.loaded_path == first, timeout=10000)
    full = v.canvas.image
    f = w.model.result(0).file
    assert (full.width(), full.height()) == (f.width, f.height)  # decoded whole, for 100 %
    target = v.canvas.target()
    assert target.width() <= v.canvas.width() + 0.5 and target.height() <= v.canvas.height() + 0.5
    assert abs(target.width() / target.height() - f.width / f.height) < 0.01  # fitted, shape kept

    qtbot.keyClick(v, Qt.Key.Key_Right)
    assert v.row == 1 and w.view.currentIndex().row() == 1  # the grid follows
    second = w.model.result(1).path
    qtbot.waitUntil(lambda: v.loaded_path == second, timeout=10000)
    qtbot.keyClick(v, Qt.Key.Key_Right)
    qtbot.keyClick(v, Qt.Key.Key_Left)
    assert v.row == 1 and v.path == second
    qtbot.keyClick(v, Qt.Key.Key_Left)
    qtbot.keyClick(v, Qt.Key.Key_Left)  # no further than the first
    assert v.row == 0 and not v.buttons["previous"].isEnabled()

    qtbot.keyClick(v, Qt.Key.Key_Z)
    assert v.actual_size
    dpr = v.canvas.devicePixelRatioF()
    assert abs(v.canvas.target().width() - v.canvas.image.width() / dpr) < 0.5  # one pixel per pixel
    qtbot.keyClick(v, Qt.Key.Key_Z)
    assert not v.actual_size
    qtbot.keyClick(v, Qt.Key.Key_I)
    assert v.details.isVisible() and first in v.details.text()
    qtbot.keyClick(v, Qt.Key.Key_I)
    assert v.details.isHidden()
    qtbot.keyClick(v, Qt.Key.Key_F)
    assert w.windowState() & Qt.WindowState.WindowFullScreen
    qtbot.keyClick(v, Qt.Key.Key_F)
    assert not w.windowState() & Qt.WindowState.WindowFullScreen
    qtbot.keyClick(v, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == first

    cleared: list[bool] = []
    w.keys.act_escape.triggered.connect(lambda: cleared.append(True))
    qtbot.keyClick(v, Qt.Key.Key_Escape)
    assert not v.isVisible() and not cleared  # Esc closed the viewer only
    assert w.view.hasFocus() and w.view.currentIndex().row() == 0


def test_double_click_opens_the_viewer_and_its_actions_act_on_the_photo(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    w = window(make_window, data_dir, tiny_model, tmp_path)
    wait_results(qtbot, w)
    rect = w.view.visualRect(w.model.index(2))
    vp = w.view.viewport()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=rect.center())  # a double click's first press
    qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=rect.center())
    v = w.viewer
    assert v.isVisible() and v.row == 2
    path = w.model.result(2).path
    for name, tip in (("open", "Return"), ("similar", "S"), ("reference", "R"), ("copy", "Ctrl+C")):
        b = v.buttons[name]
        assert not b.icon().isNull() and b.accessibleName() and f"({tip})" in b.toolTip()
    qtbot.keyClick(v, Qt.Key.Key_S)  # find similar: the viewer closes and the search runs
    assert not v.isVisible()
    wait_results(qtbot, w)
    assert w.search.calls[-1].kind == "similar" and w.search.calls[-1].image == path


def test_question_mark_lists_every_shortcut(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    from photosearch.gui.help_dialog import all_shortcuts
    from photosearch.gui.viewer import ACTIONS

    w = window(make_window, data_dir, tiny_model, tmp_path)
    wait_results(qtbot, w)
    w.view.setFocus()
    qtbot.keyClicks(w.view, "?")
    qtbot.waitUntil(
        lambda: getattr(w, "shortcuts_dialog", None) is not None and w.shortcuts_dialog.isVisible()
    )
    text = w.shortcuts_dialog.text.text()
    for _section, rows in all_shortcuts():
        for _keys, what in rows:
            assert what.replace("&", "&amp;") in text
    assert all(a.text in text for a in ACTIONS)
    assert "Ctrl+F" in text and "Move through the results" in text


def test_the_preview_photo_opens_the_viewer(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    w = window(make_window, data_dir, tiny_model, tmp_path)
    wait_results(qtbot, w)
    w.actions_.show_preview(3)
    qtbot.mouseClick(w.preview.image, Qt.MouseButton.LeftButton)
    assert w.viewer.isVisible() and w.viewer.row == 3 and w.viewer.path == w.model.result(3).path
