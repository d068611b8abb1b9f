"""Tab follows the window's layout (the audit of issue 20's window): the filter row's controls are reached
left to right, the Bursts switch between the shape filter and "By date" where it sits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import prepare_library, wait_results
from tests.support.photos import make_photos


def test_tab_reaches_the_bursts_switch_where_it_sits_in_the_filter_row(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the Bursts switch (top right, beside "By date") was reached last, after the strictness control
    at the bottom right of the window, because it is added to the filter row after the rest was built."""
    make_photos(tmp_path / "photos", 4)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    side = w.side
    assert (
        side.orientation_combo.x() < w.bursts.button.x() < side.by_date_button.x()
    )  # the row, left to right
    side.orientation_combo.setFocus()
    order = []
    for _ in range(2):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        order.append(QApplication.focusWidget())
    assert order == [w.bursts.button, side.by_date_button]


def test_closing_the_preview_from_the_keyboard_gives_the_focus_back_to_the_photos(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: Tab to the preview's × and Space closed it, and the focus fell to the next control in the chain
    (the status bar's photo size slider): the arrows then moved the slider, not through the photos."""
    make_photos(tmp_path / "photos", 6)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.view.setFocus()
    w.view.setCurrentIndex(w.model.index(2, 0))
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    qtbot.waitUntil(w.preview.isVisible)
    w.preview.close_button.setFocus()
    qtbot.keyClick(w.preview.close_button, Qt.Key.Key_Space)
    assert not w.preview.isVisible()
    assert QApplication.focusWidget() is w.view and w.view.currentIndex().row() == 2


def test_every_control_tab_reaches_in_the_window_shows_that_it_has_the_focus(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Walk the window with Tab; at each stop the control must look different with the focus than without it
    (its region of the real window, grabbed both ways, with the app's own style sheet as ``main.py`` sets it).
    Before: the photo box (its dashed frame), the folder list and the photo size slider looked the same either
    way, so a keyboard user lost their place there."""
    from PySide6.QtCore import QPoint, QRect

    from photosearch.gui.app import create_application

    app = create_application()  # the running QApplication, given the app's style sheet
    make_photos(tmp_path / "photos", 4)
    try:
        w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
        wait_results(qtbot, w)
        w.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
        w.query_bar.field.setFocus()
        stops = []
        for _ in range(40):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            f = QApplication.focusWidget()
            if f is w.query_bar.field:
                break
            stops.append(f)
        assert len(stops) > 10
        unseen = []
        for f in stops:
            rect = QRect(f.mapTo(w, QPoint(0, 0)), f.size()).adjusted(-3, -3, 3, 3)
            f.setFocus()
            with_focus = w.grab(rect).toImage()
            w.query_bar.field.setFocus()  # the focus elsewhere (the field is never one of the stops)
            without = w.grab(rect).toImage()
            if with_focus == without:
                unseen.append(f"{type(f).__name__}:{f.accessibleName()}")
        assert unseen == []
    finally:
        app.setStyleSheet("")  # as the other tests expect it


def test_the_previews_close_button_is_named_for_a_screen_reader(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the preview's close button was read as '×' (its text: 'multiplication sign' to a screen
    reader); it is 'Close the preview' now, like the viewer's buttons are named for what they do."""
    from PySide6.QtGui import QAccessible

    make_photos(tmp_path / "photos", 3)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    w.actions_.show_preview(0)
    qtbot.waitUntil(w.preview.isVisible)
    iface = QAccessible.queryAccessibleInterface(w.preview.close_button)
    assert iface.text(QAccessible.Text.Name) == "Close the preview"


def test_the_strictness_control_is_labelled_for_a_screen_reader(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """On Linux a combo box's accessible name is its current text ('3 · calibrated'); what it is comes from the
    label that labels it. Before, the 'Strictness' label beside it was not tied to it, so a screen reader said
    only '3 · calibrated, combo box'. The label is its buddy now (the 'labelled by' relation)."""
    from PySide6.QtGui import QAccessible

    make_photos(tmp_path / "photos", 2)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    iface = QAccessible.queryAccessibleInterface(w.steer.strictness)
    labels = [
        other.text(QAccessible.Text.Name)
        for other, relation in iface.relations(QAccessible.Relation.Label)
        if other is not None
    ]
    assert "Strictness" in labels


def test_the_model_managers_combo_boxes_are_labelled_for_a_screen_reader(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path
) -> None:
    """The same for the model manager's two combo boxes: before, the search language read only as 'As this
    computer (eng_Latn), combo box' and the text reader's script as 'latin, combo box'."""
    from PySide6.QtGui import QAccessible

    from tests.gui.conftest import wait_listed

    w = make_window(prepare_library(data_dir, model=tiny_model, photos=None, index=False))
    dlg = wait_listed(qtbot, w.open_model_manager())
    for combo, caption in ((dlg.language, "Language of your searches"), (dlg.readers.script, "Add one for")):
        iface = QAccessible.queryAccessibleInterface(combo)
        labels = [o.text(QAccessible.Text.Name) for o, _r in iface.relations(QAccessible.Relation.Label) if o]
        assert any(label.startswith(caption) for label in labels), labels
    dlg.reject()


def test_esc_closes_the_preview_before_it_clears_the_search(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Esc closes what is open over the photos first, as it does the viewer. Before, with the preview open
    (P) Esc cleared the search under it: the photos being looked at were gone and the preview stayed."""
    make_photos(tmp_path / "photos", 6)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.query_bar.set_text("a photo")
    qtbot.waitUntil(lambda: w.current_request.text == "a photo" and not w.search.busy)
    wait_results(qtbot, w)
    w.view.setFocus()
    w.view.setCurrentIndex(w.model.index(1, 0))
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    qtbot.waitUntil(w.preview.isVisible)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not w.preview.isVisible() and w.query_bar.text == "a photo"
    assert QApplication.focusWidget() is w.view and w.view.currentIndex().row() == 1
    qtbot.keyClick(w.view, Qt.Key.Key_Escape)  # nothing open: Esc clears the search, as before
    assert w.query_bar.text == "" and QApplication.focusWidget() is w.query_bar.field


def test_tab_leaves_the_model_managers_tables(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path
) -> None:
    """Before: Tab moved from cell to cell inside the model manager's tables and never left them, so a
    keyboard user could not reach Install, Use, Import, Remove, Calibrate or Close. Tab now goes on to the
    next control (the arrows move within a table)."""
    from tests.gui.conftest import wait_listed

    w = make_window(prepare_library(data_dir, model=tiny_model, photos=None, index=False))
    dlg = wait_listed(qtbot, w.open_model_manager())
    dlg.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg)
    reached = set()
    dlg.table.setFocus()
    for _ in range(30):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.add(QApplication.focusWidget())
    assert {dlg.import_button, dlg.readers.table, dlg.close_button} <= reached
    dlg.reject()


def test_every_control_tab_reaches_in_the_shortcuts_list_has_a_name(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path
) -> None:
    """Before: Tab's first stop in the '?' list, its scrolling area, was read as a nameless 'scroll area'."""
    from PySide6.QtGui import QAccessible

    w = make_window(prepare_library(data_dir, model=tiny_model, photos=None, index=False))
    w.show_shortcuts()
    d = w.shortcuts_dialog
    d.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is d)
    for _ in range(4):
        f = QApplication.focusWidget()
        iface = QAccessible.queryAccessibleInterface(f)
        assert iface is not None and iface.text(QAccessible.Text.Name), type(f).__name__
        qtbot.keyClick(f, Qt.Key.Key_Tab)
    d.reject()
