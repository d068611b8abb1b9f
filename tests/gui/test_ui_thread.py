"""The UI thread never waits on the catalog: while another thread holds the catalog's lock (a slow disk, a
long indexer commit), the window still adds a folder, shows indexing progress, refreshes its folder list and
counts and starts a search — all of that reads or writes the catalog on worker threads — and its event
loop keeps turning. Ordering, not timing: the UI's turn is recorded before the lock is let go."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from models.tools.shapes import make_library
from photosearch.progress import Progress, ProgressPhase
from tests.gui.conftest import prepare_library, wait_results


def test_the_window_keeps_turning_while_the_catalog_lock_is_held(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    photos, more = tmp_path / "photos", tmp_path / "more"
    make_library(photos, 12, seed=3)
    make_library(more, 4, seed=4)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=True))
    wait_results(qtbot, w)
    qtbot.waitUntil(lambda: w.indexing.service.idle, timeout=30000)  # its start-up scan is over
    cat = w.lib.catalog
    held, release = threading.Event(), threading.Event()
    order: list[str] = []

    def hold() -> None:
        with cat._lock:  # what a slow commit by the indexer does
            held.set()
            release.wait(60)
            order.append("lock released")

    t = threading.Thread(target=hold, name="holds-the-catalog")
    t.start()
    try:
        assert held.wait(10)
        w.folders.add_folder(str(more))  # the folder verb runs on the library worker
        w.indexing.progress.emit(Progress(ProgressPhase.IDLE, 4, 4, encoded=4))  # status line + a refresh
        w.state.refresh()
        w.query_bar.set_text("red")  # a search
        QTimer.singleShot(0, lambda: order.append("ui turned"))
        qtbot.waitUntil(lambda: "ui turned" in order, timeout=30000)
        assert w.status.text().startswith("12 photos indexed")  # from the last summary, not the catalog
    finally:
        release.set()
        t.join(10)
    assert order == ["ui turned", "lock released"]
    # and once the lock is free, everything that waited for it completes
    qtbot.waitUntil(lambda: len(w.state.summary.folders) == 2, timeout=30000)
    qtbot.waitUntil(lambda: w.current_request.text == "red" and not w.search.busy, timeout=30000)
