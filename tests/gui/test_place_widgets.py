"""The place pieces of the window, on their own (the integrator wires them in): query chips that remove a
filter on click, the place list (country → city, counts) that narrows the search, the preview's metadata
lines (date with zone, camera, lens, exposure, place, copyable coordinates)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from photosearch.gui.chips import QueryChips
from photosearch.gui.meta_lines import MetaLines, meta_lines, taken_line
from photosearch.gui.place_list import PlaceList


def test_chips_show_how_the_line_was_read_and_remove_on_click(qtbot: Any) -> None:
    w = QueryChips()
    qtbot.addWidget(w)
    w.set_chips([("place", "Italy"), ("time", "Jun–Aug 2025")])
    w.show()
    assert w.isVisible() and w.text() == "📍 Italy ✕ · 📅 Jun–Aug 2025 ✕"
    with qtbot.waitSignal(w.removed) as sig:
        qtbot.mouseClick(w.buttons()[0], Qt.MouseButton.LeftButton)
    assert sig.args == ["place", "Italy"]
    assert w.chips() == [("time", "Jun–Aug 2025")] and len(w.buttons()) == 1
    w.set_chips([])
    assert not w.isVisible()


LISTING = {
    "countries": [
        {"code": "IT", "name": "Italy", "count": 4, "cities": [
            {"name": "Florence", "region": "Tuscany", "count": 2},
            {"name": "Rome", "region": "Lazio", "count": 1},
            {"name": None, "region": None, "count": 1},
        ]},
        {"code": "FI", "name": "Finland", "count": 2, "cities": [{"name": "Helsinki", "region": "Uusimaa", "count": 2}]},
    ],
    "without_location": 3,
    "not_read": 0,
}  # fmt: skip


def test_place_list_counts_and_narrows(qtbot: Any) -> None:
    w = PlaceList()
    qtbot.addWidget(w)
    w.set_places(LISTING)
    w.show()
    rows = [(w.topLevelItem(i).text(0), w.topLevelItem(i).text(1)) for i in range(w.topLevelItemCount())]
    assert rows == [("Italy", "4"), ("Finland", "2"), ("Without a location", "3")]
    italy = w.topLevelItem(0)
    assert [italy.child(i).text(0) for i in range(italy.childCount())] == ["Florence", "Rome"]
    w.expandAll()
    with qtbot.waitSignal(w.place_chosen) as sig:
        rect = w.visualItemRect(italy.child(0))
        qtbot.mouseClick(w.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == ["Florence"]


META = {
    "taken": "2025-07-14T18:03:11", "utc_offset_min": 120, "time_zone": "Europe/Rome", "make": "NIKON CORPORATION",
    "model": "NIKON D750", "lens": "24.0-120.0 mm f/4.0", "focal_mm": 35.0, "f_number": 5.6, "exposure_s": 0.004,
    "iso": 400, "latitude": 43.7629, "longitude": 11.265, "city": "Florence", "region": "Tuscany", "country": "Italy",
}  # fmt: skip


def test_preview_metadata_lines(qtbot: Any) -> None:
    # the date taken is the details' one 'Date taken' line (taken_line), no longer repeated here
    assert taken_line(META) == "2025-07-14 18:03 (UTC+02:00) Europe/Rome"
    assert meta_lines(META) == [
        "NIKON D750",
        "24.0-120.0 mm f/4.0",
        "35 mm · f/5.6 · 1/250 s · ISO 400",
        "Florence, Tuscany, Italy",
        "43.762900, 11.265000",
    ]
    w = MetaLines()
    qtbot.addWidget(w)
    w.set_meta(META)
    w.show()
    assert "43.762900, 11.265000" in w.text()
    assert w.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    w.set_meta(None)
    assert not w.isVisible()
    assert meta_lines({"taken": "2024-01-01T10:00:00", "utc_offset_min": -210}) == []
    assert (
        taken_line({"taken": "2024-01-01T10:00:00", "utc_offset_min": -210}) == "2024-01-01 10:00 (UTC−03:30)"
    )
