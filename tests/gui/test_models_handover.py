"""`photosearch models import` (and `use`) while the window owns the library: handed over to the window, which
does it off its UI thread and shows the new model (its engine loads, the set-up prompt closes); the CLI exits 0.
Before, the CLI copied the model and then failed on the writer lock (exit 4)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from photosearch.app import handover
from tests.e2e.helpers import make_photos, run_cli
from tests.support.library import prepare_library


def _cli(qtbot: Any, *argv: str) -> Any:
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.setdefault("r", run_cli(*argv)))
    t.start()
    qtbot.waitUntil(lambda: "r" in out, timeout=120000)  # the window answers on its own thread meanwhile
    t.join()
    return out["r"]


def test_models_import_and_use_while_the_window_is_open(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, shapes_model: Path, tiny_model: Path
) -> None:
    from photosearch.gui.app import start_owner

    if not handover.supported():
        pytest.skip("AF_UNIX sockets only")
    pics = tmp_path / "pics"
    make_photos(pics, 4)
    paths = prepare_library(data_dir, model=None, photos=pics, index=False)
    w = make_window(paths, prompt_model=True)
    qtbot.waitUntil(lambda: w.model_dialog is not None, timeout=10000)  # first run: "set up a model"
    owner = start_owner(w, paths)
    try:
        r = _cli(qtbot, data_dir, "models", "import", str(shapes_model))
        assert r.returncode == 0, r.stderr
        assert "done by the running PhotoSearch" in r.stdout
        # the window shows it: the engine of the new model loads, the prompt is answered, the title names it
        qtbot.waitUntil(lambda: w.search.engine is not None, timeout=30000)
        qtbot.waitUntil(lambda: w.model_dialog is None, timeout=5000)
        name = w.search.engine.runtime.package.manifest.name
        assert name in w.windowTitle()
        shapes_id = w.lib.active_model_id()
        assert shapes_id is not None
        # a second model: installed, not active (nothing changes under the person)
        r = _cli(qtbot, data_dir, "models", "import", str(tiny_model))
        assert r.returncode == 0, r.stderr
        assert w.lib.active_model_id() == shapes_id
        tiny_id = next(m.id for m in w.lib.installed_models() if m.id != shapes_id)
        # `models use` through the window: the switch begins there (searches keep the old model meanwhile)
        r = _cli(qtbot, data_dir, "models", "use", tiny_id, "--json")
        assert r.returncode == 0, r.stderr
        assert '"target"' in r.stdout
    finally:
        owner.stop()
