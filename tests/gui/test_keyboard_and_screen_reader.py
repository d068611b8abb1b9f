"""The window for a keyboard-only and a screen-reader user (found by the third audit): what Qt's accessibility
interface — what a screen reader reads — says of the search field, the photo box and the results grid, and
that a photo to search by can be chosen without a mouse. Real window, real catalog and index (pytest-qt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication

from models.tools.shapes import make_library
from photosearch.gui.help_dialog import all_shortcuts
from tests.gui.conftest import prepare_library, wait_results


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    make_library(folder, 12, seed=5)
    return folder


@pytest.fixture
def indexed(data_dir: Path, tiny_model: Path, photos: Path):
    return prepare_library(data_dir, model=tiny_model, photos=photos, index=True)


def spoken_name(widget: Any) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    assert iface is not None
    return iface.text(QAccessible.Text.Name)


def focus_window(qtbot: Any, w: Any) -> None:
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)


def test_the_search_field_has_a_name_a_screen_reader_reads(
    qtbot: Any, make_window: Any, indexed: Any
) -> None:
    w = make_window(indexed)
    assert spoken_name(w.query_bar.field) == "Search"  # before: '' (the placeholder is only a hint)
    assert spoken_name(w.query_bar.slider) != ""
    assert spoken_name(w.query_bar.well.clear_button) == "Clear the reference photo"  # not '×'


def test_tab_reaches_the_photo_box_and_space_chooses_a_photo_to_search_by(
    qtbot: Any, make_window: Any, indexed: Any, photos: Path
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    focus_window(qtbot, w)
    well = w.query_bar.well
    chosen = str(photos / "img_00003.png")
    asked: list[bool] = []
    well.choose_file = lambda: asked.append(True) or chosen  # the native file dialog
    w.query_bar.field.setFocus()
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is well  # before: Tab went from the field to the settings button
    qtbot.keyClick(well, Qt.Key.Key_Space)
    assert asked == [True]
    assert well.reference is not None and well.reference.path == chosen
    assert spoken_name(well) == "Search by photo: img_00003.png"
    wait_results(qtbot, w)
    assert w.search.calls[-1].kind == "image"
    qtbot.keyClick(well, Qt.Key.Key_Delete)
    assert well.reference is None and spoken_name(well) == "Search by photo"
    listed = [keys for _section, rows in all_shortcuts() for keys, _t in rows]
    assert "Tab, then Space" in listed  # the shortcuts list says how


def test_the_grid_names_the_photo_the_keyboard_is_on(qtbot: Any, make_window: Any, indexed: Any) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    w.query_bar.set_text("a purple cross")
    wait_results(qtbot, w)
    w.query_bar.field.setFocus()
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Down)
    first = w.model.result(0)
    name = spoken_name(w.view)
    assert name.startswith("Photos — 1: ") and Path(first.path).name in name  # before: just 'Photos'
    assert name.endswith("a good match" if first.passed else "a weak match")
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    assert spoken_name(w.view).startswith(f"Photos — 2: {Path(w.model.result(1).path).name}")
    assert w.model.data(w.model.index(1), Qt.ItemDataRole.AccessibleTextRole).startswith("2: ")
    w.query_bar.clear()  # a new list: no current photo until the keyboard goes in again
    wait_results(qtbot, w)
    assert spoken_name(w.view) in ("Photos", f"Photos — 1: {Path(w.model.result(0).path).name}")


def test_the_keyboard_shortcuts_are_one_visible_button_away(
    qtbot: Any, make_window: Any, indexed: Any
) -> None:
    """Before, the list of shortcuts opened only with ? or F1, keys nothing on the screen mentioned."""
    from photosearch.gui.help_dialog import ShortcutsDialog

    w = make_window(indexed)
    focus_window(qtbot, w)
    button = w.query_bar.help
    assert button.isVisible() and spoken_name(button) == "Keyboard shortcuts" and "F1" in button.toolTip()
    w.query_bar.gear.setFocus()
    qtbot.keyClick(w.query_bar.gear, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is button  # next after the settings button
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: isinstance(w.shortcuts_dialog, ShortcutsDialog) and w.shortcuts_dialog.isVisible()
    )
    w.shortcuts_dialog.reject()


def test_a_bidi_override_in_a_query_or_a_file_name_cannot_reorder_the_windows_words(
    qtbot: Any, make_window: Any, indexed: Any, tmp_path: Path
) -> None:
    """A query (or a file name) holding U+202E RIGHT-TO-LEFT OVERRIDE: before, the window drew 'Nothing close to
    “a‮cross” in 81 photos' as 'Nothing close to “asotohp 18 ni ”ssorc' — its own words reversed by the user's
    text (the command line already escaped it)."""
    w = make_window(indexed)
    wait_results(qtbot, w)
    w.query_bar.set_text("zz\u202ecross " * 200)  # too long: the message quotes its start
    qtbot.waitUntil(lambda: w.message.isVisible() and "too long" in w.message.hint.text())
    shown = w.message.hint.text()
    assert "\u202e" not in shown and "\\u202e" in shown
    odd = tmp_path / "notes\u202etxt.exe"  # not a photo: the status line says so, naming it
    odd.write_text("x")
    w.query_bar.well.set_path(str(odd))
    said = w.status.text()
    assert str(odd.name).replace("\u202e", "\\u202e") in said and "\u202e" not in said


def test_every_control_a_keyboard_reaches_has_a_name(qtbot: Any, make_window: Any, indexed: Any) -> None:
    """What Tab reaches in the window, the folders dialog and the model manager has an accessible name;
    before, the folders dialog's list and the model manager's two tables were read as a nameless 'list' and
    'table'."""
    from PySide6.QtWidgets import QWidget

    w = make_window(indexed)
    wait_results(qtbot, w)
    folders = w.folders.open_folders_dialog()
    manager = w.open_model_manager()
    qtbot.waitUntil(lambda: folders.isVisible() and manager.isVisible())
    for root in (w, folders, manager):
        unnamed = [
            type(x).__name__
            for x in root.findChildren(QWidget)
            if x.isVisible() and x.focusPolicy() != Qt.FocusPolicy.NoFocus and not spoken_name(x)
        ]
        assert unnamed == [], (type(root).__name__, unnamed)
    manager.reject()
    folders.reject()


def test_down_from_the_field_reaches_the_button_under_no_good_matches(
    qtbot: Any, make_window: Any, data_dir: Path, photos: Path
) -> None:
    """'Nothing close to …' with its one next step, 'Show the nearest anyway': before, Down from the search
    field did nothing there (the results it moves into are hidden) and the button was 14 Tabs away."""
    from tests.conftest import SHAPES_MODEL  # calibrated: emoji are no good match for any photo

    w = make_window(prepare_library(data_dir, model=SHAPES_MODEL, photos=photos, index=True))
    wait_results(qtbot, w)
    focus_window(qtbot, w)
    w.query_bar.set_text("🐶🐱")
    wait_results(qtbot, w)
    assert w.stack.currentWidget() is w.message and w.message.button.isVisible()
    w.query_bar.field.setFocus()
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is w.message.button
    qtbot.keyClick(w.message.button, Qt.Key.Key_Space)
    assert w.stack.currentWidget() is w.view and w.model.rowCount() > 0


def test_pasting_a_photos_path_as_text_searches_by_that_photo(
    qtbot: Any, make_window: Any, indexed: Any, photos: Path
) -> None:
    """A photo's path copied as text (a terminal, a file manager's address bar) and pasted into the search
    field: before, the path was searched for as words ('no good matches'), as the command line did."""
    from PySide6.QtGui import QGuiApplication

    w = make_window(indexed)
    wait_results(qtbot, w)
    photo = str(photos / "img_00004.png")
    for text in (photo, "file://" + photo):
        w.query_bar.clear()
        wait_results(qtbot, w)
        QGuiApplication.clipboard().setText(text)
        w.query_bar.field.setFocus()
        qtbot.keyClick(w.query_bar.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert w.query_bar.field.text() == "" and w.query_bar.reference is not None
        assert w.query_bar.reference.path == photo
        wait_results(qtbot, w)
        assert w.search.calls[-1].kind == "image"
    w.query_bar.clear()
    QGuiApplication.clipboard().setText("red circle")  # words stay words
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert w.query_bar.field.text() == "red circle" and w.query_bar.reference is None
