"""With "By date" on, a search shows only its close matches, by month — the weaker results and their
divider are gone — yet the status line still said "… · 100 less close results below the line" (and kept
saying it after the switch). The count now says what the grid shows: the close matches, by date; switched
off again, the weaker results and their count come back, named as the grid's divider names them ("weaker
matches", not "less close results")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.tools.shapes import make_library
from tests.gui.conftest import prepare_library, wait_results


def test_the_count_matches_what_by_date_shows(
    qtbot: Any, make_window: Any, data_dir: Path, shapes_model: Path, tmp_path: Path
) -> None:
    make_library(tmp_path / "photos", 60, seed=4)
    w = make_window(prepare_library(data_dir, model=shapes_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    w.query_bar.set_text("a red circle")
    qtbot.waitUntil(lambda: w.current_request is not None and w.current_request.text == "a red circle")
    wait_results(qtbot, w)
    resp = w.current_response
    weaker = len(resp.results) - len(resp.passed)
    assert resp.passed and weaker, "the test needs close and weaker results"
    assert "below the line" in w.status.count_label.text()

    w.presenter.set_by_date(True)
    assert w.model.rowCount() == len(resp.passed)  # only the close matches, by month
    said = w.status.count_label.text()
    assert "below the line" not in said and "by date" in said, said

    w.presenter.set_by_date(False)
    assert w.model.rowCount() == len(resp.results)
    assert "below the line" in w.status.count_label.text()
    # the same words as the divider the person sees in the grid ("Weaker matches below")
    assert f"{weaker} weaker match" in w.status.count_label.text(), w.status.count_label.text()
