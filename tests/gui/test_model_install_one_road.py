"""The window installs and imports models through the same app-layer verbs as 'photosearch models install /
import' (``photosearch.app.model_install``): the package installed and, where it should be, chosen — or
nothing. Before, the model manager and the first-run dialog installed the package first and chose it after:
when the library could not record the choice (a full disk, a catalog refusing the write) the package stayed
installed. Real widgets (pytest-qt), a real library, a local hub speaking the hub's protocol; the catalog's
refusal is SQLite's own error for a full disk, raised by the window's real catalog when the model choice is
written."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from photosearch.config import Paths
from photosearch.indexing.switching import TARGET_MODEL_KEY
from photosearch.library.library import ACTIVE_MODEL_KEY
from tests.conftest import SHAPES_MODEL
from tests.gui import test_model_manager as manager_tests
from tests.gui.conftest import prepare_library, wait_listed

hub = manager_tests.hub  # the local hub serving 'tiny-a' (our package) and 'tiny-b' (an Immich export)


def _packages(paths: Paths) -> list[str]:
    """Every folder in models/ but the text readers' (leftovers such as .incoming-… included)."""
    if not paths.models_dir.is_dir():
        return []
    return sorted(p.name for p in paths.models_dir.iterdir() if p.name != "text-readers")


def _refuse_the_choice(monkeypatch: pytest.MonkeyPatch, lib: Any) -> list[str]:
    """The window's catalog refuses to record a model choice, as SQLite does on a full disk."""
    refused: list[str] = []
    real = lib.catalog.set_meta

    def set_meta(key: str, value: Any) -> None:
        if key in (ACTIVE_MODEL_KEY, TARGET_MODEL_KEY) and value is not None:
            refused.append(str(value))
            raise sqlite3.OperationalError("database or disk is full")
        real(key, value)

    monkeypatch.setattr(lib.catalog, "set_meta", set_meta)
    return refused


def test_the_managers_install_that_the_library_cannot_record_installs_nothing(
    qtbot: Any, make_window: Any, data_dir: Path, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = prepare_library(data_dir, model=None, photos=None, index=False)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    real_set_meta = w.lib.catalog.set_meta
    refused = _refuse_the_choice(monkeypatch, w.lib)
    dlg.select("tiny-a")
    dlg.install_button.click()
    qtbot.waitUntil(lambda: dlg.busy is None and not dlg.loading, timeout=60000)
    assert refused == ["tiny-random"]  # downloaded and installed, then the choice could not be written
    assert "is full" in dlg.status.text() and "not installed" in dlg.status.text(), dlg.status.text()
    assert _packages(paths) == []  # nothing installed, no leftover
    assert w.lib.catalog.get_meta(ACTIVE_MODEL_KEY) is None
    assert not manager_tests._row(dlg, "tiny-a").installed and w.search.engine is None
    assert not (paths.downloads_dir / "tiny-a").exists() or not any(
        (paths.downloads_dir / "tiny-a").iterdir()
    )

    monkeypatch.setattr(w.lib.catalog, "set_meta", real_set_meta)  # room again: the same button works
    dlg.select("tiny-a")
    dlg.install_button.click()
    qtbot.waitUntil(lambda: dlg.busy is None and not dlg.loading, timeout=60000)
    assert dlg.status.text() == "Installed Tiny random test model.", dlg.status.text()
    assert w.lib.active_model_id() == "tiny-random"


def test_the_managers_import_that_the_library_cannot_record_installs_nothing(
    qtbot: Any, make_window: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = prepare_library(data_dir, model=None, photos=None, index=False)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    refused = _refuse_the_choice(monkeypatch, w.lib)
    dlg.import_folder(str(SHAPES_MODEL))
    qtbot.waitUntil(lambda: dlg.busy is None and not dlg.loading, timeout=60000)
    assert refused == ["shapes-tiny"]
    assert "is full" in dlg.status.text() and "not installed" in dlg.status.text(), dlg.status.text()
    assert _packages(paths) == [] and w.lib.catalog.get_meta(ACTIVE_MODEL_KEY) is None
    assert not [r for r in dlg.rows if r.installed]


def test_the_first_run_install_that_the_library_cannot_record_keeps_the_old_model(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first-run dialog chooses the model it installs ('models install --use'): refused, the model in use
    stays in use and the new package is gone."""
    paths = prepare_library(data_dir, model=SHAPES_MODEL, photos=None, index=False)
    w = make_window(paths)
    assert w.lib.active_model_id() == "shapes-tiny"
    refused = _refuse_the_choice(monkeypatch, w.lib)
    dlg = w.models.open_model_dialog()
    qtbot.waitUntil(lambda: not dlg.recommending, timeout=30000)
    dlg.list.setCurrentRow(0)
    assert dlg.install_button.isEnabled()
    dlg.install_button.click()
    qtbot.waitUntil(lambda: not dlg.bar.isVisible(), timeout=60000)
    assert refused == ["tiny-random"]
    assert "could not be installed" in dlg.note.text() and "is full" in dlg.note.text(), dlg.note.text()
    assert dlg.isVisible()  # not closed as if it had worked
    assert _packages(paths) == ["shapes-tiny"]
    assert w.lib.active_model_id() == "shapes-tiny" and w.lib.catalog.get_meta(TARGET_MODEL_KEY) is None
    dlg.reject()


def test_a_normal_install_through_the_window_chooses_the_first_model_as_before(
    qtbot: Any, make_window: Any, data_dir: Path, hub: Any
) -> None:
    paths = prepare_library(data_dir, model=None, photos=None, index=False)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    manager_tests._install(qtbot, dlg, "tiny-a")  # the first: chosen, the engine loaded with it
    assert dlg.status.text() == "Installed Tiny random test model.", dlg.status.text()
    qtbot.waitUntil(lambda: not dlg.loading, timeout=30000)
    assert w.lib.active_model_id() == "tiny-random" and manager_tests._row(dlg, "tiny-random").active
    qtbot.waitUntil(
        lambda: w.search.engine is not None and w.search.engine.runtime.id == "tiny-random", timeout=30000
    )
    manager_tests._install(qtbot, dlg, "tiny-b")  # a second: installed, not chosen
    assert "Choose “Use this model” to search with it." in dlg.status.text(), dlg.status.text()
    qtbot.waitUntil(lambda: not dlg.loading, timeout=30000)
    assert w.lib.active_model_id() == "tiny-random" and w.lib.catalog.get_meta(TARGET_MODEL_KEY) is None
    assert _packages(paths) == ["tiny-b", "tiny-random"]
