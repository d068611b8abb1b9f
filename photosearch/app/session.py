"""Opening the library the way each front end needs it."""

from __future__ import annotations

import errno
import logging

from photosearch.config import Paths
from photosearch.errors import CatalogError, IndexLocked
from photosearch.library.library import Library

log = logging.getLogger(__name__)


def open_library(paths: Paths, *, write: bool = False, purpose: str | None = None) -> Library:
    return Library(paths, write=write, purpose=purpose)


def open_writable_or_read_only(paths: Paths, purpose: str) -> tuple[Library, bool]:
    """The library for a long-lived front end: writable, or read-only (second value True) when another
    process holds the writer lock. Opening checks the catalog (quick_check): call it off the UI thread."""
    try:
        return Library(paths, write=True, purpose=purpose), False
    except IndexLocked as e:
        log.info("the library is locked by another writer (%s): opening read-only", e)
        lib = Library(paths, write=False)
        lib.read_only_reason = "another PhotoSearch is indexing this library"
        return lib, True
    except CatalogError as e:  # a read-only disk or a folder without write permission: search still works
        cause = e.__cause__
        if not (isinstance(cause, OSError) and cause.errno in (errno.EROFS, errno.EACCES, errno.EPERM)):
            raise
        log.warning("%s: opening read-only", e)
        lib = Library(paths, write=False)
        lib.read_only_reason = str(e)
        return lib, True
