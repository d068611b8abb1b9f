"""The "?" list of shortcuts is read without scrolling sideways: at 1280×800 its descriptions ran past the
dialog's fixed 560 px ("Preview beside the results: details, words in the photo, p…", "… (steers the search
at onc…") behind a horizontal scroll bar. The dialog now takes the width its table needs (within the
screen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.gui.conftest import prepare_library, wait_results
from tests.support.photos import make_photos


def test_every_shortcut_line_is_readable_without_scrolling_sideways(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    make_photos(tmp_path / "photos", 2)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    w.resize(1280, 800)
    wait_results(qtbot, w)
    w.view.setFocus()
    qtbot.keyClicks(w.view, "?")
    qtbot.waitUntil(
        lambda: getattr(w, "shortcuts_dialog", None) is not None and w.shortcuts_dialog.isVisible()
    )
    d = w.shortcuts_dialog
    qtbot.waitExposed(d)
    area = d.text.parentWidget().parentWidget()  # the label sits in the scroll area's viewport
    bar = area.horizontalScrollBar()
    assert bar.maximum() == 0, (d.width(), d.text.sizeHint().width())
    assert d.text.width() >= d.text.sizeHint().width()
