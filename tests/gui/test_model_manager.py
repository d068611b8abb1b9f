"""The model manager on real widgets (pytest-qt, offscreen), a real library and a local hub speaking the
hub's protocol: install two different models, switch from one to the other (the background re-embed) and
search with the second; import an Immich-layout and a Xenova-layout folder; cancel an install halfway and
nothing half-installed remains; the first-run dialog recommends one model with a plain reason."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.tools.shapes import make_library
from photosearch.config import Paths
from tests.gui.conftest import prepare_library, wait_listed
from tests.hub_fixtures import IMMICH, XENOVA
from tests.hub_server import hub_server

REPO_A, REPO_B = "test-org/tiny-a", "test-org/immich-b"
IMMICH_FILES = [
    "config.json",
    "visual/model.onnx",
    "visual/preprocess_cfg.json",
    "textual/model.onnx",
    "textual/tokenizer.json",
]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    make_library(folder, 12, seed=5)
    return folder


@pytest.fixture
def hub(tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A registry of two different models served by a local hub: our tiny package and an Immich export."""
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)
    files_a = [
        {
            "path": f"pkg/{p.name}",
            "size": p.stat().st_size,
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
        }
        for p in sorted(tiny_model.iterdir())
    ]
    common = {"licence": "MIT", "commercial_use": True, "languages": ["en"], "approx_download_mb": 1}
    reg = {
        "format": "photosearch-registry/1",
        "default": "tiny-a",
        "default_reason": "test",
        "models": [
            {
                "id": "tiny-a",
                "name": "Tiny A",
                "family": "clip",
                "layout": "photosearch",
                "hub_repo": REPO_A,
                "subfolder": "pkg",
                "files": files_a,
                "embedding_dim": 16,
                **common,
            },
            {
                "id": "tiny-b",
                "name": "Tiny B (Immich layout)",
                "family": "clip",
                "layout": "immich",
                "hub_repo": REPO_B,
                "files": [{"path": p, "size": None, "sha256": None} for p in IMMICH_FILES],
                "embedding_dim": 32,
                **common,
            },
        ],
    }
    (tmp_path / "registry.json").write_text(json.dumps(reg))
    monkeypatch.setenv("PHOTOSEARCH_REGISTRY", str(tmp_path / "registry.json"))
    with hub_server() as (base, state):
        for p in tiny_model.iterdir():
            state.add(REPO_A, f"pkg/{p.name}", p.read_bytes())
        for p in IMMICH_FILES:
            state.add(REPO_B, p, (IMMICH / p).read_bytes())
        monkeypatch.setenv("PHOTOSEARCH_HUB_URL", base)
        yield state


def _row(dlg: Any, model_id: str) -> Any:
    return next(r for r in dlg.rows if r.id == model_id)


def _install(qtbot: Any, dlg: Any, model_id: str) -> None:
    dlg.select(model_id)
    assert dlg.install_button.isEnabled()
    dlg.install_button.click()
    qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
    assert "Installed" in dlg.status.text(), dlg.status.text()


def test_install_two_models_switch_and_search_with_the_second(
    qtbot: Any, make_window: Any, data_dir: Path, photos: Path, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = prepare_library(data_dir, model=None, photos=photos, index=False)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    assert {r.id for r in dlg.rows} == {"tiny-a", "tiny-b"} and not any(r.installed for r in dlg.rows)
    _install(qtbot, dlg, "tiny-a")  # the first model becomes active and the library is indexed with it
    qtbot.waitUntil(
        lambda: w.search.engine is not None and w.search.engine.runtime.id == "tiny-random", timeout=30000
    )
    qtbot.waitUntil(lambda: w.lib.catalog.count_embeddings("tiny-random") == 12, timeout=60000)
    assert _row(dlg, "tiny-random").active and "PhotoSearch — " in w.windowTitle()

    _install(qtbot, dlg, "tiny-b")  # a second, different model: installed, not active yet
    b = _row(dlg, "tiny-b")
    assert b.installed and not b.active and b.size_on_disk and b.dim == 32
    # hold the re-embedding with the new model before its first batch, to search meanwhile
    from photosearch.indexing import pipeline

    gate, started = threading.Event(), threading.Event()
    real = pipeline.Indexer.embed_pending

    def held(self: Any, *a: Any, **k: Any) -> Any:
        if self.model_id == "tiny-b":
            started.set()
            gate.wait(30)
        yield from real(self, *a, **k)

    monkeypatch.setattr(pipeline.Indexer, "embed_pending", held)
    dlg.select("tiny-b")
    dlg.use_button.click()  # the background switch: the old model serves meanwhile
    try:
        qtbot.waitUntil(started.is_set, timeout=30000)
        assert dlg.busy == "switch" and dlg.cancel_button.isVisible()
        assert w.lib.active_model_id() == "tiny-random" and w.search.engine.runtime.id == "tiny-random"
        w.query_bar.set_text("a blue square")
        qtbot.waitUntil(
            lambda: (
                w.current_request is not None
                and w.current_request.text == "a blue square"
                and not w.search.busy
                and w.current_response is not None
            ),
            timeout=30000,
        )
        assert w.current_response.results  # searching still works, with the old model
    finally:
        gate.set()
    qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
    assert "Switched" in dlg.status.text(), dlg.status.text()
    qtbot.waitUntil(
        lambda: w.search.engine is not None and w.search.engine.runtime.id == "tiny-b", timeout=30000
    )
    assert w.lib.active_model_id() == "tiny-b" and _row(dlg, "tiny-b").active
    assert w.lib.catalog.count_embeddings("tiny-b") == 12
    assert "Tiny B" in w.windowTitle()

    w.query_bar.set_text("a red circle")
    qtbot.waitUntil(
        lambda: (
            w.current_request is not None
            and w.current_request.text == "a red circle"
            and not w.search.busy
            and w.current_response is not None
        ),
        timeout=30000,
    )
    resp = w.current_response
    got = [r.path for r in resp.results]
    assert got, "the second model's index is empty"
    eng = w.search.engine
    assert eng.runtime.id == "tiny-b"
    direct = eng.search_text("a red circle", len(got))
    assert [r.path for r in direct.results][: len(got)] == got


def test_import_immich_and_xenova_folders_from_the_gui(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, photos: Path, tmp_path: Path
) -> None:
    paths = prepare_library(data_dir, model=tiny_model, photos=photos, index=False)
    w = make_window(paths)
    w.query_bar.gear.click()  # ⚙ "Folders and models"
    dlg_f = getattr(w, "folders_dialog", None) or w.folders.folders_dialog
    assert dlg_f is not None and dlg_f.models_button.isVisible()
    dlg_f.models_button.click()  # ⚙ "Folders and models" → Models…
    dlg = w.model_manager
    for layout, src, name in (("immich", IMMICH, "ViT-tiny__immich"), ("xenova", XENOVA, "clip-tiny-xenova")):
        folder = tmp_path / name
        shutil.copytree(src, folder)
        dlg.choose_folder = lambda f=folder: str(f)  # the native folder dialog
        dlg.import_button.click()
        qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
        assert "Installed" in dlg.status.text(), (layout, dlg.status.text())
        row = _row(dlg, name.lower())
        assert row.installed and not row.active, layout
    assert w.lib.active_model_id() == "tiny-random"


def test_cancel_an_install_halfway_leaves_nothing_installed(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, hub: Any
) -> None:
    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    gate = threading.Event()
    commit = hub.repos[REPO_B].refs["main"]  # files are downloaded from the commit main resolved to
    hub.hold[f"/{REPO_B}/resolve/{commit}/visual/model.onnx"] = gate
    seen: list[Any] = []
    dlg.relay.download.connect(seen.append)
    dlg.select("tiny-b")
    dlg.install_button.click()
    try:
        qtbot.waitUntil(
            lambda: any(p.file == "visual/model.onnx" and p.file_done > 0 for p in seen), timeout=30000
        )
        assert dlg.cancel_button.isVisible()
        dlg.cancel_button.click()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: dlg.busy is None, timeout=30000)
    assert "cancelled" in dlg.status.text()
    size = (IMMICH / "visual" / "model.onnx").stat().st_size
    assert max(p.file_done for p in seen if p.file == "visual/model.onnx") < size  # stopped halfway
    p = Paths.resolve(data_dir)
    assert not (p.models_dir / "tiny-b").exists()
    assert not [d.name for d in p.models_dir.iterdir() if d.name.startswith(".")]
    assert not (p.downloads_dir / "tiny-b").exists()
    assert not [d for d in p.downloads_dir.iterdir()] if p.downloads_dir.exists() else True
    assert not _row(dlg, "tiny-b").installed and w.lib.active_model_id() == "tiny-random"


def test_first_run_recommends_one_model_in_plain_words(qtbot: Any, make_window: Any, data_dir: Path) -> None:
    w = make_window(Paths.resolve(data_dir), prompt_model=True)
    qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible())
    dlg = w.model_dialog
    qtbot.waitUntil(lambda: not dlg.recommending)  # worked out on a worker thread
    assert dlg.recommended is not None
    text = dlg.reason.text()
    assert text.startswith("Recommended for this computer") and "processor cores" in text
    for jargon in ("DataComp", "COCO", "R@1", "GFLOPs"):
        assert jargon not in text
    assert dlg.details.isVisibleTo(dlg) and dlg.details.text()
    item = dlg.list.currentItem()
    assert dlg.recommended in item.text() or item.data(256).id == dlg.recommended
    unverified = [
        dlg.list.item(i).text() for i in range(dlg.list.count()) if "unverified" in dlg.list.item(i).text()
    ]
    assert len(unverified) == 4  # the entries whose file list is not known here


def test_query_language_setting_reaches_the_tokenizer(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path
) -> None:
    from photosearch.models import tokenize

    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    w = make_window(paths)
    dlg = w.open_model_manager()
    try:
        dlg.language.setCurrentIndex(dlg.language.findData("fra_Latn"))
        assert tokenize.query_language() == "fra_Latn"
        from photosearch.app.models import saved_query_language

        assert saved_query_language(paths) == "fra_Latn"  # kept for the next start (and the CLI)
        dlg.language.setCurrentIndex(dlg.language.findData("deu_Latn"))
        assert tokenize.query_language() == "deu_Latn"
    finally:
        tokenize.set_query_language(None)


def test_a_non_commercial_licence_is_shown_before_install_and_accepted_once(
    qtbot: Any, make_window: Any, data_dir: Path, hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = json.loads((tmp_path / "registry.json").read_text())
    reg["models"][1].update({"licence": "CC-BY-NC-4.0", "commercial_use": False})
    (tmp_path / "registry.json").write_text(json.dumps(reg))
    paths = prepare_library(data_dir, model=None, photos=None, index=False)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    dlg.select("tiny-b")
    cells = [dlg.table.item(dlg.table.currentRow(), c).text() for c in range(dlg.table.columnCount())]
    assert "CC-BY-NC-4.0 — not for commercial use" in cells
    asked: list[str] = []
    answer = {"yes": False}

    def confirm(entry: Any) -> bool:
        asked.append(entry.id)
        return answer["yes"]

    dlg.confirm_licence = confirm
    dlg.install_button.click()  # declined: nothing happens
    assert asked == ["tiny-b"] and dlg.busy is None and not _row(dlg, "tiny-b").installed
    answer["yes"] = True
    _install(qtbot, dlg, "tiny-b")
    assert asked == ["tiny-b", "tiny-b"]
    dlg.confirm_remove = lambda _row: True
    dlg.select("tiny-b")
    dlg.remove_button.click()
    wait_listed(qtbot, dlg)
    assert not _row(dlg, "tiny-b").installed
    _install(qtbot, dlg, "tiny-b")  # accepted once: not asked again
    assert asked == ["tiny-b", "tiny-b"]


def test_a_file_without_any_hash_is_installed_only_after_the_person_agrees(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, hub: Any
) -> None:
    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    w = make_window(paths)
    dlg = wait_listed(qtbot, w.open_model_manager())
    commit = hub.repos[REPO_B].refs["main"]
    hub.hide_hash.update(
        {
            f"/{REPO_B}/resolve/main/textual/tokenizer.json",
            f"/{REPO_B}/resolve/{commit}/textual/tokenizer.json",
        }
    )
    asked: list[str] = []
    dlg.confirm_unverified = lambda msg: asked.append(msg) or False
    dlg.select("tiny-b")
    dlg.install_button.click()
    qtbot.waitUntil(lambda: dlg.busy is None and bool(asked), timeout=30000)
    assert "textual/tokenizer.json" in asked[0] and not _row(dlg, "tiny-b").installed
    dlg.confirm_unverified = lambda msg: asked.append(msg) or True
    dlg.select("tiny-b")
    dlg.install_button.click()
    qtbot.waitUntil(lambda: dlg.busy is None and len(asked) == 2, timeout=30000)
    qtbot.waitUntil(lambda: dlg.busy is None and _row(dlg, "tiny-b").installed, timeout=60000)
    pkg = Paths.resolve(data_dir).models_dir / "tiny-b" / "manifest.json"
    record = json.loads(pkg.read_text())["extra"]["download"]["files"]
    assert record["textual/tokenizer.json"]["verified_by"] == "unverified (allowed by the person)"


def test_first_run_offers_one_model_and_the_usual_photo_folders(
    qtbot: Any, make_window: Any, data_dir: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    """The welcome: the recommended model by name with one button, the others folded under "Other models",
    and the folders where photos usually are (here a Pictures folder and a card's DCIM) added with one click."""
    import photosearch.app.folders as app_folders

    pictures, card = tmp_path / "Pictures", tmp_path / "CARD"
    (pictures / "2024").mkdir(parents=True)
    (card / "DCIM").mkdir(parents=True)
    real = app_folders.suggested_folders
    monkeypatch.setattr(
        app_folders, "suggested_folders", lambda lib=None: real(lib, pictures=pictures, media_roots=[card])
    )
    w = make_window(Paths.resolve(data_dir), prompt_model=True)
    qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible())
    dlg = w.model_dialog
    qtbot.waitUntil(lambda: not dlg.recommending)  # worked out on a worker thread
    assert dlg.rec_name.isVisibleTo(dlg) and dlg.rec_name.text()
    assert dlg.install_button.text() == f"Install {dlg.rec_name.text()}"
    assert not dlg.list.isVisibleTo(dlg)  # the others are folded away
    dlg.others_button.click()
    assert dlg.list.isVisibleTo(dlg) and dlg.list.count() == 8
    qtbot.waitUntil(lambda: len(dlg.folder_checks) == 2, timeout=5000)
    assert [b.text() for b in dlg.folder_checks] == [str(pictures), str(card / "DCIM")]
    dlg.folder_checks[1].setChecked(False)  # not the card this time
    dlg.add_folders_button.click()
    qtbot.waitUntil(lambda: [f.path for f in w.state.summary.folders] == [str(pictures)], timeout=10000)
    assert not dlg.folder_checks[0].isEnabled() and dlg.add_folders_button.isEnabled()


def test_a_text_reader_for_another_script_is_added_chosen_and_removed_in_the_window(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, photos: Path, tmp_path: Path
) -> None:
    """Issue 22: a recognition model is added like any other model — here in the window's model manager,
    the same road as ``photosearch models import FOLDER --script S`` / ``models use`` / ``models remove``.
    The stand-in is the bundled PP-OCRv6 recognition file, copied (no other script's model can reach this
    machine)."""
    from photosearch.models.text_reader_pkg import BUNDLED_ID, CHOICE_KEY
    from photosearch.text.ocr import model_dir

    folder = tmp_path / "rec-model"
    folder.mkdir()
    shutil.copy(model_dir() / "PP-OCRv6_rec_small.onnx", folder / "PP-OCRv6_rec_small.onnx")
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=False))
    w.query_bar.gear.click()
    dlg_f = getattr(w, "folders_dialog", None) or w.folders.folders_dialog
    dlg_f.models_button.click()
    dlg = wait_listed(qtbot, w.model_manager)
    panel = dlg.readers
    assert [r.id for r in panel.rows] == [BUNDLED_ID] and panel.rows[0].chosen
    # through the search models' import: told it is a text reader and where to add it (scripts are asked for)
    dlg.choose_folder = lambda: str(folder)
    dlg.import_button.click()
    qtbot.waitUntil(lambda: dlg.busy is None, timeout=10000)  # the folder is looked at on the worker
    assert "Text readers" in dlg.status.text() and dlg.busy is None
    # through the text readers' import, with the script chosen
    panel.script.setCurrentIndex(panel.script.findData("latin"))
    panel.import_button.click()
    qtbot.waitUntil(lambda: dlg.busy is None, timeout=60000)
    assert "Installed the text reader" in dlg.status.text(), dlg.status.text()
    added = next(r for r in panel.rows if not r.bundled)
    assert added.scripts == ("latin",) and not added.chosen and panel.selected() == added
    assert w.lib.active_model_id() == "tiny-random"  # a text reader never becomes the search model
    panel.use_button.click()
    wait_listed(qtbot, dlg)
    assert w.lib.catalog.get_meta(CHOICE_KEY) == added.id
    assert next(r for r in panel.rows if r.id == added.id).chosen
    assert not panel.use_button.isEnabled()
    dlg.confirm_remove_reader = lambda name: True
    panel.table.selectRow([r.id for r in panel.rows].index(added.id))
    panel.remove_button.click()
    wait_listed(qtbot, dlg)
    assert [r.id for r in panel.rows] == [BUNDLED_ID] and panel.rows[0].chosen
    assert "Removed" in dlg.status.text()


def test_the_listing_is_read_off_the_ui_thread_and_a_stale_one_is_never_shown(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model manager's listing (manifests, sizes on disk, catalog counts) is read on a worker thread:
    before, ``refresh()`` called ``list_models`` on the UI thread and a slow disk froze the window. While it
    is read the dialog says so and the row verbs wait; a listing that arrives after a newer one was asked for
    is dropped."""
    from photosearch.app import models as app_models

    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    w = make_window(paths)
    real = app_models.list_models
    threads: list[threading.Thread] = []
    returned: list[Any] = []
    hold, held = threading.Event(), threading.Event()
    hold.set()

    def spy(*a: Any, **k: Any) -> Any:
        threads.append(threading.current_thread())
        if not hold.is_set():
            held.set()
            hold.wait(30)
        listing = real(*a, **k)
        returned.append(listing)
        return listing

    monkeypatch.setattr(app_models, "list_models", spy)
    hold.clear()  # the first listing is slow (a slow disk)
    dlg = w.open_model_manager()
    try:
        assert held.wait(10)
        # the window is not frozen meanwhile: the dialog is shown, saying it is loading, the row verbs wait
        assert dlg.isVisible() and dlg.loading and dlg.loading_label.isVisibleTo(dlg)
        assert "Loading" in dlg.loading_label.text()
        assert not dlg.install_button.isEnabled() and not dlg.remove_button.isEnabled()
        assert dlg.import_button.isEnabled() and dlg.readers.import_button.isEnabled()  # they need no row
        applied: list[Any] = []
        real_apply = dlg._apply
        dlg._apply = lambda listing, select: applied.append(listing) or real_apply(listing, select)
        dlg.refresh()  # asked again while the first is still being read: only this one may be shown
    finally:
        hold.set()
    wait_listed(qtbot, dlg)
    qtbot.waitUntil(lambda: len(returned) == 2, timeout=10000)
    assert threads and all(t is not threading.main_thread() for t in threads), threads
    assert applied == [returned[1]]  # the first (stale) listing arrived too, and was dropped
    assert dlg.listing is returned[1] and not dlg.loading_label.isVisibleTo(dlg)
    # and the listing is there: the installed model, active, in the table
    row = _row(dlg, "tiny-random")
    assert row.installed and row.active
    i = [r.id for r in dlg.rows].index("tiny-random")
    assert dlg.table.rowCount() == len(dlg.rows) and dlg.table.item(i, 1).text() == "● active"
    assert dlg.active_label.text() == f"Searching with: {row.name}"
    assert dlg.import_button.isEnabled() and dlg.calibrate_button.isEnabled()
