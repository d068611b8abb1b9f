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


def test_with_folders_but_no_model_the_next_step_offered_is_setting_up_a_model(
    qtbot: Any, make_window: Any, data_dir: Path, tmp_path: Path
) -> None:
    """Before: with a folder added and no model (the first-run dialog put off with 'Later') the photos area
    said 'No photos are indexed yet — Add a folder of photos, or wait for indexing to finish' with an 'Add
    folder…' button: the folder was there, and indexing never starts without a model."""
    photos = tmp_path / "photos"
    make_photos(photos, 3)
    w = make_window(prepare_library(data_dir, model=None, photos=photos, index=False))
    qtbot.waitUntil(
        lambda: w.stack.currentWidget() is w.message and w.presenter.current_response is not None,
        timeout=10000,
    )
    assert "model" in w.message.title.text().lower()
    assert w.message.button.isVisibleTo(w) and w.message.button.text() == "Set up a model…"
    assert "Add a folder" not in w.message.hint.text()
