"""The window's finished-indexing line: '· N new' counts photos that were added; files that could not be read
are counted only as skipped (the '⚠ N skipped' button). Before, two broken .jpg files added to an indexed
folder made it say '66 photos indexed · 2 new' (the idle event's count included the failures)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from models.tools.shapes import make_library
from photosearch.progress import Progress, ProgressPhase
from tests.gui.conftest import prepare_library


def _rescan_and_wait_idle(qtbot: Any, w: Any) -> Progress:
    """Ask the running service for a rescan; the idle event that follows it (the line's figure comes from)."""
    seen: list[Progress] = []
    w.indexing.progress.connect(seen.append)
    w.indexing.request_scan()
    qtbot.waitUntil(
        lambda: (
            any(p.stage is ProgressPhase.EMBEDDING for p in seen) and seen[-1].stage is ProgressPhase.IDLE
        ),
        timeout=60000,
    )
    return seen[-1]


def test_broken_files_are_skipped_not_new(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    make_library(photos, 12, seed=3)
    paths = prepare_library(data_dir, model=tiny_model, photos=photos, index=True)
    w = make_window(paths)
    qtbot.waitUntil(lambda: w.indexing.service is not None and w.indexing.service.idle, timeout=30000)

    (photos / "broken-1.jpg").write_bytes(b"this is not a jpeg")
    (photos / "broken-2.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    idle = _rescan_and_wait_idle(qtbot, w)
    assert idle.done == 0 and idle.total == 2 and idle.errors >= 2, idle  # 2 files gone through, none added
    qtbot.waitUntil(lambda: w.skipped_button.isVisible() and w.skipped_button.text() == "⚠ 2 skipped")
    qtbot.waitUntil(lambda: w.status.text().startswith("12 photos indexed"), timeout=10000)
    assert "new" not in w.status.text(), w.status.text()

    # one good photo and one more broken file: '1 new', and the broken one skipped
    extra = tmp_path / "extra"
    make_library(extra, 1, seed=11)
    shutil.copy(extra / "img_00000.png", photos / "good.png")
    (photos / "broken-3.jpg").write_bytes(b"nope")
    idle = _rescan_and_wait_idle(qtbot, w)
    assert idle.done == 1 and idle.total == 2, idle
    qtbot.waitUntil(lambda: w.skipped_button.text() == "⚠ 3 skipped", timeout=10000)
    qtbot.waitUntil(lambda: w.status.text() == "13 photos indexed · 1 new", timeout=10000)


def test_the_idle_line_in_words_counts_the_failed_files_as_processed_and_skipped() -> None:
    """The idle event: ``done`` photos added of ``total`` files gone through (the failed ones in ``total``
    only); 'photosearch watch' prints it with progress.describe, the failed ones processed and skipped."""
    from photosearch.progress import describe

    assert describe(Progress(ProgressPhase.IDLE, 1, 3, errors=2, encoded=1)) == (
        "Done: 3 photos processed, 1 embedded, 2 skipped"
    )
    assert (
        describe(Progress(ProgressPhase.IDLE, 0, 2, errors=2))
        == "Done: 2 photos processed, 0 embedded, 2 skipped"
    )
    assert describe(Progress(ProgressPhase.IDLE, 0, 0)) == ""  # nothing happened: nothing said
