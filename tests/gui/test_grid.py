"""The justified results grid on the real widget: rows fill the width and photos keep their shape (measured
from the widget's own tile rectangles), arrow keys, multi-select (Ctrl/Shift-click, rubber band), the size
control and Ctrl+wheel, the divider before weaker matches, month headers and the date scrubber."""

from __future__ import annotations

import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QDate, QDateTime, QLocale, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractItemView

from photosearch.gui.grid import HEADER_H, JustifiedView
from photosearch.gui.months import WEAKER
from photosearch.gui.results import ResultsModel
from photosearch.search.engine import Result
from photosearch.store.catalog import FileRow
from tests.gui.conftest import prepare_library, wait_results

SHAPES = [(4000, 3000), (3000, 4000), (6000, 4000), (1920, 1080), (1080, 1920), (2000, 2000), (6400, 2000)]
DAY = 86400.0


def results(n: int, *, seed: int = 1, passed: int | None = None, months: bool = False) -> list[Result]:
    rng = random.Random(seed)
    now = time.time()
    out = []
    for i in range(n):
        w, h = rng.choice(SHAPES)
        taken = now - i * 9 * DAY if months else None  # newest first, a few photos a month
        f = FileRow(
            i + 1, 1, f"/p/{i:05d}.jpg", 1, 0, f"{i:064x}", "jpeg", w, h, taken, None, "indexed", None, 0.0
        )
        ok = passed is None or i < passed
        out.append(Result(i + 1, f.path, 1 - i / n, f, i + 1, passed=ok))
    return out


@pytest.fixture
def grid(qtbot: Any) -> Any:
    def make(items: list[Result], kind: str = "text", size: tuple[int, int] = (1000, 700)) -> JustifiedView:
        model = ResultsModel(None)
        view = JustifiedView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.model_ref = model  # type: ignore[attr-defined]
        view.resize(*size)
        view.show()
        qtbot.waitExposed(view)
        model.set_results(items, kind)
        return view

    return make


def rows_of(view: JustifiedView) -> list[list[Any]]:
    """The tiles' rectangles as the widget reports them (visualRect), grouped into rows by their top."""
    by_top: dict[int, list[Any]] = defaultdict(list)
    sb = view.verticalScrollBar()
    for i in range(view.model().rowCount()):
        r = view.visualRect(view.model().index(i, 0)).translated(0, sb.value())
        by_top[r.top()].append((i, r))
    return [sorted(v, key=lambda t: t[1].left()) for _, v in sorted(by_top.items())]


def assert_justified(view: JustifiedView) -> None:
    width = view.viewport().width()
    model = view.model()
    lay = view.lay
    last_of_section = {row.end - 1 for row in lay.rows if row.last_in_section}
    rows = rows_of(view)
    assert sum(len(r) for r in rows) == model.rowCount()
    for row in rows:
        right = row[-1][1].right() + 1
        assert right <= width
        if row[-1][0] not in last_of_section:  # every row but a section's last fills the width
            assert abs(right - width) <= 1, (right, width)
        for i, rect in row:
            f = model.result(i).file
            aspect = min(max(f.width / f.height, 0.25), 5.0)  # panoramas are cropped to 5:1
            ideal = aspect * rect.height()
            assert abs(rect.width() - ideal) <= max(1.0, 0.01 * ideal) + 0.5, (i, rect, aspect)


@pytest.mark.parametrize("width", [640, 1000, 1913])
def test_every_row_but_the_last_fills_the_width_and_photos_keep_their_shape(grid: Any, width: int) -> None:
    view = grid(results(400, seed=width), size=(width, 700))
    assert len(view.lay.rows) > 10
    assert_justified(view)
    view.set_thumb_size(240)  # the size control re-flows the rows
    assert_justified(view)
    view.set_by_date(True)  # and by month, each month's last row left as it is
    assert_justified(view)


@pytest.fixture
def mixed(data_dir: Path, tiny_model: Path, tmp_path: Path) -> Any:
    """A real library of photos in several shapes, modified over several months (browsing orders by it)."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    rng = random.Random(7)
    now = time.time()
    for i in range(40):
        w, h = rng.choice(SHAPES)
        img = Image.new(
            "RGB", (w // 10, h // 10), (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        )
        p = folder / f"m_{i:03d}.jpg"
        img.save(p, quality=80)
        t = now - i * 11 * DAY
        os.utime(p, (t, t))
    return prepare_library(data_dir, model=tiny_model, photos=folder, index=True)


def test_the_window_browses_by_month_in_justified_rows(qtbot: Any, make_window: Any, mixed: Any) -> None:
    w = make_window(mixed)
    wait_results(qtbot, w)
    assert isinstance(w.view, JustifiedView) and w.current_response.kind == "browse"
    assert w.model.rowCount() == 40 and w.view.by_date
    titles = [h.title for h in w.view.lay.headers]
    assert len(titles) >= 12 and titles[0] == QLocale().toString(QDate.currentDate(), "MMMM yyyy")
    assert_justified(w.view)
    w.resize(700, 600)
    qtbot.waitUntil(lambda: w.view.lay.width == w.view.viewport().width())
    assert_justified(w.view)
    # a search's close matches by date, on the "by date" switch
    w.query_bar.set_text("red")
    wait_results(qtbot, w)
    assert not w.view.by_date
    w.presenter.set_by_date(True)
    passed = w.current_response.passed
    assert w.view.by_date and w.model.rowCount() == len(passed)
    shown = [w.model.result(i).file.mtime_ns for i in range(w.model.rowCount())]
    assert shown == sorted(shown, reverse=True)


def test_only_visible_rows_are_painted(grid: Any, qtbot: Any) -> None:
    view = grid(results(20_000, seed=3))
    qtbot.waitUntil(lambda: view.paints > 0)
    view.viewport().repaint()
    assert 0 < view.painted_rows <= 700 // 80 + 2
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    view.viewport().repaint()
    assert 0 < view.painted_rows <= 700 // 80 + 2


def test_arrow_keys_move_through_the_rows(grid: Any, qtbot: Any) -> None:
    view = grid(results(200, seed=4))
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    lay = view.lay
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex().row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Down)  # to the tile below that overlaps it most
    cur = view.currentIndex().row()
    assert lay.rows[1].start <= cur < lay.rows[1].end
    below = view.visualRect(view.currentIndex())
    above = view.visualRect(view.model().index(1, 0))
    assert below.left() < above.right() and below.right() > above.left()
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert lay.rows[0].start <= view.currentIndex().row() < lay.rows[0].end
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == 199
    assert view.visualRect(view.currentIndex()).bottom() <= view.viewport().height()  # scrolled to it
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0 and view.verticalScrollBar().value() == 0
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_rows() == [0, 1, 2]


def test_ctrl_and_shift_click_and_the_rubber_band_select(grid: Any, qtbot: Any) -> None:
    view = grid(results(60, seed=5))
    vp = view.viewport()

    def centre(i: int) -> QPoint:
        return view.visualRect(view.model().index(i, 0)).center()

    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=centre(2))
    assert view.selected_rows() == [2]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, centre(5))
    assert view.selected_rows() == [2, 5]
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, centre(8))
    assert view.selected_rows() == [2, 5, 6, 7, 8]  # from the last clicked, keeping the rest (Qt's way)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, centre(5))
    assert 5 not in view.selected_rows()
    # a rubber band from the gap below the first row's tiles across the second row
    view.setDragEnabled(False)  # (a press on empty space starts the band either way; this keeps it sure)
    row1 = view.lay.rows[1]
    start = QPoint(2, row1.y - 2)
    end = QPoint(view.viewport().width() - 2, row1.y + row1.h // 2)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(vp, QPoint(start.x() + 10, start.y() + 10))
    qtbot.mouseMove(vp, end)
    assert view.rubber_band() is not None
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)
    assert view.selected_rows() == list(range(row1.start, row1.end))
    assert view.rubber_band() is None


def test_drag_out_gives_file_urls(grid: Any) -> None:
    view = grid(results(10))
    sel = view.selectionModel()
    for r in (1, 3):
        sel.select(view.model().index(r, 0), sel.SelectionFlag.Select)
    mime = view.model().mimeData([view.model().index(r, 0) for r in view.selected_rows()])
    assert [u.toLocalFile() for u in mime.urls()] == ["/p/00001.jpg", "/p/00003.jpg"]
    assert view.dragEnabled() and view.dragDropMode() == QAbstractItemView.DragDropMode.DragOnly


def test_ctrl_wheel_changes_the_size_and_reflows(grid: Any, qtbot: Any) -> None:
    view = grid(results(300))
    before = view.target
    heights = [r.h for r in view.lay.rows[:5]]
    sizes: list[int] = []
    view.size_changed.connect(sizes.append)
    pos = QPointF(view.viewport().rect().center())
    ev = QWheelEvent(
        pos,
        view.viewport().mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    view.wheelEvent(ev)
    assert view.target > before and sizes == [view.target]
    assert [r.h for r in view.lay.rows[:5]] != heights
    assert view.verticalScrollBar().value() == 0  # Ctrl+wheel doesn't scroll
    assert_justified(view)


def test_weaker_matches_sit_below_a_divider_not_faded(grid: Any) -> None:
    view = grid(results(50, passed=18))
    titles = [h.title for h in view.lay.headers]
    assert titles == ["", WEAKER]
    divider = view.lay.headers[1]
    assert view.lay.tile_of(17).y < divider.y < view.lay.tile_of(18).y
    assert view.lay.headers[0].h == 0  # the close matches start at the top
    assert_justified(view)


def test_months_stick_on_top_and_the_scrubber_jumps(grid: Any, qtbot: Any) -> None:
    view = grid(results(600, months=True), kind="browse")
    view.set_by_date(True)
    lay = view.lay
    assert len(lay.headers) > 12 and all(h.title for h in lay.headers)
    assert view.scrubber.isVisible()
    assert view.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    third = lay.headers[5]
    view.verticalScrollBar().setValue(third.y + 60)
    header, y = view.sticky_header()  # type: ignore[misc]
    assert header == third and y == 0
    # a click in the middle of the scrubber jumps to the middle of the photos, naming the month there
    s = view.scrubber
    assert s.total == 600 and [c for _, c in s.months] == [h.count for h in lay.headers]
    qtbot.mouseClick(s, Qt.MouseButton.LeftButton, pos=QPoint(s.width() // 2, s.height() // 2))
    target = s.index_at(s.height() // 2)
    assert abs(target - 300) <= 2
    first, last = s.visible
    assert first <= target < last and target - first < 20  # at the top, under its month's header
    r = view.visualRect(view.model().index(target, 0))
    assert 0 <= r.top() <= HEADER_H + r.height()
    assert s.toolTip() == lay.header_at(view.tile_rect(target).top()).title  # type: ignore[union-attr]


def test_the_scrubber_spans_the_whole_library_and_loads_what_it_jumps_to(
    qtbot: Any, make_window: Any, mixed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import photosearch.gui.search_presenter as presenter_mod

    monkeypatch.setattr(presenter_mod, "BROWSE_PAGE", 8)  # pages of 8 photos: most of the 40 not loaded yet
    w = make_window(mixed)
    wait_results(qtbot, w)
    assert w.model.rowCount() == 8
    s = w.view.scrubber
    qtbot.waitUntil(lambda: s.total == 40)  # the timeline: every month of the library
    assert len(s.months) >= 12 and s.months[0][0] == w.view.lay.headers[0].title
    qtbot.mouseClick(s, Qt.MouseButton.LeftButton, pos=QPoint(s.width() // 2, s.height() - 6))
    target = s.index_at(s.height() - 6)
    assert target >= 36
    qtbot.waitUntil(lambda: w.model.rowCount() > target, timeout=15000)  # loaded down to it …
    qtbot.waitUntil(lambda: s.visible[0] <= target < s.visible[1])  # … and shown
    paths = [w.model.result(i).path for i in range(w.model.rowCount())]
    assert len(set(paths)) == len(paths)


def test_month_sections_by_binary_search_match_a_full_pass() -> None:
    from photosearch.gui.months import month_sections

    items = results(5000, months=True)
    quick = month_sections(items)
    shuffled = items[:]
    shuffled[10], shuffled[4000] = shuffled[4000], shuffled[10]  # not newest first: the full pass
    assert sum(c for _, c in quick) == 5000 and len(quick) >= 12
    one_by_one = []
    for r in items:
        title = QLocale().toString(QDateTime.fromSecsSinceEpoch(int(r.file.taken_at)).date(), "MMMM yyyy")
        if one_by_one and one_by_one[-1][0] == title:
            one_by_one[-1] = (title, one_by_one[-1][1] + 1)
        else:
            one_by_one.append((title, 1))
    assert quick == one_by_one
    assert sum(c for _, c in month_sections(shuffled)) == 5000


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_painting_the_grid_keeps_none_alive(grid: Any) -> None:
    """The Qt binding must not drop references to None while the grid paints (see test_qt_binding)."""
    from PySide6.QtGui import QImage, QPainter

    from photosearch.gui.grid_paint import paint_grid

    view = grid(results(60, passed=20))
    sel = view.selectionModel()
    sel.select(view.model().index(1, 0), sel.SelectionFlag.Select)
    img = QImage(view.viewport().size(), QImage.Format.Format_RGB32)
    p = QPainter(img)
    try:
        before = sys.getrefcount(None)
        for _ in range(300):
            paint_grid(view, p, view.viewport().rect())
        after = sys.getrefcount(None)
    finally:
        p.end()
    assert after >= before, f"the Qt binding dropped {before - after} references to None while painting"
