"""The model manager's use and remove (search models and text readers) and the first run's recommendation
run on worker threads, never on the UI thread: each app-layer call is spied on, records the thread it ran on,
and is held until the test has seen the dialog busy (its bar shown, the row verbs disabled) and its event loop
turning. Before, ``use_model`` (it counts the missing embeddings), ``remove_model``, ``use_text_reader`` and
``recommend_model`` (it probes the machine) ran on the UI thread: a slow disk or a held catalog lock froze
the window."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from photosearch.config import Paths
from tests.gui.conftest import prepare_library, wait_listed


class Held:
    """Wraps an app-layer function: records the thread each call ran on and holds it until released."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.threads: list[threading.Thread] = []
        self.held, self.release = threading.Event(), threading.Event()

    def __call__(self, *a: Any, **k: Any) -> Any:
        self.threads.append(threading.current_thread())
        self.held.set()
        self.release.wait(30)
        return self.real(*a, **k)

    def check_ui_turns(self, qtbot: Any) -> None:
        """While the call is held, the UI thread's event loop still turns (it is not the one waiting)."""
        assert self.held.wait(10), "the app-layer call was never made"
        turned: list[bool] = []
        QTimer.singleShot(0, lambda: turned.append(True))
        qtbot.waitUntil(lambda: bool(turned), timeout=5000)

    def off_ui(self) -> bool:
        return bool(self.threads) and all(t is not threading.main_thread() for t in self.threads)

    def click_held(self, qtbot: Any, dlg: Any, button: Any, status: str | None = None) -> None:
        """Click ``button``; while the call is held the UI turns and the dialog is busy (saying ``status`` when
        given); released, the dialog settles and the call is seen to have run off the UI thread."""
        button.click()
        try:
            self.check_ui_turns(qtbot)
            _busy(dlg)
            if status is not None:
                assert dlg.status.text() == status
        finally:
            self.release.set()
        qtbot.waitUntil(lambda: dlg.busy is None and not dlg.loading, timeout=30000)
        assert self.off_ui(), self.threads


def _busy(dlg: Any) -> None:
    assert dlg.busy is not None and dlg.bar.isVisibleTo(dlg) and dlg.status.text().endswith("…")
    for b in (dlg.use_button, dlg.remove_button, dlg.install_button, dlg.calibrate_button):
        assert not b.isEnabled()
    assert not dlg.readers.use_button.isEnabled() and not dlg.readers.remove_button.isEnabled()


def test_use_and_remove_a_search_model_run_off_the_ui_thread(
    qtbot: Any,
    make_window: Any,
    data_dir: Path,
    tiny_model: Path,
    shapes_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from photosearch.app import models as app_models
    from photosearch.models.install import install_package_dir

    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    install_package_dir(shapes_model, paths.models_dir)  # a second model, installed, not in use
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    use, remove = Held(app_models.use_model), Held(app_models.remove_model)
    monkeypatch.setattr(app_models, "use_model", use)
    monkeypatch.setattr(app_models, "remove_model", remove)

    dlg.select("shapes-tiny")
    use.click_held(qtbot, dlg, dlg.use_button, status="Switching to Shapes (test model)…")  # by its name
    assert dlg.status.text() == "Switched." and w.lib.active_model_id() == "shapes-tiny"
    assert next(r for r in dlg.rows if r.id == "shapes-tiny").active

    dlg.confirm_remove = lambda r: True
    dlg.select("tiny-random")
    remove.click_held(qtbot, dlg, dlg.remove_button)
    assert dlg.status.text().startswith("Removed ") and "tiny-random" not in [
        r.id for r in dlg.rows if r.installed
    ]
    # the removed row is gone: the first row (shapes: active, installed) is chosen, not nothing
    assert dlg.selected() is not None and dlg.selected().id == "shapes-tiny"
    assert not dlg.use_button.isEnabled() and dlg.remove_button.isEnabled()


def test_a_text_readers_use_and_remove_run_off_the_ui_thread(
    qtbot: Any,
    make_window: Any,
    data_dir: Path,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from photosearch.app import models as app_models
    from photosearch.models.text_reader_pkg import BUNDLED_ID, CHOICE_KEY
    from photosearch.text.ocr import model_dir

    folder = tmp_path / "rec-model"
    folder.mkdir()
    shutil.copy(model_dir() / "PP-OCRv6_rec_small.onnx", folder / "PP-OCRv6_rec_small.onnx")
    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    added = app_models.import_model(str(folder), paths, ("latin",))[0]
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    panel = dlg.readers
    use, remove = Held(app_models.use_text_reader), Held(app_models.remove_model)
    monkeypatch.setattr(app_models, "use_text_reader", use)
    monkeypatch.setattr(app_models, "remove_model", remove)

    panel.table.selectRow([r.id for r in panel.rows].index(added.id))
    use.click_held(qtbot, dlg, panel.use_button)
    assert w.lib.catalog.get_meta(CHOICE_KEY) == added.id
    assert next(r for r in panel.rows if r.id == added.id).chosen
    assert dlg.status.text().startswith("New photos' text is now read with")

    dlg.confirm_remove_reader = lambda name: True
    panel.table.selectRow([r.id for r in panel.rows].index(added.id))
    remove.click_held(qtbot, dlg, panel.remove_button)
    assert [r.id for r in panel.rows] == [BUNDLED_ID] and panel.rows[0].chosen
    assert dlg.status.text().startswith("Removed ")


def test_the_first_run_recommendation_is_worked_out_off_the_ui_thread(
    qtbot: Any, make_window: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.app import models as app_models

    rec = Held(app_models.recommend_model)
    monkeypatch.setattr(app_models, "recommend_model", rec)
    try:
        w = make_window(Paths.resolve(data_dir), prompt_model=True)
        qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible(), timeout=10000)
        dlg = w.model_dialog
        rec.check_ui_turns(qtbot)
        # meanwhile the card says what it is doing and its button waits
        assert dlg.recommending and dlg.reason.text().startswith("Looking at this computer")
        assert not dlg.install_button.isEnabled() and dlg.install_button.text() == "Install"  # no name yet
    finally:
        rec.release.set()
    qtbot.waitUntil(lambda: not w.model_dialog.recommending, timeout=10000)
    assert rec.off_ui(), rec.threads
    assert dlg.recommended is not None and dlg.reason.text().startswith("Recommended for this computer")
    assert dlg.install_button.isEnabled() and dlg.install_button.text() == f"Install {dlg.rec_name.text()}"


def test_after_a_switch_that_reads_the_photos_again_the_chosen_row_stays_chosen(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, shapes_model: Path, tmp_path: Path
) -> None:
    from models.tools.shapes import make_library
    from photosearch.models.install import install_package_dir

    make_library(tmp_path / "photos", 4, seed=2)
    paths = prepare_library(data_dir, model=shapes_model, photos=tmp_path / "photos", index=True)
    install_package_dir(tiny_model, paths.models_dir)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    dlg.select("tiny-random")
    dlg.use_button.click()
    qtbot.waitUntil(lambda: dlg.busy == "switch", timeout=30000)  # 4 photos to read with it
    qtbot.waitUntil(lambda: dlg.busy is None and not dlg.loading, timeout=60000)
    assert dlg.status.text().startswith("Switched"), dlg.status.text()
    assert dlg.rows[0].id != "tiny-random"  # it is not the first row ...
    assert dlg.selected() is not None and dlg.selected().id == "tiny-random"  # ... and stays chosen
    assert dlg.selected().active


def test_a_chosen_folder_is_looked_at_off_the_ui_thread(
    qtbot: Any,
    make_window: Any,
    data_dir: Path,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'Import a model folder…': whether the chosen folder holds a text reader is read on the worker (the
    folder may be on a slow disk), then the import; before, that look ran on the UI thread."""
    from photosearch.app import models as app_models
    from photosearch.text.ocr import model_dir

    folder = tmp_path / "rec-model"
    folder.mkdir()
    shutil.copy(model_dir() / "PP-OCRv6_rec_small.onnx", folder / "PP-OCRv6_rec_small.onnx")
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=None, index=False))
    dlg = wait_listed(qtbot, w.open_model_manager())
    look = Held(app_models.looks_like_text_reader)
    monkeypatch.setattr(app_models, "looks_like_text_reader", look)
    dlg.choose_folder = lambda: str(folder)
    look.click_held(qtbot, dlg, dlg.import_button)
    assert "Text readers" in dlg.status.text()  # sent there: its script is asked for, never guessed
