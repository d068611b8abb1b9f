"""What the line under the search field says about a reference photo matches what the search does (the audit
of issue 20's window)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.gui.conftest import prepare_library, wait_results
from tests.support.photos import make_photos


def test_the_reference_line_says_changed_as_the_text_says_only_when_there_is_text(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: with a reference photo and an empty search field the line read 'Like “burst0.jpg”, changed as
    the text says:' and offered the image ◀▶ text balance, though there was no text and the search was
    'Photos like the reference'. Now it says 'Photos like “…”' and the balance waits (disabled) until words
    are typed; with words it says how they change the photo and the balance can be moved."""
    photos = tmp_path / "photos"
    make_photos(photos, 4)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=True))
    wait_results(qtbot, w)
    bar = w.query_bar
    bar.well.set_path(str(photos / "photo_0001.jpg"))
    qtbot.waitUntil(lambda: bar.balance_row.isVisible())
    assert bar.ref_caption.text() == "Photos like “photo_0001.jpg”"
    assert not bar.slider.isEnabled()
    bar.set_text("at night")
    assert bar.ref_caption.text() == "Like “photo_0001.jpg”, changed as the text says:"
    assert bar.slider.isEnabled()
    bar.field.setText("")
    assert bar.ref_caption.text() == "Photos like “photo_0001.jpg”" and not bar.slider.isEnabled()
