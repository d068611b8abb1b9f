"""Every input gets an answer, in words a person reads: the reference well opens a file picker when clicked,
a pasted non-image and a missing file viewer are said in the status bar, the result count is shown, the
preview leaves with its photo, and the last query belongs to its library (not typed into another)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QKeySequence

from photosearch.config import Paths
from photosearch.gui import desktop
from tests.e2e.helpers import make_photos
from tests.gui.conftest import wait_results
from tests.support.library import prepare_library


def test_clicking_the_reference_well_opens_a_file_picker(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: Any
) -> None:
    pics = tmp_path / "pics"
    make_photos(pics, 3)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=pics, index=True))
    asked: list[bool] = []
    photo = str(pics / "photo_0001.jpg")
    monkeypatch.setattr(w.query_bar.well, "choose_file", lambda: asked.append(True) or photo)
    qtbot.mouseClick(w.query_bar.well, Qt.MouseButton.LeftButton)
    assert asked == [True]
    assert w.query_bar.reference is not None and w.query_bar.reference.path == photo


def test_pasting_a_file_that_is_not_a_photo_says_so(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    pics = tmp_path / "pics"
    make_photos(pics, 3)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=pics, index=True))
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(notes))])
    clipboard = QGuiApplication.clipboard()
    clipboard.setMimeData(mime)  # the clipboard owns it now
    try:
        w.query_bar.field.setFocus()
        qtbot.keySequence(w.query_bar.field, QKeySequence.StandardKey.Paste)
        assert "notes.txt is not a photo" in w.status.text()
        assert w.query_bar.reference is None
        assert w.query_bar.field.text() == ""  # not pasted as text either
    finally:
        clipboard.clear()  # released while the application lives (else it is freed twice at exit)


def test_no_file_viewer_is_said(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: Any
) -> None:
    pics = tmp_path / "pics"
    make_photos(pics, 3)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=pics, index=True))
    monkeypatch.setattr(desktop, "hand_off", lambda _url: False)  # the system has nothing to open it with
    w.actions_.open_paths([str(pics / "photo_0000.jpg")])
    assert "No program on this computer opens photo_0000.jpg" in w.status.text()


def test_result_count_and_the_preview_follows_the_results(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    pics, more = tmp_path / "pics", tmp_path / "more"
    make_photos(pics, 3)
    make_photos(more, 2, seed=5)
    paths = prepare_library(data_dir, model=tiny_model, photos=pics, index=True)
    w = make_window(paths)
    w.folders.add_folder(str(more))
    qtbot.waitUntil(lambda: w.state.summary.visible == 5, timeout=30000)
    w.query_bar.set_text("a photo")
    wait_results(qtbot, w)
    qtbot.waitUntil(lambda: w.model.rowCount() == 5, timeout=15000)
    assert "in 5 photos" in w.presenter.result_count
    assert w.status.count_label.text().endswith(w.presenter.result_count)  # shown in the window
    row = next(i for i in range(w.model.rowCount()) if w.model.result(i).path.startswith(str(more)))
    w.actions_.show_preview(row)
    assert w.preview.isVisible()
    w.folders.remove_folder(str(more))  # its photos leave the results: the preview goes with them
    qtbot.waitUntil(
        lambda: not any(w.model.result(i).path.startswith(str(more)) for i in range(w.model.rowCount())),
        timeout=30000,
    )
    qtbot.waitUntil(lambda: not w.preview.isVisible(), timeout=15000)


def test_the_last_query_stays_with_its_library(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    pics = tmp_path / "pics"
    make_photos(pics, 3)
    paths = prepare_library(data_dir, model=tiny_model, photos=pics, index=True)
    w = make_window(paths)
    w.query_bar.set_text("red bicycle")
    wait_results(qtbot, w)
    w.close()
    again = make_window(paths)  # the same library: its last query is back
    assert again.query_bar.field.text() == "red bicycle"
    again.close()
    other = make_window(Paths.resolve(tmp_path / "other-library"), wait_engine=False)
    assert other.query_bar.field.text() == ""  # another library starts empty
