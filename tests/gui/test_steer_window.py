"""Steering a search in the real window: 👍/👎 (keys L and D) re-rank at once and Ctrl+Z takes the last one
back, disliked photos leave the results; "More like these" (M) searches by the selected photos together;
the strictness control moves the line; typing another query forgets the verdicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from photosearch.app.query import QueryKind
from photosearch.config import Paths
from tests.gui.conftest import prepare_library, wait_results


@pytest.fixture
def indexed(data_dir: Path, shapes_model: Path, tmp_path: Path) -> Paths:
    from models.tools.shapes import make_library

    photos = tmp_path / "photos"
    make_library(photos, 40, seed=3, image_size=(160, 120), fmt="jpg")
    return prepare_library(data_dir, model=shapes_model, photos=photos, index=True)


def _run(qtbot: Any, w: Any, text: str) -> None:
    w.query_bar.set_text(text)
    qtbot.waitUntil(lambda: w.current_request is not None and w.current_request.text == text, timeout=5000)
    wait_results(qtbot, w)


def _paths(w: Any) -> list[str]:
    return [w.model.result(i).path for i in range(w.model.rowCount())]


def test_feedback_several_photos_and_strictness(qtbot: Any, make_window: Any, indexed: Any) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    _run(qtbot, w, "a circle")
    before = _paths(w)
    w.view.setFocus()
    # 👎 on the first result (D): it leaves the results, and the query carries the verdict
    w.view.setCurrentIndex(w.model.index(0, 0))
    gone = before[0]
    qtbot.keyClick(w.view, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: w.current_request.unlike == (gone,) and not w.search.busy, timeout=10000)
    wait_results(qtbot, w)
    assert gone not in _paths(w)
    assert ("unlike", "1 not wanted") in w.places.chips.chips()  # shown beside the understood filters
    # 👍 on another (L): the query moves toward it
    liked = _paths(w)[3]
    w.view.setCurrentIndex(w.model.index(3, 0))
    qtbot.keyClick(w.view, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: w.current_request.like == (liked,), timeout=10000)
    wait_results(qtbot, w)
    assert _paths(w).index(liked) <= 3
    # Ctrl+Z takes the 👍 back, then the 👎
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: w.current_request.like == () and w.current_request.unlike == (gone,), timeout=10000
    )
    qtbot.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.current_request.unlike == (), timeout=10000)
    wait_results(qtbot, w)
    assert gone in _paths(w)
    assert not [c for c in w.places.chips.chips() if c[0] in ("like", "unlike")]
    # several photos: select two, M
    sel = w.view.selectionModel()
    sel.clearSelection()
    picked = _paths(w)[:2]
    for row in (0, 1):
        sel.select(w.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select)
    qtbot.keyClick(w.view, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: w.current_request.kind is QueryKind.SEVERAL, timeout=10000)
    assert [str(p) for p in w.current_request.images] == picked
    wait_results(qtbot, w)
    # strictness: the control's level reaches the query
    w.steer.strictness.setCurrentIndex(w.steer.strictness.findData(5))
    qtbot.waitUntil(lambda: w.current_request.strictness == 5, timeout=10000)
    # another line forgets the photos and the verdicts
    _run(qtbot, w, "a square")
    assert (
        w.current_request.kind is QueryKind.TEXT
        and w.current_request.like == ()
        and w.current_request.strictness == 5
    )


def test_an_uncalibrated_model_is_marked_where_the_line_is_shown(
    qtbot: Any, make_window: Any, data_dir: Path, shapes_model: Path, tmp_path: Path
) -> None:
    """Issue 20: a model without a calibration is marked "uncalibrated" where the line is shown — the count
    of results and the strictness control (whose 3 is then a default, not a measured point)."""
    import json
    import shutil

    from models.tools.shapes import make_library

    model = tmp_path / "uncalibrated-model"
    shutil.copytree(shapes_model, model)
    manifest = json.loads((model / "manifest.json").read_text())
    manifest.get("extra", {}).pop("relevance")
    manifest["id"] = manifest["id"] + "-uncalibrated"
    (model / "manifest.json").write_text(json.dumps(manifest))
    photos = tmp_path / "photos"
    make_library(photos, 12, seed=4, image_size=(160, 120), fmt="jpg")
    w = make_window(prepare_library(data_dir, model=model, photos=photos, index=True))
    wait_results(qtbot, w)
    combo = w.steer.strictness
    # said before any search (before, "3 · calibrated" until the first search answered otherwise)
    assert combo.itemText(combo.findData(3)) == "3 · uncalibrated"
    _run(qtbot, w, "a red circle")
    assert "no relevance line (this model is uncalibrated)" in w.presenter.result_count
    assert combo.itemText(combo.findData(3)) == "3 · uncalibrated"
    assert "no calibration" in combo.toolTip()


def test_a_calibrated_model_says_so_on_the_strictness_control(
    qtbot: Any, make_window: Any, indexed: Any
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    _run(qtbot, w, "a red circle")
    combo = w.steer.strictness
    assert combo.itemText(combo.findData(3)) == "3 · calibrated"
    assert "uncalibrated" not in w.presenter.result_count
