"""Stopping an OCR read midway (``photosearch.text.ocr``): every model run goes through ONNX Runtime with
the read's ``RunOptions``; setting its ``terminate`` flag from another thread ends the run in progress within
one operator (a detection of ~0.2–1 s would otherwise finish first), and the read raises ``ReadInterrupted``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# while a read runs, ``stop`` is asked this often (and a model run aborted when it says so)
STOP_POLL_S = 0.01
# a reader's stop watcher ends its thread after this long with no read (a text pass keeps it: its reads follow
# each other within milliseconds); the next read starts it again
IDLE_EXIT_S = 5.0


class ReadInterrupted(Exception):
    """``TextReader.read`` was told to stop (more urgent work arrived); nothing of the photo is kept."""


class ModelRun:
    """A rapidocr model session, run through ONNX Runtime with the calling read's ``RunOptions``: when the
    read is stopped (``options.terminate``), the run in progress ends within one operator and
    ``ReadInterrupted`` is raised."""

    def __init__(self, wrapped: Any, local: threading.local) -> None:
        self._wrapped = wrapped  # rapidocr's OrtInferSession (other attributes are looked up there)
        self._session = wrapped.session  # its onnxruntime.InferenceSession
        self._input = self._session.get_inputs()[0].name
        self._outputs = [o.name for o in self._session.get_outputs()]
        self._local = local

    def __call__(self, x: np.ndarray) -> np.ndarray:
        options = getattr(self._local, "options", None)
        try:
            return self._session.run(self._outputs, {self._input: x}, options)[0]
        except Exception:
            if options is not None and options.terminate:
                raise ReadInterrupted from None
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


class Stopper:
    """One read's stop signal: when ``stop`` (asked by the read between steps, and by the reader's
    ``StopWatcher`` every ``STOP_POLL_S`` while a model runs) or ``fire`` (from ``TextReader.interrupt``) says
    stop, the read's ``RunOptions.terminate`` is set, which aborts the model run in progress, and ``asked``
    answers True from then on."""

    def __init__(self, stop: Callable[[], bool] | None) -> None:
        import onnxruntime

        self.options = onnxruntime.RunOptions()
        self.stop = stop
        self._fired = False
        self._broken = False  # ``stop`` raised on the watcher: it is no longer asked there

    def fire(self) -> None:
        self._fired = True
        self.options.terminate = True

    def asked(self) -> bool:
        if not self._fired and self.stop is not None and self.stop():
            self.fire()
        return self._fired

    def poll(self) -> None:
        """The watcher's question (on its thread): fires when ``stop`` says so."""
        if self._fired or self._broken or self.stop is None:
            return
        try:
            if self.stop():
                self.fire()
        except Exception:  # a broken ``stop`` never stops reading; the reading thread asks it too
            self._broken = True
            log.exception("asking whether to stop reading failed")


class StopWatcher:
    """The watcher of one ``TextReader``'s reads: one thread, started by the first read with a ``stop`` and
    kept while reads follow each other (a text pass reads photo after photo), asks each read in progress
    every ``STOP_POLL_S`` and fires its ``Stopper`` when its ``stop`` says so. Between reads it sleeps
    without asking anything; after ``IDLE_EXIT_S`` with no read its thread ends (the next read starts one
    again), and ``close`` ends it now. A read's ``stop`` is never asked by the watcher after that read's
    ``watching`` block has ended."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._reads: list[Stopper] = []
        self._thread: threading.Thread | None = None  # the watcher thread; a thread that is not it ends
        self.threads_started = 0  # how many watcher threads this reader has started (one per busy spell)

    @contextlib.contextmanager
    def watching(self, stopper: Stopper) -> Iterator[Stopper]:
        """Watch ``stopper`` while the block runs (nothing to watch when it has no ``stop``)."""
        if stopper.stop is None:
            yield stopper
            return
        with self._cond:
            self._reads.append(stopper)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="photosearch-ocr-stop", daemon=True)
                self._thread.start()
                self.threads_started += 1
            self._cond.notify_all()
        try:
            yield stopper
        finally:
            with self._cond:  # waits for a poll in progress: the watcher never asks this read again
                self._reads.remove(stopper)

    @property
    def thread(self) -> threading.Thread | None:
        """The watcher thread, while there is one."""
        return self._thread

    def close(self) -> None:
        """End the watcher's thread now (a read after this starts another)."""
        with self._cond:
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        me = threading.current_thread()
        with self._cond:
            while self._thread is me:
                if not self._reads:
                    # nothing to watch: sleep until a read starts; with none for IDLE_EXIT_S, end
                    if not self._cond.wait_for(lambda: self._reads or self._thread is not me, IDLE_EXIT_S):
                        self._thread = None
                    continue
                self._cond.wait(STOP_POLL_S)  # the lock is free meanwhile: reads start and end
                if self._thread is me:
                    for stopper in list(self._reads):
                        stopper.poll()
