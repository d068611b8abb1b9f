"""Reading the text in photos can be turned off (and on again) per folder from the folders dialog; the folder
keeps it and the dialog says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.tools.shapes import make_library
from tests.gui.conftest import prepare_library, wait_results


def test_the_folders_dialog_turns_reading_text_off_and_on(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    make_library(photos, 6, seed=2)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=True))
    wait_results(qtbot, w)
    dlg = w.folders.open_folders_dialog()
    qtbot.waitUntil(lambda: dlg.list.count() == 1)
    dlg.list.setCurrentRow(0)
    assert dlg.text_button.isEnabled() and dlg.text_button.text() == "Read text: on"
    dlg.text_button.click()
    qtbot.waitUntil(lambda: not w.state.summary.folders[0].read_text, timeout=10000)
    qtbot.waitUntil(lambda: "text in photos not read" in dlg.list.item(0).text(), timeout=5000)
    assert not w.lib.catalog.folder_reads_text(w.lib.folders()[0].id)
    dlg.list.setCurrentRow(0)
    assert dlg.text_button.text() == "Read text: off"
    dlg.text_button.click()
    qtbot.waitUntil(lambda: w.state.summary.folders[0].read_text, timeout=10000)
    assert w.lib.catalog.folder_reads_text(w.lib.folders()[0].id)
