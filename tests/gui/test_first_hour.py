"""Issue 18's Must-show journey, on the real window: a person's first hour.

first run (no model, no folder) → import the test model from the set-up prompt → add a folder → a typed query's
results appear while indexing runs and grow as photos arrive, with nothing retyped → add a folder inside it
(told it is already covered) → remove it (nothing lost) → while the window is open, the CLI's `folders add` and
`models import` are handed over to it: both succeed, and the window shows them.

Indexing is held after its first batch (a gate in the service's change callback, on its worker thread) so
"results while indexing runs" is a fixed point of the test rather than a race; everything else is the real
service, catalog, index and model."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from photosearch.app import handover
from photosearch.config import Paths
from photosearch.indexing.service import IndexingService
from tests.e2e.helpers import make_photos, run_cli
from tests.gui.conftest import wait_listed

N = 36
BATCH = 12
HELD = threading.Event()
RELEASE = threading.Event()


class GatedService(IndexingService):
    """The real service, in batches of 12, that waits after its first embedded batch until the test lets it go."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw["batch_size"] = BATCH
        super().__init__(*args, **kw)
        inner = self.on_change

        def gated() -> None:
            if inner is not None:
                inner()
            if self._session_done >= BATCH and not RELEASE.is_set():
                HELD.set()
                RELEASE.wait(120)

        self.on_change = gated


def _in_thread(qtbot: Any, fn: Any) -> Any:
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()))
    t.start()
    qtbot.waitUntil(lambda: "r" in out, timeout=120000)  # the window keeps turning meanwhile
    t.join()
    return out["r"]


def test_the_first_hour(
    qtbot: Any,
    make_window: Any,
    tmp_path: Path,
    data_dir: Path,
    shapes_model: Path,
    tiny_model: Path,
    monkeypatch: Any,
) -> None:
    from models.tools.shapes import make_library
    from photosearch.gui.app import start_owner

    if not handover.supported():
        pytest.skip("AF_UNIX sockets only")
    HELD.clear()
    RELEASE.clear()
    photos = tmp_path / "photos"
    made = make_library(photos, N, seed=11)
    spec = made[0][1]  # the first photo scanned (in name order) is in the first batch
    inner = photos / "camera"  # a folder inside it, which a person may add again later
    make_photos(inner, 2, seed=3)
    total = N + 2
    paths = Paths.resolve(data_dir)

    # -- first run: nothing yet; the window says what to do and offers a model
    w = make_window(paths, prompt_model=True, service_factory=GatedService)
    owner = start_owner(w, paths)
    try:
        qtbot.waitUntil(lambda: w.model_dialog is not None, timeout=10000)
        assert w.stack.currentWidget() is w.welcome
        assert w.status.text() == "No search model yet"
        strict = w.steer.strictness  # no model: its line is neither calibrated nor uncalibrated yet
        assert strict.itemText(strict.findData(3)) == "3 · default"

        # -- import the test model from the prompt
        monkeypatch.setattr(w, "choose_model_folder", lambda: str(shapes_model))
        w.model_dialog.import_button.click()
        qtbot.waitUntil(lambda: w.search.engine is not None, timeout=30000)
        qtbot.waitUntil(lambda: w.model_dialog is None, timeout=10000)
        assert w.search.engine.runtime.package.manifest.name in w.windowTitle()
        assert strict.itemText(strict.findData(3)) == "3 · calibrated"  # the shapes model's own line

        # -- add a folder (the welcome's button) and type a query at once: indexing starts by itself
        monkeypatch.setattr(w, "choose_folder", lambda _title: str(photos))
        w.welcome.button.click()
        qtbot.waitUntil(lambda: w.state.summary.folders != (), timeout=15000)
        # -- while indexing runs (held after its first batch), a typed query's results appear ...
        qtbot.waitUntil(HELD.is_set, timeout=60000)
        typed = f"a {spec.size} {spec.colour} {spec.shape}"
        qtbot.keyClicks(w.query_bar.field, typed)
        qtbot.keyPress(w.query_bar.field, "\r")
        qtbot.waitUntil(lambda: w.model.rowCount() > 0 and w.stack.currentWidget() is w.view, timeout=30000)
        first = w.model.rowCount()
        assert first < total
        assert w.status.indexing_busy
        # -- ... and grow as the rest arrive, with nothing retyped
        RELEASE.set()
        qtbot.waitUntil(lambda: w.state.summary.visible == total, timeout=60000)
        qtbot.waitUntil(lambda: w.model.rowCount() > first, timeout=30000)
        qtbot.waitUntil(lambda: not w.search.busy, timeout=30000)
        assert w.query_bar.text == typed
        assert w.current_request is not None and w.current_request.text == typed

        # -- a folder inside the added one: told it is already covered; nothing added
        w.folders.add_folder(str(inner))
        qtbot.waitUntil(lambda: getattr(w, "last_error_box", None) is not None, timeout=15000)
        assert "already covered" in w.last_error_box.text()
        assert w.last_error_box.windowTitle() == "This folder is already in your library"
        assert [f.path for f in w.lib.folders()] == [str(photos.resolve())]
        w.last_error_box.close()
        w.last_error_box = None

        # -- remove it: nothing is lost (it is part of the added folder)
        w.folders.remove_folder(str(inner))
        qtbot.waitUntil(lambda: w.last_error_box is not None, timeout=15000)
        assert "nothing was removed" in w.last_error_box.text()
        assert w.lib.catalog.visible_count() == total

        # -- the CLI while the window is open: handed over, done by the window, shown by it
        more = tmp_path / "more"
        make_photos(more, 3, seed=9)
        r = _in_thread(qtbot, lambda: run_cli(data_dir, "folders", "add", str(more), check=False))
        assert r.returncode == 0, r.stderr
        assert "done by the running PhotoSearch" in r.stdout
        qtbot.waitUntil(lambda: str(more.resolve()) in [f.path for f in w.folders.folders()], timeout=15000)
        qtbot.waitUntil(lambda: w.state.summary.visible == total + 3, timeout=60000)  # indexed at once

        manager = wait_listed(qtbot, w.open_model_manager())
        before = {row.id for row in manager.rows if row.installed}
        r = _in_thread(qtbot, lambda: run_cli(data_dir, "models", "import", str(tiny_model), check=False))
        assert r.returncode == 0, r.stderr
        assert "done by the running PhotoSearch" in r.stdout
        qtbot.waitUntil(
            lambda: len({row.id for row in manager.rows if row.installed} - before) == 1, timeout=15000
        )
        # the search model did not change under the person
        assert w.search.engine.runtime.id == w.lib.active_model_id()
        manager.close()
    finally:
        RELEASE.set()
        owner.stop()
