"""One road for every user task: the same scenario driven through the command line and through the desktop
app (pytest-qt clicking and typing into the real widgets) ends in the same catalog and the same results.

add folder -> index -> search of each kind (text, photo, photo + words, similar) -> remove folder.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl

from models.tools.shapes import make_library
from tests.gui.conftest import wait_results
from tests.support.cli import invoke
from tests.support.library import prepare_library
from tests.support.qt import drop_on, menu_action

K = 200  # the window asks for 200 results per page; the CLI is asked for as many


def catalog_state(data_dir: Path) -> dict[str, Any]:
    """What the library holds, independent of row ids and times."""
    conn = sqlite3.connect(data_dir / "catalog.sqlite3")
    try:
        files = sorted(conn.execute("SELECT path, status, content_hash, format, width, height FROM files"))
        folders = sorted(r[0] for r in conn.execute("SELECT path FROM folders"))
        embeddings = sorted(conn.execute("SELECT content_hash, model_id FROM embeddings"))
    finally:
        conn.close()
    return {"folders": folders, "files": files, "embeddings": embeddings}


def cli_paths(data_dir: Path, *args: str) -> list[str]:
    out = invoke(data_dir, *args, "-k", str(K), "--json")
    assert out.code == 0, out.stderr
    return [r["path"] for r in out.json()["results"]]


def gui_paths(w: Any) -> list[str]:
    return [r.path for r in w.current_response.results]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    make_library(folder, 24, seed=3)
    return folder


def test_the_cli_and_the_gui_end_in_the_same_state(
    qtbot: Any,
    make_window: Any,
    tmp_path: Path,
    photos: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_data, gui_data = tmp_path / "cli-data", tmp_path / "gui-data"
    # -- the model ------------------------------------------------------------------------------------------
    # H-models: install from the registry / import each layout / switch model, through `photosearch models`
    # and through the model dialog, belong here. Until then both libraries get the same model the same way.
    prepare_library(cli_data, model=tiny_model, photos=None, index=False)
    paths = prepare_library(gui_data, model=tiny_model, photos=None, index=False)
    ref = str(photos / "img_00004.png")

    # -- the command line ------------------------------------------------------------------------------------
    assert invoke(cli_data, "folders", "add", str(photos)).code == 0
    assert invoke(cli_data, "index", "-q").code == 0
    cli_results = {
        "text": cli_paths(cli_data, "search", "a red circle"),
        "image": cli_paths(cli_data, "search", "--image", ref),
        "composed": cli_paths(cli_data, "search", "--image", ref, "at night"),
        "similar": cli_paths(cli_data, "similar", ref),
    }
    cli_indexed = catalog_state(cli_data)

    # -- the desktop app: the same steps with the mouse and keyboard -----------------------------------------
    w = make_window(paths)
    assert w.stack.currentWidget() is w.welcome
    monkeypatch.setattr(w, "choose_folder", lambda title: str(photos))  # the native folder dialog
    qtbot.mouseClick(w.welcome.button, Qt.MouseButton.LeftButton)  # "Add folder…"
    qtbot.waitUntil(
        lambda: w.state.summary.counts["indexed"] == 24 and w.indexing.service.idle, timeout=60000
    )
    wait_results(qtbot, w)
    gui_results: dict[str, list[str]] = {}

    qtbot.keyClicks(w.query_bar.field, "a red circle")
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.current_request.text == "a red circle" and not w.search.busy, timeout=15000)
    assert w.current_response.kind == "text"
    gui_results["text"] = gui_paths(w)

    w.query_bar.field.clear()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(ref)])
    assert drop_on(w.query_bar.well, mime).isAccepted()  # a photo dropped on the reference well
    qtbot.waitUntil(lambda: w.current_request.kind == "image" and not w.search.busy, timeout=15000)
    wait_results(qtbot, w)
    gui_results["image"] = gui_paths(w)

    qtbot.keyClicks(w.query_bar.field, "at night")
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.current_request.kind == "composed" and not w.search.busy, timeout=15000)
    gui_results["composed"] = gui_paths(w)

    qtbot.mouseClick(w.query_bar.well.clear_button, Qt.MouseButton.LeftButton)
    w.query_bar.field.clear()
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)  # an empty query browses the library
    qtbot.waitUntil(lambda: w.current_request.kind == "browse" and not w.search.busy, timeout=15000)
    row = next(i for i in range(w.model.rowCount()) if w.model.result(i).path == ref)
    menu_action(w.actions_.build_context_menu(w.model.index(row)), "Find similar").trigger()  # right-click
    qtbot.waitUntil(lambda: w.current_request.kind == "similar" and not w.search.busy, timeout=15000)
    gui_results["similar"] = gui_paths(w)

    assert all(len(v) >= 20 for v in cli_results.values()), {k: len(v) for k, v in cli_results.items()}
    assert ref not in cli_results["similar"] and ref not in cli_results["composed"]
    assert gui_results == cli_results
    assert catalog_state(gui_data) == cli_indexed

    # -- remove the folder: the CLI, then the folders dialog (gear button -> select -> Remove) ---------------
    assert invoke(cli_data, "folders", "remove", str(photos)).code == 0
    qtbot.mouseClick(w.query_bar.gear, Qt.MouseButton.LeftButton)
    dlg = w.folders.folders_dialog
    qtbot.waitUntil(lambda: dlg.isVisible() and dlg.list.count() == 1)
    dlg.list.setCurrentRow(0)
    qtbot.mouseClick(dlg.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.state.summary.folders and dlg.list.count() == 0, timeout=15000)
    qtbot.waitUntil(
        lambda: catalog_state(gui_data) == catalog_state(cli_data), timeout=15000
    )  # the service's GC
    assert catalog_state(cli_data)["files"] == []
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.welcome)
