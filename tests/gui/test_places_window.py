"""Where and when in the real window: a typed place becomes a chip that remove their filter on click,
the side bar lists the library's places (country → city, counts) and a click narrows the search, and the
preview shows the photo's metadata (camera, exposure, place, coordinates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from photosearch.config import Paths
from photosearch.indexing.meta_steps import MetaPass
from photosearch.library.library import Library
from tests.gui.conftest import prepare_library, wait_results
from tests.support.exif_photos import make_place_library


def _run(qtbot: Any, w: Any, text: str) -> None:
    w.query_bar.set_text(text)
    qtbot.waitUntil(lambda: w.current_request is not None and w.current_request.text == text, timeout=5000)
    wait_results(qtbot, w)


def _shown(w: Any) -> set[str]:
    return {w.model.result(i).path for i in range(w.model.rowCount())}


def test_places_in_the_window(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    truth = make_place_library(tmp_path / "photos")
    paths = prepare_library(data_dir, model=shapes_model, photos=tmp_path / "photos", index=True)
    with Library(paths, write=True, purpose="test") as lib:
        MetaPass(lib.catalog).run()
    italy = {p for p, t in truth.items() if t["cc"] == "IT"}
    finland = {p for p, t in truth.items() if t["cc"] == "FI"}
    w = make_window(Paths.resolve(data_dir))
    wait_results(qtbot, w)
    pc = w.places
    # the place list: every country of the library, with its photo count
    qtbot.waitUntil(lambda: pc.places.topLevelItemCount() > 0, timeout=10000)
    countries = {
        pc.places.topLevelItem(i).text(0): int(pc.places.topLevelItem(i).text(1))
        for i in range(pc.places.topLevelItemCount())
    }
    assert countries["Italy"] == len(italy) and pc.places.isVisibleTo(w)

    # a filter-only line: every photo in Italy, and one chip for it
    _run(qtbot, w, "Italy")
    assert _shown(w) == italy and pc.chips.chips() == [("place", "Italy")] and pc.chips.isVisibleTo(w)
    # its ✕ takes the filter away: the whole library again, no chip
    qtbot.mouseClick(pc.chips.buttons()[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pc.chips.chips() == [] and len(_shown(w)) == len(truth), timeout=10000)

    # a click in the place list narrows the search to that place
    item = next(
        pc.places.topLevelItem(i)
        for i in range(pc.places.topLevelItemCount())
        if pc.places.topLevelItem(i).text(0) == "Finland"
    )
    pc.places.itemClicked.emit(item, 0)
    qtbot.waitUntil(lambda: _shown(w) == finland, timeout=10000)
    assert [k for k, _ in pc.chips.chips()] == ["place"]

    # the preview shows where and with what the photo was taken
    w.actions_.show_preview(0)
    qtbot.waitUntil(lambda: "NIKON" in pc.meta.text().upper() or "," in pc.meta.text(), timeout=10000)
    text = pc.meta.text()
    assert "Finland" in text or "Helsinki" in text, text
