"""Results follow photos as they arrive without jumping under the person's pointer: with the pointer over the
photos, those shown keep their places and the new ones join at the end; with it elsewhere, the answer is shown
in rank order at the same scroll position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from models.tools.shapes import make_library
from tests.gui.conftest import prepare_library, wait_results


def _paths(w: Any) -> list[str]:
    return [w.model.result(i).path for i in range(w.model.rowCount())]


def test_live_results_keep_their_places_under_the_pointer(
    qtbot: Any, make_window: Any, data_dir: Path, shapes_model: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first"
    make_library(first, 20, seed=4)
    w = make_window(prepare_library(data_dir, model=shapes_model, photos=first, index=True))
    wait_results(qtbot, w)
    for query in ("a circle", "a square", "a triangle", "a star"):  # one with close matches in this library
        w.query_bar.set_text(query)
        qtbot.waitUntil(lambda q=query: w.current_request is not None and w.current_request.text == q)
        wait_results(qtbot, w)
        if w.stack.currentWidget() is w.view:
            break
    assert w.stack.currentWidget() is w.view, "no query had close matches"
    before = _paths(w)
    w.view.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, True)  # the pointer rests on the photos
    more = tmp_path / "more"
    make_library(more, 20, seed=9)
    w.folders.add_folder(str(more))
    qtbot.waitUntil(lambda: any(str(more) in p for p in _paths(w)), timeout=30000)
    qtbot.waitUntil(lambda: w.indexing is not None and w.indexing.wait_idle(0.01), timeout=30000)
    wait_results(qtbot, w)
    now = _paths(w)
    assert now[: len(before)] == before  # nothing moved under the pointer
    assert all(str(more) in p for p in now[len(before) :])  # the newcomers joined at the end
    # the pointer elsewhere: the next answer is in rank order
    w.view.setAttribute(Qt.WidgetAttribute.WA_UnderMouse, False)
    w.presenter.refresh_live()
    qtbot.waitUntil(lambda: not w.search.busy, timeout=10000)
    wait_results(qtbot, w)
    ranked = [r.path for r in w.current_response.results]
    assert _paths(w) == ranked[: len(_paths(w))]
