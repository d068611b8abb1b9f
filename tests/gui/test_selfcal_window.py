"""Issue 20: calibrating a model's relevance line on this library from the window — the model manager's
"Calibrate on this library" (the same verb as ``photosearch models calibrate``, off the UI thread), and
``photosearch models calibrate`` handed to the open window — on real widgets (pytest-qt, offscreen), a real
library and an uncalibrated copy of the shapes test model. The window's search engine takes the new line at its
next search, without being reloaded."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from photosearch.app import handover
from photosearch.search.line import LineSource
from tests.gui.conftest import prepare_library, wait_listed
from tests.support.cli import run_cli
from tests.support.uncalibrated import MODEL_ID, shape_photos, uncalibrated_model

N = 44


@pytest.fixture
def paths(tmp_path: Path, data_dir: Path, shapes_model: Path) -> Any:
    model = uncalibrated_model(shapes_model, tmp_path / "models" / MODEL_ID)
    photos = tmp_path / "photos"
    shape_photos(photos, N)
    return prepare_library(data_dir, model=model, photos=photos, index=True)


def test_calibrate_on_this_library_from_the_model_manager(qtbot: Any, make_window: Any, paths: Any) -> None:
    w = make_window(paths)
    engine = w.search.engine
    assert engine.line_and_source("text")[1] is LineSource.UNCALIBRATED
    dlg = wait_listed(qtbot, w.open_model_manager())
    dlg.select(MODEL_ID)
    assert "Relevance line for text: uncalibrated" in dlg.details.text()
    assert dlg.calibrate_button.isEnabled()
    ui = threading.get_ident()
    seen: list[int] = []
    from photosearch.app import calibrate

    real = calibrate.selfcal.calibrate_engine

    def spy(*a: Any, **k: Any) -> Any:
        seen.append(threading.get_ident())
        return real(*a, **k)

    calibrate.selfcal.calibrate_engine = spy  # type: ignore[assignment]
    try:
        dlg.calibrate_button.click()
        qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
    finally:
        calibrate.selfcal.calibrate_engine = real  # type: ignore[assignment]
    assert seen and seen[0] != ui  # off the UI thread
    assert f"Calibrated on this library: {N} photos, 480 made-up queries" in dlg.status.text()
    assert "Relevance line for text: calibrated on this library" in dlg.details.text()
    # the window's engine (not reloaded) searches with the new line
    assert w.search.engine is engine
    assert engine.line_and_source("text")[1] is LineSource.LIBRARY
    assert engine.search_text("xyzzy qwerty").no_good_matches
    hit = engine.search_text("a red circle")
    assert not hit.no_good_matches and hit.results[0].passed


def test_models_calibrate_is_handed_to_the_open_window(qtbot: Any, make_window: Any, paths: Any) -> None:
    from photosearch.gui.app import start_owner

    if not handover.supported():
        pytest.skip("AF_UNIX sockets only")
    w = make_window(paths)
    owner = start_owner(w, paths)
    try:
        out: dict[str, Any] = {}
        t = threading.Thread(
            target=lambda: out.setdefault("r", run_cli(paths.data_dir, "models", "calibrate"))
        )
        t.start()
        qtbot.waitUntil(lambda: "r" in out, timeout=120000)  # the window answers on its own thread meanwhile
        t.join()
        r = out["r"]
        assert r.returncode == 0, r.stderr
        assert "done by the running PhotoSearch" in r.stdout and f"{N} photos" in r.stdout
        assert w.search.engine.line_and_source("text")[1] is LineSource.LIBRARY
        assert w.search.engine.search_text("xyzzy qwerty").no_good_matches
    finally:
        owner.stop()
