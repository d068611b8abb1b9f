"""Albums taught by example in the real window (shapes model, a real library): "Save as album…" from 3 👍 and
3 👎 of a search saves through the application layer; the side bar lists the album with its number of photos;
a click shows its members in the grid; a matching photo indexed later joins the open album and its count;
export copies its photos to a folder; delete (after a question) takes it out of the list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from models.tools import shapes
from photosearch.app.albums import album_members
from photosearch.app.feedback import Verdict
from photosearch.config import Paths
from photosearch.library.library import Library
from tests.gui.conftest import prepare_library, wait_results
from tests.gui.steer_photos import make_others


@pytest.fixture
def album_library(
    data_dir: Path, shapes_model: Path, tmp_path: Path
) -> tuple[Paths, Path, dict[str, shapes.Spec]]:
    photos = tmp_path / "photos"
    specs = make_others(photos, 60, seed=3, reds=14)
    return prepare_library(data_dir, model=shapes_model, photos=photos, index=True), photos, specs


def _paths(w: Any) -> list[str]:
    return [w.model.result(i).path for i in range(w.model.rowCount())]


def _answered_after(qtbot: Any, w: Any, act: Any) -> None:
    before = w.current_response
    act()
    qtbot.waitUntil(lambda: w.current_response is not before and not w.search.busy, timeout=15000)


def test_an_album_saved_from_feedback_is_listed_shown_and_keeps_filling(
    qtbot: Any, make_window: Any, album_library: Any, tmp_path: Path
) -> None:
    paths, photos, specs = album_library
    w = make_window(paths)
    wait_results(qtbot, w)
    assert w.sidebar.album_names() == [] and w.sidebar.albums_hint.isVisibleTo(w.sidebar)
    _answered_after(qtbot, w, lambda: w.query_bar.set_text("a red circle"))
    shown = _paths(w)
    reds = [p for p in shown if (specs[p].shape, specs[p].colour) == ("circle", "red")]
    not_wanted = [p for p in shown if (specs[p].shape, specs[p].colour) != ("circle", "red")]
    assert len(reds) >= 3 and len(not_wanted) >= 3
    _answered_after(qtbot, w, lambda: w.steer.mark(Verdict.LIKE, reds[:3]))
    _answered_after(qtbot, w, lambda: w.steer.mark(Verdict.UNLIKE, not_wanted[:3]))
    # "Save as album…" (the side bar's button) asks a name and saves through the application layer
    asked: list[str] = []
    w.albums.ask_name = lambda suggested: asked.append(suggested) or "red circles"
    with qtbot.waitSignal(w.albums.listed, timeout=20000, check_params_cb=lambda a: len(a) == 1):
        qtbot.mouseClick(w.sidebar.save_album_button, Qt.MouseButton.LeftButton)
    assert asked == ["a red circle"]  # the search's words, suggested as the name
    with Library(paths) as lib:  # what the CLI's `album show` answers, from the same function
        members = [r.path for r in album_members(lib, "red circles").results]
    assert set(reds[:3]) <= set(members) and not set(not_wanted[:3]) & set(members)
    assert w.sidebar.album_names() == ["red circles"]
    assert w.sidebar.album_count("red circles") == len(members)
    assert not w.sidebar.albums_hint.isVisibleTo(w.sidebar)
    # a click on the album shows its members in the grid
    item = w.sidebar.albums.topLevelItem(0)
    rect = w.sidebar.albums.visualItemRect(item)
    with qtbot.waitSignal(w.albums.shown, timeout=20000):
        qtbot.mouseClick(w.sidebar.albums.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.albums.current == "red circles" and w.stack.currentWidget() is w.view
    assert not w.sidebar.list.selectedItems()  # the album is marked as shown, no folder is
    assert w.places.chips.chips() == [("album", "Album “red circles”")]  # named above the photos
    assert sorted(_paths(w)) == sorted(members)
    assert "red circles" in w.presenter.result_count and str(len(members)) in w.presenter.result_count
    # a photo like the 👍 ones (a small red circle, top right) arrives and is indexed: it joins the open
    # album and its count
    new = photos / "new-red-circle.png"
    liked = specs[reds[0]]
    shapes.render(shapes.Spec("circle", "red", liked.size, liked.position, bg_seed=777), 96).save(new)
    w.indexing.request_scan()
    qtbot.waitUntil(lambda: str(new) in _paths(w), timeout=60000)
    assert w.albums.current == "red circles"
    qtbot.waitUntil(lambda: w.sidebar.album_count("red circles") == w.model.rowCount(), timeout=20000)
    with Library(paths) as lib:  # the members now (the classifier learns against the library as it is)
        members = [r.path for r in album_members(lib, "red circles").results]
    assert sorted(_paths(w)) == sorted(members) and str(new) in members
    # export: its photos copied into a folder picked by the person
    out = tmp_path / "exported"
    w.choose_folder = lambda _title: str(out)
    menu = w.albums.build_menu("red circles")
    next(a for a in menu.actions() if a.text() == "Export to a folder…").trigger()
    qtbot.waitUntil(lambda: out.is_dir() and len(list(out.iterdir())) == len(members), timeout=20000)
    # the chip's ✕ goes back to the search in the line (still steered); typing a search leaves the album too
    _answered_after(qtbot, w, lambda: w.places.chips.buttons()[0].click())
    assert w.albums.current is None and w.current_request.text == "a red circle"
    assert len(w.current_request.like) == 3 and len(w.current_request.unlike) == 3
    qtbot.mouseClick(w.sidebar.albums.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: w.albums.current == "red circles", timeout=5000)
    _answered_after(qtbot, w, lambda: w.query_bar.set_text("a blue square"))
    assert w.albums.current is None and not w.sidebar.albums.selectedItems()
    assert [i.text() for i in w.sidebar.list.selectedItems()] == ["All photos"]
    # delete from the album's context menu, after a question
    menu = w.albums.build_menu("red circles")
    next(a for a in menu.actions() if a.text() == "Delete album…").trigger()
    box = w.albums.confirm_box
    assert box.isVisible()
    with qtbot.waitSignal(w.albums.listed, timeout=20000, check_params_cb=lambda a: a == []):
        box.button(QMessageBox.StandardButton.Ok).click()
    assert w.sidebar.album_names() == [] and w.sidebar.albums_hint.isVisibleTo(w.sidebar)


def test_save_as_album_needs_a_liked_photo(qtbot: Any, make_window: Any, album_library: Any) -> None:
    paths, _photos, _specs = album_library
    w = make_window(paths)
    wait_results(qtbot, w)
    w.albums.ask_name = lambda _s: pytest.fail("no name is asked without a 👍")
    w.albums.save_from_feedback()
    assert "👍" in w.status.text()
    assert not w.albums.tasks.busy


def test_an_album_name_typed_with_a_line_break_shows_on_one_line(
    qtbot: Any, make_window: Any, album_library: Any
) -> None:
    """A name pasted with a line break (or a tab, or another control character) is saved and listed on one line
    in the side bar — the application layer's rule, the same as the command line's."""
    paths, _photos, specs = album_library
    w = make_window(paths)
    wait_results(qtbot, w)
    _answered_after(qtbot, w, lambda: w.query_bar.set_text("a red circle"))
    reds = [p for p in _paths(w) if (specs[p].shape, specs[p].colour) == ("circle", "red")]
    _answered_after(qtbot, w, lambda: w.steer.mark(Verdict.LIKE, reds[:3]))
    w.albums.ask_name = lambda _s: "red\ncircles\t\x1b 2024 "
    with qtbot.waitSignal(w.albums.listed, timeout=20000, check_params_cb=lambda a: len(a) == 1):
        qtbot.mouseClick(w.sidebar.save_album_button, Qt.MouseButton.LeftButton)
    assert w.sidebar.album_names() == ["red circles 2024"]
    item = w.sidebar.albums.topLevelItem(0)
    assert item.text(0) == "red circles 2024" and "\n" not in item.toolTip(0)
    assert "red circles 2024" in w.status.text() and "\n" not in w.status.text()
    # nothing but control characters: said in plain words, nothing saved
    qtbot.waitUntil(lambda: not w.albums.tasks.busy, timeout=20000)
    w.albums.ask_name = lambda _s: "\x07\x1b"
    w.albums.save_from_feedback()
    assert "needs a name" in w.status.text() and not w.albums.tasks.busy
    assert w.sidebar.album_names() == ["red circles 2024"]
