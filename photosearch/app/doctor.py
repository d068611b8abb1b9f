"""Check the catalog, index, thumbnails and models; repair what can be repaired; say what runs the image
encoder on this machine and, on request, how fast (``doctor --speed``)."""

from __future__ import annotations

import logging

from photosearch import doctor as _doctor
from photosearch.config import Paths
from photosearch.doctor.speed import SpeedReport, describe, self_test
from photosearch.errors import PhotoSearchError

log = logging.getLogger(__name__)


def check(paths: Paths, *, repair: bool = False, full: bool = False) -> _doctor.DoctorReport:
    return _doctor.run(paths, repair=repair, full=full)


def machine(paths: Paths, *, speed_seconds: float | None = None) -> SpeedReport:
    """The machine, the image encoder's choice for the active model and why; with ``speed_seconds``, the
    measured photos/s of a self-test that long."""
    from photosearch.app.session import open_library
    from photosearch.models.machine import MachineFacts

    try:
        lib = open_library(paths)
    except PhotoSearchError as e:  # a damaged or missing catalog: the checks above say so
        log.info("no library to describe the encoder for: %s", e)
        return SpeedReport(MachineFacts.probe(), None, None)
    with lib:
        return describe(lib) if speed_seconds is None else self_test(lib, speed_seconds)
