"""The window says a model's facts in a person's words; the figures and the engine's settings are in the
tooltip. Before, the first run's card said 'Details: … COCO R@1 39.9, Flickr30k R@1 64.9 …' and the model
manager 'Runs here as fp32 on CPU (ONNX Runtime, 2 threads, batches of 16): … (PHOTOSEARCH_IMAGE_BACKEND=…)'
and 'Crossmodal-3600 recall …' under its table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from photosearch.config import Paths
from tests.gui.conftest import prepare_library, wait_listed

JARGON = ("COCO", "R@1", "Crossmodal", "Flickr", "recall", "fp32", "int8", "ONNX", "OpenVINO", "thread",
          "batches", "PHOTOSEARCH_", "commit")  # fmt: skip


def _plain(text: str) -> None:
    for word in JARGON:
        assert word not in text, (word, text)


def test_the_first_run_card_says_quality_speed_and_size_in_plain_words(
    qtbot: Any, make_window: Any, data_dir: Path
) -> None:
    w = make_window(Paths.resolve(data_dir), prompt_model=True)
    qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible(), timeout=10000)
    dlg = w.model_dialog
    qtbot.waitUntil(lambda: not dlg.recommending, timeout=10000)
    text = dlg.details.text()
    assert text.startswith("Quality: ") and "Speed: " in text and "Download: about " in text, text
    _plain(text)
    assert "R@1" in dlg.details.toolTip() or "recall" in dlg.details.toolTip()  # the figures, on demand


def test_the_model_manager_says_quality_and_speed_and_keeps_the_engine_line_in_the_tooltip(
    qtbot: Any, make_window: Any, data_dir: Path, shapes_model: Path
) -> None:
    w = make_window(prepare_library(data_dir, model=shapes_model, photos=None, index=False))
    dlg = wait_listed(qtbot, w.open_model_manager())
    dlg.select("shapes-tiny")  # installed: how it runs here
    assert dlg.selected().runs  # the app layer says it (``ModelRow.runs``)
    _plain(dlg.details.text())
    assert dlg.details.toolTip().startswith("Runs here as ") and "ONNX" in dlg.details.toolTip()
    rated = next(r for r in dlg.rows if not r.installed and r.quality and r.quality_details)
    dlg.select(rated.id)  # from the registry: published figures
    text = dlg.details.text()
    assert f"Quality: {rated.quality}" in text and f"Speed: {rated.speed_class}" in text, text
    _plain(text)
    assert rated.quality_details in dlg.details.toolTip()
