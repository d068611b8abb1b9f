"""The side bar's place list is read again only when places may have changed: a library summary that follows no
change of the catalog (a model copied in, a second summary for the same state) reads nothing; a change (the
metadata pass, another process's commit) is shown; a burst of changes (indexing batches) is read at most once
per RELIST_MS with the last one always shown. It follows the catalog's place stamp, not every change: photos
indexed (and their metadata read) by the window's own service without a GPS position don't make it read the
list again — only the "Without a location" count moves —; a photo with a position is listed under its new
place; a change that is no place's (a placed photo deleted) is read once the catalog has been quiet for
QUIET_MS."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from models.tools import shapes
from photosearch.config import Paths
from photosearch.gui import places_controller
from photosearch.indexing.meta_steps import MetaPass
from photosearch.library.library import Library
from photosearch.store.catalog import Catalog
from tests.gui.conftest import prepare_library, wait_results
from tests.support.exif_photos import make_exif, make_place_library, write


def _countries(pc: Any) -> dict[str, int]:
    tree = pc.places
    return {
        tree.topLevelItem(i).text(0): int(tree.topLevelItem(i).text(1))
        for i in range(tree.topLevelItemCount())
    }


def _cities(pc: Any) -> set[str]:
    tree = pc.places
    return {
        tree.topLevelItem(i).child(j).text(0)
        for i in range(tree.topLevelItemCount())
        for j in range(tree.topLevelItem(i).childCount())
    }


def _settled(qtbot: Any, pc: Any) -> None:
    qtbot.waitUntil(lambda: not pc._listing and not pc._again and not pc._later.isActive(), timeout=10000)


@pytest.fixture
def place_window(
    qtbot: Any,
    make_window: Any,
    tmp_path: Path,
    data_dir: Path,
    shapes_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Any, Paths, list[int]]:
    """A window on an indexed place library (``tmp_path / "photos"``) with its metadata read, its place list
    shown; and a list that gets an entry each time the place list is read."""
    photos = tmp_path / "photos"
    make_place_library(photos)
    paths = prepare_library(data_dir, model=shapes_model, photos=photos, index=True)
    with Library(paths, write=True, purpose="test") as lib:
        MetaPass(lib.catalog).run()
    reads: list[int] = []
    real = places_controller.list_places

    def counted(catalog: Any) -> Any:
        reads.append(1)
        return real(catalog)

    monkeypatch.setattr(places_controller, "list_places", counted)
    w = make_window(Paths.resolve(data_dir))
    wait_results(qtbot, w)
    qtbot.waitUntil(lambda: "Italy" in _countries(w.places), timeout=10000)
    _settled(qtbot, w.places)
    return w, paths, reads


def test_the_place_list_is_read_again_only_after_a_change(
    qtbot: Any, place_window: tuple[Any, Paths, list[int]]
) -> None:
    w, paths, reads = place_window
    pc = w.places
    pc.RELIST_MS = 0  # no pause between reads: what is left to skip a read is the catalog's change counter
    catalog = w.library.catalog
    # the window's own background writes (placeholder colours, the folder check) must not land in this part:
    # the catalog's counter is held at one value, as it is when nothing writes
    quiet = catalog.change_counter()
    catalog.change_counter = lambda: quiet
    try:
        pc.refresh_places()
        _settled(qtbot, pc)
        before = len(reads)
        for _ in range(5):  # summaries that follow no change of the catalog (a model copied in, a re-check)
            w.state.updated.emit(w.state.summary)
            _settled(qtbot, pc)
        assert len(reads) == before
    finally:
        del catalog.change_counter
    assert "Portugal" not in _countries(pc)

    other = Catalog(paths.catalog)  # another connection commits (the metadata pass, another process)
    try:
        _row, meta = next((f, m) for f, m in other.visible_with_meta() if m is not None and m.country_code)
        other.put_metas([replace(meta, country_code="PT", region="Porto", city="Porto")])
        w.state.updated.emit(w.state.summary)
        qtbot.waitUntil(lambda: _countries(pc).get("Portugal") == 1, timeout=10000)

        pc.RELIST_MS = (
            60_000  # a burst of changes while indexing runs: one read now, the rest folded in later
        )
        _settled(qtbot, pc)
        start = len(reads)
        for i in range(10):
            other.put_metas([replace(meta, country_code="PT", region="Porto", city=f"Porto {i}")])
            w.state.updated.emit(w.state.summary)
        qtbot.waitUntil(lambda: not pc._listing, timeout=10000)
        assert len(reads) <= start + 1 and pc._later.isActive()  # the rest waits for the pause to end
        assert not any(c.startswith("Porto ") for c in _cities(pc))
        pc._later.stop()
        pc.RELIST_MS = 0
        pc._listed_at = None
        pc.refresh_places()  # the pause is over: the last change is read
        qtbot.waitUntil(lambda: "Porto 9" in _cities(pc), timeout=10000)
        assert len(reads) <= start + 2 and "Porto 8" not in _cities(pc)
    finally:
        other.close()


LISBON = (38.7223, -9.1393)


def _photo(folder: Path, name: str, i: int, gps: tuple[float, float] | None) -> Path:
    spec = shapes.Spec(shapes.SHAPES[i % 6], shapes.COLOURS[(i + 3) % 6], "small", "top left")
    img = shapes.render(spec)
    img.putpixel((i, i), (i * 7 % 256, 0, 0))  # distinct content: its own hash
    return write(folder / f"{name}.jpg", "JPEG", make_exif(gps=gps), img=img)


def _all_read(w: Any, total: int) -> bool:
    read, photos = w.lib.catalog.meta_counts()
    return photos == total and read == total and w.indexing.service.idle and w.state.summary.visible == total


def test_photos_without_a_place_do_not_read_the_list_and_a_placed_one_does(
    qtbot: Any, tmp_path: Path, place_window: tuple[Any, Paths, list[int]]
) -> None:
    w, paths, reads = place_window
    photos = tmp_path / "photos"
    total = w.lib.catalog.visible_count()
    pc = w.places
    pc.RELIST_MS = 0  # every summary is looked at at once: only the stamp keeps the list from being read
    pc.QUIET_MS = 600_000  # changes that are no place's wait for quiet (longer than this test)
    pc._quiet.stop()
    unplaced = _countries(pc)["Without a location"]
    before = len(reads)

    # three photos without a position: scanned, embedded and their metadata read by the window's service
    for i in range(3):
        _photo(photos, f"plain_{i}", i, None)
    w.indexing.service.request_scan()
    total += 3
    qtbot.waitUntil(lambda: _all_read(w, total), timeout=60000)
    qtbot.waitUntil(lambda: _countries(pc)["Without a location"] == unplaced + 3, timeout=10000)
    qtbot.waitUntil(lambda: not pc._listing, timeout=10000)
    assert len(reads) == before  # the list was not read again ...
    assert pc._quiet.isActive()  # ... the catalog's other changes wait for it to be quiet
    assert "Portugal" not in _countries(pc)

    # a photo with a position: the list is read and shows its place
    _photo(photos, "lisbon", 5, LISBON)
    w.indexing.service.request_scan()
    total += 1
    qtbot.waitUntil(lambda: _countries(pc).get("Portugal") == 1, timeout=60000)
    assert len(reads) > before
    assert _countries(pc)["Without a location"] == unplaced + 3

    # a placed photo deleted by another connection: no place written, read once the catalog is quiet
    qtbot.waitUntil(lambda: _all_read(w, total), timeout=60000)
    other = Catalog(paths.catalog)
    try:
        lisbon = other.file_by_path(str((photos / "lisbon.jpg").resolve()))
        assert lisbon is not None
        stamp = other.places_stamp()
        other.delete_files([lisbon.id])
        assert other.places_stamp() == stamp
    finally:
        other.close()
    pc.QUIET_MS = 200
    w.state.refresh()
    qtbot.waitUntil(lambda: "Portugal" not in _countries(pc), timeout=10000)
