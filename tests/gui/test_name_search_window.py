"""The window's count line says what search by name and a folder not there now did: "… · 1 found by name" when a
file name answered the query, and which folder's photos are not shown while its root is gone (the same rule as
the command line: ``photosearch.app.search``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from photosearch.app import roots as roots_mod
from tests.e2e.test_name_search import write_shapes
from tests.gui.conftest import prepare_library, wait_results

pytestmark = pytest.mark.usefixtures("fresh_roots")  # each test asks about the roots afresh


def test_the_count_line_says_found_by_name_and_folders_not_there(
    qtbot: Any,
    make_window: Any,
    data_dir: Path,
    shapes_model: Path,
    tmp_path: Path,
) -> None:
    pics, usb = tmp_path / "Pictures", tmp_path / "usb"
    write_shapes(pics, ["IMG_1234.JPG", "IMG_5678.JPG", *(f"s{i}.jpg" for i in range(10))])
    write_shapes(usb, ["DSC_0042.JPG", "t.jpg"])
    prepare_library(data_dir, model=shapes_model, photos=pics, index=True)
    paths = prepare_library(data_dir, model=None, photos=usb, index=True)
    w = make_window(paths)
    wait_results(qtbot, w)

    w.query_bar.set_text("IMG_1234")
    qtbot.waitUntil(lambda: w.current_request is not None and w.current_request.text == "IMG_1234")
    wait_results(qtbot, w)
    assert w.model.result(0).path == str(pics / "IMG_1234.JPG")
    assert "1 found by name" in w.status.count_label.text(), w.status.count_label.text()

    os.rename(usb, tmp_path / "unplugged")
    roots_mod.ROOTS.forget()
    w.query_bar.set_text("DSC_0042")
    qtbot.waitUntil(lambda: w.current_request is not None and w.current_request.text == "DSC_0042")
    wait_results(qtbot, w)
    shown = {w.model.result(i).path for i in range(w.model.rowCount())}
    assert not any(p.startswith(str(usb) + os.sep) for p in shown)
    assert w.current_response.no_good_matches  # the one DSC_0042 is on the drive: nothing close, and why
    assert w.stack.currentWidget() is w.message
    said = w.message.hint.text()
    assert f"not shown: 1 folder not there now ({usb})" in said, said

    w.query_bar.set_text("IMG_5678")
    qtbot.waitUntil(lambda: w.current_request is not None and w.current_request.text == "IMG_5678")
    wait_results(qtbot, w)
    said = w.status.count_label.text()
    assert "1 found by name" in said and f"not shown: 1 folder not there now ({usb})" in said, said


def test_a_library_whose_only_folder_is_not_there_says_so(
    qtbot: Any,
    make_window: Any,
    data_dir: Path,
    shapes_model: Path,
    tmp_path: Path,
) -> None:
    usb = tmp_path / "usb"
    write_shapes(usb, ["a.jpg", "b.jpg"])
    paths = prepare_library(data_dir, model=shapes_model, photos=usb, index=True)
    os.rename(usb, tmp_path / "unplugged")  # before the window opens: it browses the library at once
    w = make_window(paths)
    wait_results(qtbot, w)
    assert w.model.rowCount() == 0 and w.stack.currentWidget() is w.message
    assert w.message.title.text() == "Your photo folder is not there now", w.message.title.text()
    assert str(usb) in w.message.hint.text()
