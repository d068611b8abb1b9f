"""The window forgets a library on request (everything derived from the photos goes, photos and models stay,
and it starts afresh), and opens a library in a read-only data folder read-only, saying why."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from photosearch.store.lock import WriterLock
from tests.gui.conftest import prepare_library, wait_results
from tests.support.photos import make_photos


def test_forget_this_library_from_the_window(qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path,
                                             tiny_model: Path) -> None:  # fmt: skip
    pics = tmp_path / "pics"
    make_photos(pics, 5)
    paths = prepare_library(data_dir, model=tiny_model, photos=pics, index=True)
    w = make_window(paths)
    wait_results(qtbot, w)
    assert paths.catalog.exists() and any(paths.thumbs_dir.rglob("*.jpg"))
    before = w.library
    w.folders.open_folders_dialog()
    assert w.folders.folders_dialog.forget_button.isVisible()
    w.folders.folders_dialog.close()
    w.forget_library(confirm=False)
    qtbot.waitUntil(lambda: w.library is not None and w.library is not before, timeout=20000)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.welcome, timeout=10000)  # an empty library again
    assert w.lib.folders() == [] and sum(w.lib.catalog.counts_by_status().values()) == 0
    assert not any(paths.thumbs_dir.rglob("*.jpg"))
    assert sorted(p.name for p in pics.iterdir()) == [f"photo_{i:04d}.jpg" for i in range(5)]  # photos stay
    assert any((paths.models_dir).iterdir())  # so do the models


def test_a_read_only_data_folder_opens_read_only_and_says_why(
    qtbot: Any,
    make_window: Any,
    tmp_path: Path,
    data_dir: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pics = tmp_path / "pics"
    make_photos(pics, 3)
    paths = prepare_library(data_dir, model=tiny_model, photos=pics, index=True)

    def refuse(self: WriterLock) -> WriterLock:  # what a read-only disk answers when the lock is created
        raise OSError(errno.EROFS, "Read-only file system", str(self.path))

    monkeypatch.setattr(WriterLock, "acquire", refuse)
    w = make_window(paths)
    assert w.read_only and w.indexing is None
    assert "read-only disk" in w.readonly_label.text() and "search still works" in w.readonly_label.text()
    wait_results(qtbot, w)  # searching works
