"""The window asks before adding a home folder (or a disk's root, or a system folder): a box with what it
would scan; Cancel adds nothing, "Add anyway" adds it (the folder verb again with confirm=True)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from tests.e2e.helpers import make_photos
from tests.support.library import prepare_library


def _button(box: QMessageBox, text: str) -> Any:
    return next(b for b in box.buttons() if b.text().replace("&", "") == text)


def test_adding_a_home_folder_asks_first_with_an_estimate(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: Any
) -> None:
    home = tmp_path / "home"
    make_photos(home / "Pictures", 3)
    monkeypatch.setenv("HOME", str(home))
    paths = prepare_library(data_dir, model=tiny_model, photos=None, index=False)
    w = make_window(paths)
    w.folders.add_folder(str(home))
    qtbot.waitUntil(lambda: w.folders.confirm_box is not None, timeout=15000)
    box = w.folders.confirm_box
    assert "home folder" in box.text()
    assert "3 photos in" in box.text()  # the estimate, in words
    assert "--yes" not in box.text()  # the CLI's advice is not the window's
    _button(box, "Cancel").click()
    qtbot.waitUntil(lambda: w.folders.confirm_box is None, timeout=5000)
    assert w.status.text().startswith("Not added")
    assert w.lib.folders() == []

    w.folders.add_folder(str(home))
    qtbot.waitUntil(lambda: w.folders.confirm_box is not None, timeout=15000)
    _button(w.folders.confirm_box, "Add anyway").click()
    qtbot.waitUntil(lambda: [f.path for f in w.folders.folders()] == [str(home.resolve())], timeout=15000)
    assert not hasattr(w, "last_error_box")
