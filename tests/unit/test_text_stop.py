"""A read in progress gives way at once: when more urgent work arrives, the model run already under way (a
detection, with the real PP-OCRv6 detector in ONNX Runtime) is aborted midway, not waited for, and the
read raises ``ReadInterrupted``; the text pass then stores nothing and the photo stays pending."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.text.ocr import ReadInterrupted, TextReader, available
from photosearch.text.runs import ModelRun
from tests.unit.test_text_ocr import photo_with_text

pytestmark = pytest.mark.skipif(not available(), reason="rapidocr is not installed")


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[str]]]:
    """Every model run's outcome ("finished" / "aborted"), and an event set when the first one starts."""
    started = threading.Event()
    outcomes: list[str] = []
    real_call = ModelRun.__call__

    def watched(self: ModelRun, x: np.ndarray) -> np.ndarray:
        started.set()
        try:
            out = real_call(self, x)
        except ReadInterrupted:
            outcomes.append("aborted")
            raise
        outcomes.append("finished")
        return out

    monkeypatch.setattr(ModelRun, "__call__", watched)
    yield started, outcomes


def _big_photo() -> tuple[Image.Image, Image.Image]:
    full = photo_with_text([("BOARDING PASS", 110), ("TOTAL 42.50", 80)], size=(2400, 1800))
    return full.resize((1920, 1440)), full


def test_a_detection_in_progress_is_aborted_when_stop_says_so(
    runs: tuple[threading.Event, list[str]],
) -> None:
    started, outcomes = runs
    reader = TextReader(det_side=1920, first_side=1920, threads=1)  # a detection of a second or so
    reduced, full = _big_photo()
    # stop says "stop" once the detection is running: only the watcher thread can see it in time
    with pytest.raises(ReadInterrupted):
        reader.read(reduced, lambda: full, stop=started.is_set)
    assert outcomes == ["aborted"]  # the detection itself was stopped, no step after it ran
    # the reader is fine afterwards: the same photo is read in full
    outcomes.clear()
    result = reader.read(reduced, lambda: full, stop=lambda: False)
    assert "finished" in outcomes and "aborted" not in outcomes
    assert any("BOARDING" in line.text.upper() for line in result.lines)


def test_interrupt_from_another_thread_aborts_the_detection_without_waiting(
    runs: tuple[threading.Event, list[str]],
) -> None:
    started, outcomes = runs
    reader = TextReader(det_side=1920, first_side=1920, threads=1)
    reduced, full = _big_photo()
    reader.interrupt()  # nothing is being read: nothing to stop, and the next read is not affected
    returned = threading.Event()

    def urgent() -> None:
        started.wait(60)
        reader.interrupt()  # returns at once: it only sets a flag the run checks between operators
        returned.set()

    t = threading.Thread(target=urgent)
    t.start()
    with pytest.raises(ReadInterrupted):
        reader.read(reduced, lambda: full)
    t.join(60)
    assert returned.is_set() and outcomes == ["aborted"]


def test_the_text_pass_stores_nothing_for_an_interrupted_photo_and_reads_it_later(
    tmp_path: Path, data_dir: Path, tiny_model: Path, runs: tuple[threading.Event, list[str]]
) -> None:
    from photosearch.app.index import run_index
    from photosearch.config import Paths
    from photosearch.indexing.text_steps import TextPass
    from photosearch.library.library import Library
    from tests.reliability._util import install_model
    from tests.support.text_photos import photo_with_words

    started, outcomes = runs
    photos = tmp_path / "photos"
    photo_with_words(photos / "sign.jpg", "BOARDING PASS", seed=1, size=(2400, 1800))
    install_model(data_dir, tiny_model)
    with Library(Paths.resolve(data_dir), write=True, purpose="test") as lib:
        lib.add_folder(photos)
        run_index(lib, read_text=False)
        (pending,) = lib.catalog.text_pending()
        tp = TextPass(lib.catalog, TextReader(det_side=1920, first_side=1920, threads=1))
        assert tp.read_one(pending, stop=started.is_set) == "interrupted"
        assert outcomes == ["aborted"]
        assert lib.catalog.text_for_hash(pending.content_hash or "") is None
        assert [f.path for f in lib.catalog.text_pending()] == [pending.path]
        assert tp.read_one(pending, stop=lambda: False) == "read"
        stored = lib.catalog.text_for_hash(pending.content_hash or "")
        assert stored is not None and "BOARDING" in stored.text.upper()
        assert lib.catalog.text_pending() == []
