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


def test_many_reads_are_watched_by_one_long_lived_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text pass reads photo after photo: the reader's one watcher thread asks every read's ``stop``; 20
    reads do not start 20 threads. With no read for ``IDLE_EXIT_S`` the thread ends; the next read starts
    one again, and that one still stops a read in progress."""
    from photosearch.text import runs

    monkeypatch.setattr(runs, "IDLE_EXIT_S", 0.5)
    reader = TextReader(det_side=960, first_side=960, threads=1)
    full = photo_with_text([("BOARDING PASS", 110)], size=(1600, 1200))
    reduced = full.resize((960, 720))
    reader.read(reduced, lambda: full)  # the engine is loaded (no stop: nothing to watch, no thread)
    assert reader.watcher.threads_started == 0 and reader.watcher.thread is None
    me = threading.get_ident()
    asked_by: set[int | None] = set()
    counts: list[int] = []
    before = threading.active_count()

    def stop() -> bool:
        if threading.get_ident() != me:
            asked_by.add(threading.get_ident())
            counts.append(threading.active_count())
        return False

    for _ in range(20):
        assert any("BOARDING" in line.text.upper() for line in reader.read(reduced, lambda: full, stop).lines)
    watcher = reader.watcher.thread
    assert watcher is not None and reader.watcher.threads_started == 1
    assert asked_by == {watcher.ident}  # every read was asked while it ran, by the one watcher thread
    assert len(counts) >= 20 and max(counts) <= before + 1
    watcher.join(30)  # idle: it ends by itself
    assert not watcher.is_alive() and reader.watcher.thread is None

    # the next read starts a watcher again, which aborts a detection in progress
    started = threading.Event()
    real_call = ModelRun.__call__

    def watched(self: ModelRun, x: np.ndarray) -> np.ndarray:
        started.set()
        return real_call(self, x)

    monkeypatch.setattr(ModelRun, "__call__", watched)
    big = TextReader(det_side=1920, first_side=1920, threads=1)
    big.read(reduced, lambda: full)  # the engine is loaded
    started.clear()
    reduced_big, full_big = _big_photo()
    with pytest.raises(ReadInterrupted):
        big.read(reduced_big, lambda: full_big, stop=started.is_set)
    second = big.watcher.thread
    assert big.watcher.threads_started == 1 and second is not None
    big.watcher.close()
    assert not second.is_alive() and big.watcher.thread is None
