"""Why the catalog could not grow, in plain words.

SQLite turns a write that the system refuses with EFBIG (a file-size limit: ``ulimit -f``, a service's
``LimitFSIZE``) into "disk I/O error" and keeps no errno, so the words are chosen from what can be checked
afterwards: a file-size limit set on this process, and the room left on the disk holding the catalog.
A full disk SQLite reports itself ("database or disk is full": ``schema._is_disk_full``).
"""

from __future__ import annotations

import resource
import shutil
import sqlite3
from pathlib import Path

from photosearch.errors import CatalogError, DiskFull, PhotoSearchError

#: SQLite's result codes for a failed write or resize (extended codes of SQLITE_IOERR)
_WRITE_FAILURES = frozenset(
    {
        "SQLITE_IOERR",
        "SQLITE_IOERR_WRITE",
        "SQLITE_IOERR_FSYNC",
        "SQLITE_IOERR_TRUNCATE",
        "SQLITE_IOERR_SHMSIZE",
        "SQLITE_IOERR_SHMMAP",
        "SQLITE_IOERR_MMAP",
    }
)

#: less room than this on the disk counts as a full disk
NEARLY_FULL = 16 * 1024 * 1024

KEPT = "what was indexed before is kept"


def is_write_failure(e: sqlite3.DatabaseError) -> bool:
    name = getattr(e, "sqlite_errorname", None)
    if name is not None:
        return str(name) in _WRITE_FAILURES
    return "disk i/o error" in str(e).lower()


def file_size_limit() -> int | None:
    """This process's file-size limit in bytes, None when there is none."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _mb(n: int) -> str:
    if n < 1_000_000:
        return f"{max(n, 0) / 1e3:.0f} kB"
    return f"{n / 1e6:.1f} MB" if n < 10_000_000 else f"{n / 1e6:,.0f} MB"


def file_too_big(folder: Path, what: str) -> DiskFull | None:
    """A write refused with EFBIG, or a short write where a file-size limit is set and the disk has room:
    the limit, in words; None when no limit is set."""
    limit = file_size_limit()
    if limit is None:
        return None
    free = free_bytes(folder)
    if free is not None and free < NEARLY_FULL:
        return None  # the disk is full: its own words
    return DiskFull(
        f"{what} could not grow: a file-size limit is set ({_mb(limit)}, 'ulimit -f' or the service's "
        f"limits). Raise or remove the limit, then run the command again; {KEPT}"
    )


def cannot_grow(catalog: Path, e: sqlite3.DatabaseError) -> PhotoSearchError | None:
    """The error to show for SQLite's "disk I/O error" on a write to ``catalog``; None for other errors."""
    if not is_write_failure(e):
        return None
    folder = catalog.parent
    limit = file_size_limit()
    free = free_bytes(folder)
    full = free is not None and free < NEARLY_FULL
    if limit is not None and full:
        return DiskFull(
            f"the catalog could not grow: the disk is full or a file-size limit is set ({_mb(limit)}; "
            f"{_mb(free or 0)} free on the disk holding {folder}). Free some space or raise the limit "
            f"('ulimit -f'), then run the command again; {KEPT}"
        )
    if limit is not None:
        return DiskFull(
            f"the catalog could not grow: a file-size limit is set ({_mb(limit)}, 'ulimit -f' or the "
            f"service's limits) and the catalog's files ({catalog}, its -wal and -shm) need more. Raise or remove the limit, then run "
            f"the command again; {KEPT}"
        )
    if full:
        return DiskFull(
            f"the catalog could not grow: the disk holding {folder} is full ({_mb(free or 0)} free). Free "
            f"some space and try again; {KEPT}"
        )
    return CatalogError(
        f"the catalog {catalog} could not be written (the disk reported an input/output error: it may be "
        f"failing, unplugged or a network disk that went away); {KEPT}. Run 'photosearch doctor' to check it"
    )
