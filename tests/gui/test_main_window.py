"""The desktop app on real files, a real catalog and index, and a real model (pytest-qt, offscreen).
Only the OS hand-off (opening files/folders) and the native file dialogs are replaced."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QPushButton

from models.tools.shapes import Spec, load_labels, make_library, render
from photosearch.gui import desktop
from photosearch.gui.query_bar import PLACEHOLDER_CHANGE, ReferenceWell
from tests.gui.conftest import prepare_library, wait_results
from tests.support.qt import drop_on, menu_action


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    make_library(folder, 24, seed=3)
    return folder


@pytest.fixture
def indexed(data_dir: Path, tiny_model: Path, photos: Path):
    return prepare_library(data_dir, model=tiny_model, photos=photos, index=True)


@pytest.fixture
def handed_off(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def fake(url: QUrl) -> bool:
        calls.append(url.toLocalFile())
        return True

    monkeypatch.setattr(desktop, "hand_off", fake)
    return calls


# -- first run ----------------------------------------------------------------------------------------
def test_first_run_shows_welcome_and_model_setup(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.config import Paths

    w = make_window(Paths.resolve(data_dir), prompt_model=True)
    assert w.stack.currentWidget() is w.welcome
    assert "Add the folders where your photos live" in w.welcome.title.text()
    assert w.welcome.button.text() == "Add folder…" and w.welcome.button.isVisible()
    qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible())
    dlg = w.model_dialog
    assert dlg.import_button.isEnabled()
    # "Import a model folder…" installs the package in the background and makes it the active model
    monkeypatch.setattr(w, "choose_model_folder", lambda: str(tiny_model))
    dlg.import_button.click()
    qtbot.waitUntil(lambda: w.search.engine is not None, timeout=20000)
    assert w.lib.active_model_id() == "tiny-random"
    assert not dlg.isVisible()


def test_window_is_shown_before_the_library_and_model_load(qtbot: Any, settings: Any, indexed: Any) -> None:
    from photosearch.gui.main_window import MainWindow

    w = MainWindow(indexed, settings=settings, watch=False, prompt_model=False)
    qtbot.addWidget(w)
    assert w.library is None and w.search.engine is None  # nothing heavy in the constructor
    w.show()
    assert w.isVisible()
    qtbot.waitUntil(lambda: w.search.engine is not None, timeout=20000)
    w.shutdown()


# -- indexing -----------------------------------------------------------------------------------------
def test_adding_a_folder_of_50_photos_drives_the_progress_bar_to_completion(
    qtbot: Any,
    make_window: Any,
    data_dir: Path,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "fifty"
    make_library(folder, 50, seed=5)
    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    w = make_window(paths)
    seen: list[tuple[str, int, int]] = []
    w.indexing.progress.connect(lambda p: seen.append((p.phase, p.done, p.total)))
    monkeypatch.setattr(w, "choose_folder", lambda title: str(folder))
    w.act_add.trigger()  # Ctrl+O
    qtbot.waitUntil(lambda: w.lib.catalog.visible_count() == 50 and w.indexing.service.idle, timeout=60000)
    qtbot.waitUntil(lambda: w.progress_bar.maximum() == 50 and w.progress_bar.value() == 50, timeout=10000)
    embedding = [s for s in seen if s[0] == "embedding" and s[2] == 50]
    assert embedding and embedding[-1][1] == 50
    assert any(0 < d < 50 for _, d, _ in embedding) or len(embedding) >= 2  # it moved, not jumped
    # the grid now browses the new photos by date
    qtbot.waitUntil(lambda: w.model.rowCount() == 50, timeout=10000)


def test_skipped_files_are_counted_and_listed_with_reasons(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, photos: Path
) -> None:
    (photos / "broken.jpg").write_bytes(b"this is not a jpeg")
    paths = prepare_library(data_dir, model=tiny_model, photos=photos, index=True)
    w = make_window(paths)
    qtbot.waitUntil(lambda: w.skipped_button.isVisible())
    assert w.skipped_button.text() == "⚠ 1 skipped"
    w.skipped_button.click()
    table = w.folders.skipped_dialog.table
    assert table.rowCount() == 1
    assert table.item(0, 0).text().endswith("broken.jpg")
    assert table.item(0, 1).text()  # the reason, in words


# -- queries ------------------------------------------------------------------------------------------
def test_typing_searches_after_a_pause_and_enter_searches_at_once(
    qtbot: Any, make_window: Any, indexed: Any
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    assert w.current_request.kind == "browse" and w.model.rowCount() == 24
    before = len(w.search.calls)
    qtbot.keyClicks(w.query_bar.field, "red circle")
    qtbot.waitUntil(lambda: w.search.calls[-1].text == "red circle", timeout=5000)
    wait_results(qtbot, w)
    assert [c.kind for c in w.search.calls[before:]] == ["text"]  # debounced: one search, not ten
    assert w.model.rowCount() > 0 and w.model.kind == "text"
    assert w.stack.currentWidget() in (w.view, w.message)
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)
    assert len(w.search.calls) == before + 2


def test_a_newer_query_drops_the_answer_to_an_older_one(qtbot: Any, make_window: Any, indexed: Any) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    shown: list[str] = []
    w.search.finished.connect(lambda req, resp: shown.append(req.text))
    w.query_bar.set_text("red")
    w.query_bar.set_text("blue circle")
    wait_results(qtbot, w)
    qtbot.waitUntil(lambda: shown == ["blue circle"])
    assert w.current_request.text == "blue circle"


def test_semantic_text_query_shows_the_expected_photos_first(
    qtbot: Any, make_window: Any, data_dir: Path, shapes_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "shapes"
    make_library(folder, 60, seed=11)
    labels = {str(p): s for p, s in load_labels(folder)}
    # the composed query below needs its target in the library: a blue circle of the reference's size and
    # position (the random library may hold none, and then "the nearest" is a matter of taste)
    ref_spec = next(s for s in labels.values() if s.colour == "red" and s.shape == "circle")
    target = Spec("circle", "blue", ref_spec.size, ref_spec.position, bg_style="plain", bg_seed=7)
    render(target).save(folder / "target.png")
    labels[str(folder / "target.png")] = target
    paths = prepare_library(data_dir, model=shapes_model, photos=folder, index=True)
    w = make_window(paths)
    wait_results(qtbot, w)
    qtbot.keyClicks(w.query_bar.field, "a red circle")
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Return)
    wait_results(qtbot, w)
    ranked = [w.model.result(i).path for i in range(w.model.rowCount())]
    red_circles = {p for p, s in labels.items() if s.colour == "red" and s.shape == "circle"}
    assert red_circles and set(ranked[: len(red_circles)]) == red_circles  # the red circles come first
    top8 = [labels[p] for p in ranked[:8]]  # the next best are red things or circles
    assert all(s.colour == "red" or s.shape == "circle" for s in top8), [(s.colour, s.shape) for s in top8]
    assert w.stack.currentWidget() is w.view
    # a composed query: a red circle as the reference, "blue" as the change → blue circles first
    ref = next(p for p in red_circles if labels[p] == ref_spec)
    w.query_bar.field.setText("blue")
    w.query_bar.well.set_path(ref)
    wait_results(qtbot, w)
    assert w.current_response.kind == "composed"
    first = labels[w.model.result(0).path]
    assert first == target, first


def test_dropping_a_file_url_on_the_well_runs_a_composed_query(
    qtbot: Any, make_window: Any, indexed: Any, photos: Path
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    w.query_bar.field.setText("at night")
    ref = str(photos / "img_00004.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(ref)])
    drop = drop_on(w.query_bar.well, mime)
    assert drop.isAccepted()
    assert w.query_bar.reference is not None and w.query_bar.reference.path == ref
    assert w.query_bar.field.placeholderText() == PLACEHOLDER_CHANGE
    assert w.query_bar.balance_row.isVisible() and w.query_bar.well.clear_button.isVisible()
    wait_results(qtbot, w)
    req = w.search.calls[-1]
    assert req.kind == "composed" and req.image == ref and req.text == "at night" and req.weight == 0.5
    assert w.current_response.kind == "composed" and w.model.rowCount() > 0
    assert ref not in [r.path for r in w.model.results]  # the reference itself is not a result
    # the slider sets the weight
    w.query_bar.slider.setValue(80)
    qtbot.waitUntil(lambda: w.search.calls[-1].weight == 0.8, timeout=5000)
    # clearing the well goes back to a text search
    w.query_bar.well.clear_button.click()
    assert w.query_bar.reference is None
    assert w.search.calls[-1].kind == "text"


def test_result_mime_data_carries_file_urls_and_the_well_accepts_it(
    qtbot: Any, make_window: Any, indexed: Any
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    idx = w.model.index(2)
    path = w.model.result(2).path
    mime = w.model.mimeData([idx])
    assert [u.toLocalFile() for u in mime.urls()] == [path]
    assert w.model.flags(idx) & Qt.ItemFlag.ItemIsDragEnabled
    assert ReferenceWell.accepts(mime)
    drop_on(w.query_bar.well, mime)
    assert w.query_bar.reference.path == path
    wait_results(qtbot, w)
    assert w.search.calls[-1].kind == "image" and w.search.calls[-1].image == path


def test_pasting_an_image_sets_the_reference(
    qtbot: Any, make_window: Any, indexed: Any, photos: Path
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    QGuiApplication.clipboard().setImage(QImage(str(photos / "img_00001.png")))
    w.query_bar.field.setFocus()
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert w.query_bar.reference is not None and w.query_bar.reference.path is None
    wait_results(qtbot, w)
    assert w.search.calls[-1].kind == "image" and w.search.calls[-1].image is not None
    assert w.model.rowCount() > 0


# -- results actions ----------------------------------------------------------------------------------
def test_context_menu_actions_call_the_right_functions(
    qtbot: Any, make_window: Any, indexed: Any, handed_off: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    idx = w.model.index(0)
    path = w.model.result(0).path
    w.view.setCurrentIndex(idx)

    menu_action(w.actions_.build_context_menu(idx), "Open").trigger()
    assert handed_off == [path]
    menu_action(w.actions_.build_context_menu(idx), "Show in folder").trigger()
    assert handed_off[-1] == os.path.dirname(path)
    menu_action(w.actions_.build_context_menu(idx), "Copy path").trigger()
    assert QGuiApplication.clipboard().text() == path
    menu_action(w.actions_.build_context_menu(idx), "Copy image").trigger()
    assert not QGuiApplication.clipboard().image().isNull()

    calls: list[tuple[Any, ...]] = []
    engine = w.search.engine
    original = engine.search_image

    def spy(image: Any, k: int = 20, filters: Any = None, exclude_self: bool = False, **kw: Any) -> Any:
        calls.append((image, exclude_self))
        return original(image, k, filters, exclude_self=exclude_self, **kw)

    monkeypatch.setattr(engine, "search_image", spy)
    menu_action(w.actions_.build_context_menu(idx), "Find similar").trigger()
    wait_results(qtbot, w)
    assert calls == [(path, True)]
    assert w.current_response.kind == "similar" and path not in [r.path for r in w.model.results]

    menu_action(w.actions_.build_context_menu(w.model.index(1)), "Use as reference").trigger()
    ref_path = w.model.results[1].path if w.model.rowCount() > 1 else None
    assert w.query_bar.reference is not None and w.query_bar.reference.path == ref_path


def test_bulk_actions_on_a_selection(
    qtbot: Any, make_window: Any, indexed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    sel = w.view.selectionModel()
    for r in (0, 1, 2):
        sel.select(w.model.index(r), sel.SelectionFlag.Select)
    chosen = [w.model.result(r).path for r in (0, 1, 2)]
    assert w.actions_.selected_paths() == chosen
    menu = w.actions_.build_context_menu(w.model.index(0))
    menu_action(menu, "Copy 3 paths").trigger()
    assert QGuiApplication.clipboard().text().splitlines() == chosen
    menu_action(menu, "Copy 3 files").trigger()
    assert [u.toLocalFile() for u in QGuiApplication.clipboard().mimeData().urls()] == chosen
    dest = tmp_path / "export"
    (dest).mkdir()
    (dest / os.path.basename(chosen[0])).write_bytes(b"already here")
    monkeypatch.setattr(w, "choose_folder", lambda title: str(dest))
    menu_action(menu, "Export 3 photos to a folder…").trigger()
    qtbot.waitUntil(lambda: len(list(dest.iterdir())) == 4, timeout=10000)
    w.tasks.wait()
    for p in chosen:
        assert (dest / os.path.basename(p)).exists()
    stem, suffix = os.path.splitext(os.path.basename(chosen[0]))
    assert (dest / f"{stem} (1){suffix}").read_bytes() == Path(chosen[0]).read_bytes()  # never overwrites
    assert (dest / os.path.basename(chosen[0])).read_bytes() == b"already here"


def test_export_without_location_from_the_menu_of_one_photo(
    qtbot: Any, make_window: Any, indexed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window exports through the application's export (the CLI's ``--export-to`` road): one photo's
    menu offers it too, and "without location" writes a copy with no GPS data."""
    from PIL import Image

    from tests.support.exif_photos import make_exif, write

    w = make_window(indexed)
    wait_results(qtbot, w)
    with Image.open(w.model.result(0).path) as img:
        tagged = write(tmp_path / "tagged.jpg", "JPEG", make_exif(gps=(60.17, 24.94)), img.convert("RGB"))
    assert Image.open(tagged).getexif().get_ifd(0x8825)  # the check below can fail
    dest = tmp_path / "out"
    monkeypatch.setattr(w, "choose_folder", lambda title: str(dest))
    w.actions_.export_selected([str(tagged)], no_location=True)
    qtbot.waitUntil(lambda: dest.exists() and len(list(dest.iterdir())) == 1, timeout=10000)
    w.tasks.wait()
    with Image.open(dest / tagged.name) as copy:
        assert not copy.getexif().get_ifd(0x8825)
    labels = [a.text() for a in w.actions_.build_context_menu(w.model.index(0)).actions()]
    assert "Export photo to a folder…" in labels and "Export photo without location…" in labels


def test_keyboard_enter_opens_p_previews_arrows_move(
    qtbot: Any, make_window: Any, indexed: Any, handed_off: list[str]
) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    w.query_bar.field.setFocus()
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Down)  # from the search field into the grid
    assert w.view.hasFocus() and w.view.currentIndex().row() == 0
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    assert w.view.currentIndex().row() == 1
    path = w.model.result(1).path
    qtbot.keyClick(w.view, Qt.Key.Key_Return)
    assert handed_off == [path]
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    # the preview panel opens beside the results; the photo is decoded off the UI thread
    assert w.preview.isVisible() and w.splitter.sizes()[2] >= 240
    info = w.preview.info
    f = w.model.result(1).file
    assert info["Path"] == path and info["Dimensions"] == f"{f.width} × {f.height}"
    assert "Date taken" in info and info["Size"].endswith(("bytes", "KB"))
    qtbot.waitUntil(lambda: w.preview.loaded_path == path, timeout=10000)
    assert w.preview.image.pixmap() is not None and not w.preview.image.pixmap().isNull()
    assert w.view.hasFocus()  # the grid keeps the keyboard
    # it follows the current result while open
    qtbot.keyClick(w.view, Qt.Key.Key_Right)
    nxt = w.model.result(2).path
    assert w.preview.info["Path"] == nxt
    qtbot.waitUntil(lambda: w.preview.loaded_path == nxt, timeout=10000)
    # P closes it again; the buttons act on the shown photo
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    assert not w.preview.isVisible()
    qtbot.keyClick(w.view, Qt.Key.Key_P)
    assert w.preview.isVisible()
    with qtbot.waitSignal(w.preview.open_requested, timeout=2000) as sig:
        next(b for b in w.preview.findChildren(QPushButton) if b.text() == "Open").click()
    assert sig.args == [nxt]
    w.preview.close_button.click()
    assert not w.preview.isVisible()


def test_ctrl_f_focuses_and_escape_clears(qtbot: Any, make_window: Any, indexed: Any, photos: Path) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    w.view.setFocus()
    w.query_bar.field.setText("red")
    w.query_bar.well.set_path(str(photos / "img_00002.png"))
    w.act_find.trigger()
    assert w.query_bar.field.hasFocus() and w.query_bar.field.selectedText() == "red"
    qtbot.keyClick(w.query_bar.field, Qt.Key.Key_Escape)
    assert w.query_bar.field.text() == "" and w.query_bar.reference is None
    wait_results(qtbot, w)
    assert w.search.calls[-1].kind == "browse"


# -- filters, states ----------------------------------------------------------------------------------
def test_filters_and_browsing_by_date(qtbot: Any, make_window: Any, indexed: Any) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    assert w.current_response.kind == "browse" and w.model.rowCount() == 24
    png_box = next(cb for cb, fmts in w.side.type_boxes if fmts == ("png",))
    png_box.setChecked(False)  # only non-PNG types: the library has none
    wait_results(qtbot, w)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.message)
    assert "No photos match these filters" in w.message.title.text()
    assert w.search.calls[-1].filters.formats is not None and "png" not in w.search.calls[-1].filters.formats
    w.message.button.click()  # "Reset filters"
    wait_results(qtbot, w)
    qtbot.waitUntil(lambda: w.model.rowCount() == 24 and w.stack.currentWidget() is w.view)
    folder_filter = w.side.folder_combo
    assert folder_filter.count() == 2  # all folders + the one folder


def test_no_good_matches_says_so_and_offers_the_nearest(qtbot: Any, make_window: Any, indexed: Any) -> None:
    from photosearch.gui.workers import SearchRequest
    from photosearch.search.engine import SearchResponse

    w = make_window(indexed)
    wait_results(qtbot, w)
    weak = [r for r in w.model.results[:5]]
    for r in weak:
        r.passed = False
    req = SearchRequest("text", text="purple giraffe", label="“purple giraffe”")
    w.presenter.finished(req, SearchResponse(weak, "text", 24))
    assert w.stack.currentWidget() is w.message
    assert w.message.title.text() == "Nothing close to “purple giraffe” in 24 photos"
    assert w.message.button.text() == "Show the nearest anyway"
    w.message.button.click()
    assert w.stack.currentWidget() is w.view and w.model.rowCount() == 5


def test_settings_persist_between_runs(qtbot: Any, make_window: Any, indexed: Any, settings: Any) -> None:
    w = make_window(indexed)
    wait_results(qtbot, w)
    w.size_slider.setValue(222)
    w.query_bar.field.setText("green square")
    w.resize(780, 520)
    w.actions_.show_preview(0)
    qtbot.waitUntil(lambda: w.preview.loaded_path == w.model.result(0).path, timeout=10000)
    w.splitter.setSizes([180, 300, 290])
    sizes = w.splitter.sizes()
    w.shutdown()
    w2 = make_window(indexed)
    assert w2.size_slider.value() == 222 and w2.view.thumb_size == 222
    assert w2.query_bar.field.text() == "green square"
    assert (w2.size().width(), w2.size().height()) == (780, 520)  # (the offscreen screen is 800 px wide)
    assert not w2.preview.isVisible()  # it opens on a result, never by itself
    assert w2.splitter.sizes()[0] == sizes[0]  # the side panel keeps its width
    wait_results(qtbot, w2)
    w2.actions_.show_preview(0)
    assert w2.splitter.sizes()[2] == sizes[2]  # and the preview the width it was given


def test_read_only_when_another_writer_holds_the_lock(qtbot: Any, make_window: Any, indexed: Any) -> None:
    from photosearch.library.library import Library

    with Library(indexed, write=True, purpose="photosearch index"):
        w = make_window(indexed)
        assert w.read_only and w.indexing is None
        assert w.readonly_label.isVisible() and "Read-only" in w.readonly_label.text()
        wait_results(qtbot, w)
        assert w.model.rowCount() == 24  # browsing and searching still work
        w.query_bar.set_text("red")
        wait_results(qtbot, w)
        assert w.current_response.kind == "text"
        w.shutdown()


def test_unhandled_exceptions_go_to_a_dialog_and_the_log(qtbot: Any, data_dir: Path) -> None:
    import logging

    from photosearch.config import Paths
    from photosearch.gui.app import LOG_FILE, make_excepthook, setup_logging

    paths = Paths.resolve(data_dir)
    handler = setup_logging(paths)
    try:
        hook = make_excepthook()
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError as e:
            hook(type(e), e, e.__traceback__)
        box = hook.last_box
        assert box.isVisible() and "boom in a slot" in box.text()
        box.close()
        handler.flush()
        assert "boom in a slot" in (paths.log_dir / LOG_FILE).read_text()
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_thumbnails_load_off_the_ui_thread_for_visible_rows_only(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    make_library(folder, 120, seed=8)
    paths = prepare_library(data_dir, model=tiny_model, photos=folder, index=True)
    import shutil

    shutil.rmtree(paths.thumbs_dir)  # thumbnails must be made on demand
    w = make_window(paths)
    changed: list[int] = []
    w.model.dataChanged.connect(lambda a, b, roles: changed.append(b.row() - a.row()))
    w.resize(700, 500)
    wait_results(qtbot, w)
    assert w.model.rowCount() == 120
    qtbot.waitUntil(lambda: w.thumbs.requests > 0 and len(w.thumbs.cache) >= 1, timeout=10000)
    w.thumbs.wait()
    qtbot.wait(50)
    assert 0 < w.thumbs.requests < 120  # only rows that were painted (visible) were asked for
    w.view.scrollToBottom()  # rows not loaded yet: their thumbnails arrive after the hook is connected
    last = w.model.results[-1].file.content_hash
    qtbot.waitUntil(lambda: w.thumbs.get(last) is not None, timeout=10000)
    assert changed and all(n == 0 for n in changed)  # one row per dataChanged


def test_model_setup_installs_from_the_registry_with_a_progress_bar(
    qtbot: Any,
    make_window: Any,
    data_dir: Path,
    tiny_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hashlib
    import json

    from photosearch.config import Paths
    from tests.hub_server import hub_server

    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)
    repo = "test-org/test-model"
    files = [
        {
            "path": f"tiny-served/{p.name}",
            "size": p.stat().st_size,
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
        }
        for p in sorted(tiny_model.iterdir())
    ]
    reg = {
        "format": "photosearch-registry/1",
        "default": "tiny-served",
        "models": [
            {
                "id": "tiny-served",
                "name": "Tiny served model",
                "family": "clip",
                "layout": "photosearch",
                "hub_repo": repo,
                "subfolder": "tiny-served",
                "files": files,
                "licence": "MIT",
                "commercial_use": True,
                "languages": ["en"],
                "embedding_dim": 16,
                "approx_download_mb": 1,
            }
        ],
    }
    (tmp_path / "registry.json").write_text(json.dumps(reg))
    monkeypatch.setenv("PHOTOSEARCH_REGISTRY", str(tmp_path / "registry.json"))
    with hub_server() as (base, hub):
        for p in tiny_model.iterdir():
            hub.add(repo, f"tiny-served/{p.name}", p.read_bytes())
        monkeypatch.setenv("PHOTOSEARCH_HUB_URL", base)
        w = make_window(Paths.resolve(data_dir), prompt_model=True)
        qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible())
        dlg = w.model_dialog
        qtbot.waitUntil(lambda: not dlg.recommending)  # worked out on a worker thread
        assert dlg.list.count() == 1 and "Tiny served model" in dlg.list.item(0).text()
        assert dlg.install_button.isEnabled()
        values: list[int] = []
        dlg.bar.valueChanged.connect(values.append)
        dlg.install_button.click()
        qtbot.waitUntil(lambda: w.search.engine is not None, timeout=20000)
    assert w.lib.active_model_id() == "tiny-random"
    assert values and values[-1] == 1000  # the bar reached the end
    assert not dlg.isVisible()


def test_scrolling_to_the_end_of_a_search_fetches_more(
    qtbot: Any, make_window: Any, indexed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.gui import search_presenter

    monkeypatch.setattr(search_presenter, "SEARCH_K", 5)
    w = make_window(indexed)
    wait_results(qtbot, w)
    w.query_bar.set_text("red")
    qtbot.waitUntil(
        lambda: (
            w.current_request is not None
            and w.current_request.text == "red"
            and not w.search.busy
            and w.model.rowCount() == 5
        ),
        timeout=15000,
    )
    if w.current_response.no_good_matches:
        w.message.button.click()  # "Show the nearest anyway"
    first = [w.model.result(i).path for i in range(5)]
    pages = 0
    while w.model.rowCount() < 24 and pages < 10:
        n = w.model.rowCount()
        w.presenter.maybe_load_more(w.view.verticalScrollBar().maximum())  # the person scrolled to the bottom
        qtbot.waitUntil(lambda n=n: not w.search.busy and w.model.rowCount() > n, timeout=15000)
        pages += 1
    paths = [w.model.result(i).path for i in range(w.model.rowCount())]
    assert paths[:5] == first  # what was shown stays where it was
    assert len(paths) == len(set(paths)) == 24  # every photo once, then no more to fetch
    assert w.current_request.k == 25 and w.current_request.text == "red"
    w.presenter.maybe_load_more(w.view.verticalScrollBar().maximum())
    assert not w.search.busy  # nothing more to ask for
