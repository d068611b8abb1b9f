"""The downloads folder: one download of a model at a time (``downloading``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from photosearch.errors import DownloadError


@contextlib.contextmanager
def downloading(staging: Path, name: str) -> Iterator[None]:
    """One download per staging folder at a time (the operating system's lock on ``.<staging>.lock`` beside
    it, released when its holder ends, even killed): two at once would write the same ``.part`` files. The
    lock file is removed when the download ends (a holder checks it locked the file still at that path)."""
    from photosearch.store.lock import open_lock_file, try_lock, unlock

    path = staging.with_name(f".{staging.name}.lock")
    while True:
        fd = open_lock_file(path)
        if not try_lock(fd):
            os.close(fd)
            raise DownloadError(
                f"another PhotoSearch is downloading {name} now; wait for it to finish "
                "('photosearch models list' shows it installed), or stop it and run this again"
            )
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if same:
            break
        unlock(fd)  # the holder before removed it as we opened it: lock the file at the path now
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # (Windows: an open file cannot be removed; it stays)
            path.unlink()
        unlock(fd)
        os.close(fd)
