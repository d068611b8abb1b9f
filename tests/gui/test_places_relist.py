"""The side bar's place list is read again only when places may have changed: a library summary that follows no
change of the catalog (a model copied in, a second summary for the same state) reads nothing; a change (the
metadata pass, another process's commit) is shown; a burst of changes (indexing batches) is read at most once
per RELIST_MS with the last one always shown."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from photosearch.config import Paths
from photosearch.gui import places_controller
from photosearch.indexing.meta_steps import MetaPass
from photosearch.library.library import Library
from photosearch.store.catalog import Catalog
from tests.gui.conftest import prepare_library, wait_results
from tests.support.exif_photos import make_place_library


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


def test_the_place_list_is_read_again_only_after_a_change(
    qtbot: Any,
    make_window: Any,
    tmp_path: Path,
    data_dir: Path,
    shapes_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_place_library(tmp_path / "photos")
    paths = prepare_library(data_dir, model=shapes_model, photos=tmp_path / "photos", index=True)
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
    pc = w.places
    qtbot.waitUntil(lambda: "Italy" in _countries(pc), timeout=10000)
    _settled(qtbot, pc)
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
