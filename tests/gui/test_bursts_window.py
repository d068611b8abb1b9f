"""Bursts in the real window (shapes model, a real library): a burst of ten near-identical shots shows as one
tile with the count 10; a click on the count expands it to ten tiles in a row, B stacks it again, the context
menu offers "Show all 10 shots"; the "Bursts" switch (on by default, as photo apps stack bursts; off,
the window answers as ``photosearch search`` does) turns stacking on and off, and is remembered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from photosearch.config import Paths
from tests.gui.conftest import prepare_library, wait_results
from tests.gui.steer_photos import make_burst, make_others


@pytest.fixture
def burst_library(data_dir: Path, shapes_model: Path, tmp_path: Path) -> tuple[Paths, list[str]]:
    photos = tmp_path / "photos"
    burst = make_burst(photos)
    make_others(photos, 40, seed=5)
    return prepare_library(data_dir, model=shapes_model, photos=photos, index=True), burst


def _paths(w: Any) -> list[str]:
    return [w.model.result(i).path for i in range(w.model.rowCount())]


def _search(qtbot: Any, w: Any, text: str) -> None:
    before = w.current_response
    w.query_bar.set_text(text)
    qtbot.waitUntil(lambda: w.current_response is not before and not w.search.busy, timeout=15000)
    wait_results(qtbot, w)


def test_a_burst_of_ten_is_one_tile_with_its_count_and_expands(
    qtbot: Any, make_window: Any, burst_library: tuple[Paths, list[str]]
) -> None:
    from photosearch.gui.burst_badge import badge_rect

    paths, burst = burst_library
    w = make_window(paths)
    wait_results(qtbot, w)
    assert w.bursts.button.isChecked()  # on by default, as photo apps stack bursts
    w.bursts.button.setChecked(False)  # off: every shot, as `photosearch search` without --bursts shows
    _search(qtbot, w, "a yellow star")
    assert not w.current_request.bursts and sum(p in burst for p in _paths(w)) == 10
    before = w.current_response
    w.bursts.button.setChecked(True)  # the switch runs the search again, bursts stacked
    qtbot.waitUntil(lambda: w.current_response is not before and not w.search.busy, timeout=15000)
    assert w.current_request.bursts
    shown = _paths(w)
    assert sum(p in burst for p in shown) == 1  # one tile for the ten shots
    row = next(i for i, p in enumerate(shown) if p in burst)
    info = w.model.burst_info(row)
    assert info is not None and info.size == 10 and not info.expanded and info.shot == 0
    assert "10 shots" in w.model.data(w.model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
    assert "1 burst stacked" in w.presenter.result_count
    # the count is painted on the tile, where a click expands the burst
    w.view.finish_layout()
    w.view.scrollTo(w.model.index(row, 0))
    tile = w.view.visualRect(w.model.index(row, 0))
    badge = badge_rect(tile, info, w.view.font())
    assert not badge.isEmpty() and tile.contains(badge)
    w.view.grab()  # paints the count (its painting runs on the real tile)
    qtbot.waitUntil(lambda: w.model.ready(info.leader), timeout=10000)  # the other shots looked up
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=badge.center())
    qtbot.waitUntil(lambda: w.model.rowCount() == len(shown) + 9, timeout=10000)
    now = _paths(w)
    assert sorted(now[row : row + 10]) == sorted(burst)  # the ten shots, in a row, where the one stood
    assert [w.model.burst_info(row + k).shot for k in range(10)] == list(range(10))
    assert all(w.model.burst_info(row + k).expanded for k in range(10))
    assert w.view.lay.tile_of(row + 9) is not None  # laid out
    # B on any of its shots stacks it again
    w.view.setFocus()
    w.view.setCurrentIndex(w.model.index(row + 4, 0))
    qtbot.keyClick(w.view, Qt.Key.Key_B)
    qtbot.waitUntil(lambda: w.model.rowCount() == len(shown), timeout=5000)
    assert _paths(w) == shown and w.view.currentIndex().row() == row
    # the context menu offers "Show all 10 shots"
    menu = w.actions_.build_context_menu(w.model.index(row, 0))
    act = next(a for a in menu.actions() if isinstance(a, QAction) and a.text() == "Show all 10 shots")
    act.trigger()
    qtbot.waitUntil(lambda: w.model.rowCount() == len(shown) + 9, timeout=5000)
    menu = w.actions_.build_context_menu(w.model.index(row + 2, 0))
    assert any(a.text() == "Stack the 10 shots again" for a in menu.actions())
    # the switch: off shows every shot as a photo of its own, on stacks them again
    w.bursts.button.setChecked(False)
    qtbot.waitUntil(lambda: not w.current_request.bursts and not w.search.busy, timeout=10000)
    wait_results(qtbot, w)
    assert sum(p in burst for p in _paths(w)) == 10
    assert all(w.model.burst_info(i) is None for i in range(w.model.rowCount()))
    w.bursts.button.setChecked(True)
    qtbot.waitUntil(lambda: w.current_request.bursts and not w.search.busy, timeout=10000)
    wait_results(qtbot, w)
    assert sum(p in burst for p in _paths(w)) == 1
    assert str(w.settings.value("view/stack_bursts")).lower() == "true"  # remembered for the next start


def test_browsing_never_stacks(qtbot: Any, make_window: Any, burst_library: tuple[Paths, list[str]]) -> None:
    paths, burst = burst_library
    w = make_window(paths)
    wait_results(qtbot, w)
    w.bursts.button.setChecked(True)
    assert not w.current_request.bursts  # the library by date shows every photo, stacked or not
    assert sum(p in burst for p in _paths(w)) == 10
