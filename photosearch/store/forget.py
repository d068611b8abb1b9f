"""Forget a library: delete every file PhotoSearch derived from your photos in one data directory — the
catalog (and its journal, damaged copies and backups), the vector indexes, thumbnails, the folder list, the
library's settings (its last query) and logs — and nothing else. Your photos are never touched; installed
models stay (they are not about your photos; ``photosearch models remove`` deletes them). Only names
PhotoSearch itself writes are deleted, so a data directory chosen inside another folder loses nothing that is
not ours."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from photosearch.config import Paths
from photosearch.store.lock import WriterLock

# files and folders directly in the data directory that hold derived data (glob patterns)
DERIVED_FILES = (
    "catalog.sqlite3",
    "catalog.sqlite3-wal",
    "catalog.sqlite3-shm",
    "catalog.sqlite3-journal",
    "catalog.sqlite3.damaged-*",
    "folders.json",
    ".folders.json.*.tmp",
    "library-settings.json",  # the last query, strictness, … (photosearch.app.library_settings)
    "library-settings.json.*.tmp",
    ".photosearch-data",  # the data-folder marker; written again when PhotoSearch next opens this folder
)
DERIVED_DIRS = ("index", "thumbs", "backups", "logs")


@dataclass
class Forgotten:
    removed: list[str] = field(default_factory=list)  # paths, relative to the data directory
    bytes_freed: int = 0


def _size(p: Path) -> int:
    if p.is_symlink() or p.is_file():
        with contextlib.suppress(OSError):
            return p.lstat().st_size
        return 0
    total = 0
    for dirpath, _dirs, files in os.walk(p):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def derived_paths(paths: Paths) -> list[Path]:
    """What :func:`forget_library` would delete (existing paths only)."""
    d = paths.data_dir
    out: list[Path] = []
    for pattern in DERIVED_FILES:
        out += sorted(p for p in d.glob(pattern) if p.is_file() or p.is_symlink())
    out += [d / name for name in DERIVED_DIRS if (d / name).is_dir() and not (d / name).is_symlink()]
    return out


def forget_library(paths: Paths) -> Forgotten:
    """Delete the library's derived data (see the module docstring). Takes the writer lock first: refuses
    (``IndexLocked``) while another PhotoSearch process works on this library."""
    report = Forgotten()
    lock = WriterLock(paths.lock_file, "photosearch forget").acquire()
    try:
        for p in derived_paths(paths):
            report.bytes_freed += _size(p)
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
            report.removed.append(str(p.relative_to(paths.data_dir)))
        with contextlib.suppress(OSError):
            paths.lock_file.unlink()  # while still held: nobody starts on the half-forgotten library
            report.removed.append(paths.lock_file.name)
    finally:
        lock.release()
    return report
