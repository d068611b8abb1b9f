"""Stopping an OCR read midway (``photosearch.text.ocr``): every model run goes through ONNX Runtime with
the read's ``RunOptions``; setting its ``terminate`` flag from another thread ends the run in progress within
one operator (a detection of ~0.2–1 s would otherwise finish first), and the read raises ``ReadInterrupted``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# while a read runs, ``stop`` is asked this often (and a model run aborted when it says so)
STOP_POLL_S = 0.01


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
    """One read's stop signal. A watcher thread asks ``stop`` every ``STOP_POLL_S`` while the read runs;
    when it (or ``fire``, from ``TextReader.interrupt``) says stop, the read's ``RunOptions.terminate`` is set,
    which aborts the model run in progress, and ``asked`` answers True from then on."""

    def __init__(self, stop: Callable[[], bool] | None) -> None:
        import onnxruntime

        self.options = onnxruntime.RunOptions()
        self._stop = stop
        self._fired = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Stopper:
        if self._stop is not None:
            self._thread = threading.Thread(target=self._watch, name="photosearch-ocr-stop", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        assert self._stop is not None
        while not self._done.wait(STOP_POLL_S):
            try:
                if self._stop():
                    self.fire()
                    return
            except Exception:  # a broken ``stop`` never stops reading; the reading thread asks it too
                log.exception("asking whether to stop reading failed")
                return

    def fire(self) -> None:
        self._fired = True
        self.options.terminate = True

    def asked(self) -> bool:
        if not self._fired and self._stop is not None and self._stop():
            self.fire()
        return self._fired
