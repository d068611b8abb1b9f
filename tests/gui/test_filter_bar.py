"""The filter bar above the results and the folders side bar, in the real window on a real library: active
filters show as chips and a click removes them, dates read in the person's locale, the shape filter, the side
bar collapses (and stays so), a folder in it filters the results; every control has an accessible name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QAbstractButton, QComboBox, QWidget

from models.tools.shapes import make_library
from photosearch.gui.filters import date_format
from tests.gui.conftest import prepare_library, wait_results


def library(data_dir: Path, tiny_model: Path, tmp_path: Path) -> Any:
    make_library(tmp_path / "photos", 12, seed=9)
    return prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True)


def test_active_filters_are_chips_that_remove_themselves(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    w = make_window(library(data_dir, tiny_model, tmp_path))
    wait_results(qtbot, w)
    bar = w.side
    assert bar.active() == [] and not bar.chip_buttons
    png = next(cb for cb, fmts in bar.type_boxes if fmts == ("png",))
    png.setChecked(False)
    wait_results(qtbot, w)
    assert w.search.calls[-1].filters.formats is not None
    assert "type" in bar.chip_buttons and bar.type_button.text() != "All types"
    bar.use_from.setChecked(True)
    bar.date_from.setDate(QDate(2024, 3, 9))
    wait_results(qtbot, w)
    words = QLocale().toString(QDate(2024, 3, 9), date_format())
    assert bar.date_from.text() == words and words != "9 3 2024"  # the locale's date, never "9 3 2024"
    assert bar.chip_buttons["date"].text().startswith(f"From {words}")
    assert w.search.calls[-1].filters.date_from is not None
    bar.chip_buttons["type"].click()  # the chip takes its filter off
    wait_results(qtbot, w)
    assert all(cb.isChecked() for cb, _ in bar.type_boxes) and "type" not in bar.chip_buttons
    assert w.search.calls[-1].filters.formats is None and w.search.calls[-1].filters.date_from is not None
    bar.chip_buttons["date"].click()
    wait_results(qtbot, w)
    assert w.search.calls[-1].filters is None and bar.date_button.text() == "Any date"


def test_the_shape_filter_narrows_the_results(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    w = make_window(library(data_dir, tiny_model, tmp_path))
    wait_results(qtbot, w)
    n = w.model.rowCount()
    shapes = {(r.file.width or 0) > (r.file.height or 0) for r in w.model.results}
    i = w.side.orientation_combo.findData("portrait")
    w.side.orientation_combo.setCurrentIndex(i)
    wait_results(qtbot, w)
    assert w.search.calls[-1].filters.orientation == "portrait"
    assert "orientation" in w.side.chip_buttons
    if shapes == {True}:  # the shapes library is all landscape: nothing left, and the window says so
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.message)
        assert "No photos match these filters" in w.message.title.text()
    w.side.chip_buttons["orientation"].click()
    wait_results(qtbot, w)
    qtbot.waitUntil(lambda: w.model.rowCount() == n)


def test_the_side_bar_collapses_and_its_folders_filter(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path, settings: Any
) -> None:
    paths = library(data_dir, tiny_model, tmp_path)
    w = make_window(paths)
    wait_results(qtbot, w)
    side = w.sidebar
    assert side.isVisible() and side.list.count() == 2  # all photos + the one folder
    folder = side.list.item(1)
    side.list.itemClicked.emit(folder)
    wait_results(qtbot, w)
    assert w.search.calls[-1].filters.folder == str(tmp_path / "photos")
    assert "folder" in w.side.chip_buttons
    w.side.chip_buttons["folder"].click()
    wait_results(qtbot, w)
    assert side.list.currentRow() == 0
    w.side.sidebar_button.click()
    assert not side.isVisible()
    qtbot.waitUntil(lambda: w.splitter.sizes()[0] == 0)  # the results take its room
    w.shutdown()
    w2 = make_window(paths)
    assert not w2.sidebar.isVisible() and not w2.side.sidebar_button.isChecked()


def test_every_control_has_an_accessible_name(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    w = make_window(library(data_dir, tiny_model, tmp_path))
    wait_results(qtbot, w)
    unnamed = []
    for widget in [
        *w.side.findChildren(QWidget),
        *w.sidebar.findChildren(QWidget),
        *w.viewer.buttons.values(),
    ]:
        if isinstance(widget, QAbstractButton | QComboBox) and widget.isVisibleTo(w):
            if not (
                widget.accessibleName() or widget.text()
                if isinstance(widget, QAbstractButton)
                else widget.accessibleName()
            ):
                unnamed.append(widget)
    assert not unnamed, [type(u).__name__ for u in unnamed]
    assert w.view.accessibleName() == "Photos" and w.view.scrubber.accessibleName() == "Date scrubber"
