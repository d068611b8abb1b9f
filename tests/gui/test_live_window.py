"""The window follows changes that are not handed over to it: a model copied into the data directory's
models/ by another process (found by the window's periodic check, off the UI thread) is loaded and searched
with; photos another process indexes appear in the current results without retyping."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests.e2e.helpers import make_photos
from tests.support.library import prepare_library


def test_a_model_copied_in_by_another_process_is_picked_up(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    from photosearch.models.install import install_package_dir

    pics = tmp_path / "pics"
    make_photos(pics, 3)
    paths = prepare_library(data_dir, model=None, photos=pics, index=False)
    w = make_window(paths, prompt_model=True)
    qtbot.waitUntil(lambda: w.model_dialog is not None, timeout=10000)
    assert w.search.engine is None
    # another process copies a model in (a thread here: the window is not told, it has to notice)
    t = threading.Thread(target=lambda: install_package_dir(shapes_model, paths.models_dir))
    t.start()
    t.join()
    qtbot.waitUntil(lambda: w.search.engine is not None, timeout=30000)
    qtbot.waitUntil(lambda: w.model_dialog is None, timeout=5000)  # the "set up a model" prompt is answered
    assert w.search.engine.runtime.package.manifest.name in w.windowTitle()
    # and indexing starts: the photos become searchable without anything typed
    qtbot.waitUntil(lambda: w.state.summary.visible == 3, timeout=30000)
