"""One road for every user task: the same scenario driven through the command line and through the desktop
app (pytest-qt clicking and typing into the real widgets) ends in the same catalog and the same results.

add folder -> index -> search of each kind (text, photo, photo + words, similar) -> import a model folder of
each supported layout (Immich, Xenova/transformers.js, rclip, our own package) and install one model from a local
hub speaking the hub's protocol -> switch to the hub model (the background re-embed) -> the searches again, now
with that model -> remove folder. The CLI runs `photosearch models import/install/use`; the GUI clicks the
model manager's Import, Install and "Use this model" buttons.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtWidgets import QDialogButtonBox

from models.tools.shapes import make_library
from tests.gui.conftest import wait_results
from tests.hub_fixtures import IMMICH, XENOVA
from tests.hub_server import hub_server
from tests.support.cli import invoke
from tests.support.library import prepare_library
from tests.support.qt import drop_on, menu_action
from tests.tinymodel import build_tiny_model

K = 200  # the window asks for 200 results per page; the CLI is asked for as many


def catalog_state(data_dir: Path) -> dict[str, Any]:
    """What the library holds, independent of row ids and times."""
    conn = sqlite3.connect(data_dir / "catalog.sqlite3")
    try:
        files = sorted(conn.execute("SELECT path, status, content_hash, format, width, height FROM files"))
        folders = sorted(r[0] for r in conn.execute("SELECT path FROM folders"))
        embeddings = sorted(conn.execute("SELECT content_hash, model_id FROM embeddings"))
        meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('active_model', 'target_model')"))
    finally:
        conn.close()
    models = sorted(p.parent.name for p in (data_dir / "models").glob("*/manifest.json"))
    return {"folders": folders, "files": files, "embeddings": embeddings, "models": models, "meta": meta}


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


HUB_REPO, HUB_MODEL = "test-org/immich-b", "tiny-b"
IMMICH_FILES = [
    "config.json",
    "visual/model.onnx",
    "visual/preprocess_cfg.json",
    "textual/model.onnx",
    "textual/tokenizer.json",
]


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A registry of one model (an Immich export) served by a local hub that speaks the hub's protocol."""
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)
    files = [
        {
            "path": p,
            "size": (IMMICH / p).stat().st_size,
            "sha256": hashlib.sha256((IMMICH / p).read_bytes()).hexdigest(),
        }
        for p in IMMICH_FILES
    ]
    reg = {
        "format": "photosearch-registry/1",
        "default": HUB_MODEL,
        "default_reason": "test",
        "models": [
            {
                "id": HUB_MODEL,
                "name": "Tiny B (Immich layout, from the hub)",
                "family": "clip",
                "layout": "immich",
                "hub_repo": HUB_REPO,
                "files": files,
                "embedding_dim": 32,
                "licence": "MIT",
                "commercial_use": True,
                "languages": ["en"],
                "approx_download_mb": 1,
            }
        ],
    }
    (tmp_path / "registry.json").write_text(json.dumps(reg))
    monkeypatch.setenv("PHOTOSEARCH_REGISTRY", str(tmp_path / "registry.json"))
    with hub_server() as (base, state):
        for p in IMMICH_FILES:
            state.add(HUB_REPO, p, (IMMICH / p).read_bytes())
        monkeypatch.setenv("PHOTOSEARCH_HUB_URL", base)
        yield state


@pytest.fixture
def layout_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A model folder of each layout `photosearch models import` reads (the GUI's Import button alike)."""
    from models.tools.export import RCLIP_SUBDIR, package_to_rclip
    from photosearch.models.adapters import adapt_folder

    root = tmp_path_factory.mktemp("layouts")
    shutil.copytree(IMMICH, root / "ViT-tiny__immich")
    shutil.copytree(XENOVA, root / "clip-tiny-xenova")
    xen = adapt_folder(XENOVA, root / "work" / "xen", model_id="xen")
    rclip = package_to_rclip(xen, root / "rclip-data") / RCLIP_SUBDIR
    ours = build_tiny_model(root / "tiny-c", model_id="tiny-c", seed=2, dim=8)
    return {
        "immich": root / "ViT-tiny__immich",
        "xenova": root / "clip-tiny-xenova",
        "rclip": rclip,
        "photosearch": ours,
    }


def cli_searches(data_dir: Path, ref: str) -> dict[str, list[str]]:
    return {
        "text": cli_paths(data_dir, "search", "a red circle"),
        "image": cli_paths(data_dir, "search", "--image", ref),
        "composed": cli_paths(data_dir, "search", "--image", ref, "at night"),
        "similar": cli_paths(data_dir, "similar", ref),
    }


def gui_searches(qtbot: Any, w: Any, ref: str) -> dict[str, list[str]]:
    """The four kinds of search with the keyboard, a drop on the reference well and the context menu."""
    out: dict[str, list[str]] = {}
    w.query_bar.field.clear()
    qtbot.keyClicks(w.query_bar.field, "a red circle")
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (
            w.current_request.text == "a red circle"
            and w.current_request.kind == "text"
            and not w.search.busy
        ),
        timeout=15000,
    )
    assert w.current_response.kind == "text"
    out["text"] = gui_paths(w)

    w.query_bar.field.clear()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(ref)])
    assert drop_on(w.query_bar.well, mime).isAccepted()  # a photo dropped on the reference well
    qtbot.waitUntil(lambda: w.current_request.kind == "image" and not w.search.busy, timeout=15000)
    wait_results(qtbot, w)
    out["image"] = gui_paths(w)

    qtbot.keyClicks(w.query_bar.field, "at night")
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.current_request.kind == "composed" and not w.search.busy, timeout=15000)
    out["composed"] = gui_paths(w)

    qtbot.mouseClick(w.query_bar.well.clear_button, Qt.MouseButton.LeftButton)
    w.query_bar.field.clear()
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)  # an empty query browses the library
    qtbot.waitUntil(lambda: w.current_request.kind == "browse" and not w.search.busy, timeout=15000)
    wait_results(qtbot, w)
    row = next(i for i in range(w.model.rowCount()) if w.model.result(i).path == ref)
    menu_action(w.actions_.build_context_menu(w.model.index(row)), "Find similar").trigger()  # right-click
    qtbot.waitUntil(lambda: w.current_request.kind == "similar" and not w.search.busy, timeout=15000)
    out["similar"] = gui_paths(w)
    return out


def test_the_cli_and_the_gui_end_in_the_same_state(
    qtbot: Any,
    make_window: Any,
    tmp_path: Path,
    photos: Path,
    tiny_model: Path,
    hub: Any,
    layout_folders: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli_data, gui_data = tmp_path / "cli-data", tmp_path / "gui-data"
    # both libraries start with the same first model (the first-run choice is test_model_manager's)
    prepare_library(cli_data, model=tiny_model, photos=None, index=False)
    paths = prepare_library(gui_data, model=tiny_model, photos=None, index=False)
    ref = str(photos / "img_00004.png")

    # -- the command line ------------------------------------------------------------------------------------
    assert invoke(cli_data, "folders", "add", str(photos)).code == 0
    assert invoke(cli_data, "index", "-q").code == 0
    cli_results = cli_searches(cli_data, ref)
    cli_indexed = catalog_state(cli_data)
    imported: dict[str, str] = {}  # layout -> model id
    for layout, folder in layout_folders.items():
        out = invoke(cli_data, "models", "import", str(folder), "--json")
        assert out.code == 0, out.stderr
        assert out.json()["layout"] == layout
        imported[layout] = out.json()["installed"]
    out = invoke(cli_data, "models", "install", HUB_MODEL, "--json")
    assert out.code == 0, out.stderr
    assert out.json()["installed"] == HUB_MODEL and not out.json()["active"]
    out = invoke(cli_data, "models", "use", HUB_MODEL, "--json")
    assert out.code == 0, out.stderr
    assert out.json()["active"] == HUB_MODEL and out.json()["switched"]
    cli_switched = cli_searches(cli_data, ref)
    cli_state = catalog_state(cli_data)

    # -- the desktop app: the same steps with the mouse and keyboard -----------------------------------------
    w = make_window(paths)
    assert w.stack.currentWidget() is w.welcome
    monkeypatch.setattr(w, "choose_folder", lambda title: str(photos))  # the native folder dialog
    qtbot.mouseClick(w.welcome.button, Qt.MouseButton.LeftButton)  # "Add folder…"
    qtbot.waitUntil(
        lambda: w.state.summary.counts["indexed"] == 24 and w.indexing.service.idle, timeout=60000
    )
    wait_results(qtbot, w)
    gui_results = gui_searches(qtbot, w, ref)

    assert all(len(v) >= 20 for v in cli_results.values()), {k: len(v) for k, v in cli_results.items()}
    assert ref not in cli_results["similar"] and ref not in cli_results["composed"]
    assert gui_results == cli_results
    assert catalog_state(gui_data) == cli_indexed

    # -- the models: ⚙ "Folders and models" -> Models… -> Import (each layout), Install, Use this model ---------
    qtbot.mouseClick(w.query_bar.gear, Qt.MouseButton.LeftButton)
    dlg_f = w.folders.folders_dialog
    qtbot.waitUntil(lambda: dlg_f.isVisible())
    qtbot.mouseClick(dlg_f.models_button, Qt.MouseButton.LeftButton)
    dlg = w.model_manager
    qtbot.waitUntil(lambda: dlg.isVisible())
    for layout, folder in layout_folders.items():
        dlg.choose_folder = lambda f=folder: str(f)  # the native folder dialog
        qtbot.mouseClick(dlg.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
        assert "Installed" in dlg.status.text(), (layout, dlg.status.text())
        row = next(r for r in dlg.rows if r.id == imported[layout])
        assert row.installed and not row.active, layout
    dlg.select(HUB_MODEL)  # the row in the table
    assert dlg.install_button.isEnabled()
    qtbot.mouseClick(dlg.install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
    assert "Installed" in dlg.status.text(), dlg.status.text()
    dlg.select(HUB_MODEL)
    assert dlg.use_button.isEnabled()
    qtbot.mouseClick(dlg.use_button, Qt.MouseButton.LeftButton)  # the background switch
    qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
    assert "Switched" in dlg.status.text(), dlg.status.text()
    qtbot.waitUntil(
        lambda: w.search.engine is not None and w.search.engine.runtime.id == HUB_MODEL, timeout=30000
    )
    qtbot.mouseClick(dlg.close_button, Qt.MouseButton.LeftButton)
    close = dlg_f.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close)
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.isVisible() and not dlg_f.isVisible())

    gui_switched = gui_searches(qtbot, w, ref)
    assert all(len(v) >= 20 for v in cli_switched.values()), {k: len(v) for k, v in cli_switched.items()}
    assert cli_switched != cli_results  # another model ranks the photos its own way
    assert gui_switched == cli_switched
    qtbot.waitUntil(lambda: w.indexing.service.idle, timeout=30000)
    assert catalog_state(gui_data) == cli_state
    assert set(cli_state["models"]) == {"tiny-random", HUB_MODEL, *imported.values()}
    assert cli_state["meta"]["active_model"] == HUB_MODEL

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
