"""Check the catalog, index, thumbnails and models; repair what can be repaired."""

from __future__ import annotations

from photosearch import doctor as _doctor
from photosearch.config import Paths


def check(paths: Paths, *, repair: bool = False, full: bool = False) -> _doctor.DoctorReport:
    return _doctor.run(paths, repair=repair, full=full)
