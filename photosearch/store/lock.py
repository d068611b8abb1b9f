"""The single-writer lock: one process writes the library (index, watch, GUI); others only read."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path

from photosearch.errors import IndexLocked

log = logging.getLogger(__name__)


class WriterLock:
    """An advisory ``flock`` on ``writer.lock``; the file records who holds it.

    The kernel releases the lock when the holder dies (even by SIGKILL), so a stale file never blocks.
    """

    def __init__(self, path: str | Path, purpose: str | None = None) -> None:
        self.path = Path(path)
        self.purpose = purpose or " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) or "photosearch"
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> WriterLock:
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self.holder()
            os.close(fd)
            raise IndexLocked(_describe(holder)) from None
        info = {
            "pid": os.getpid(),
            "purpose": self.purpose,
            "host": socket.gethostname(),
            "since": time.time(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        with contextlib.suppress(OSError):
            os.fsync(fd)
        self._fd = fd
        return self

    def holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text() or "null")
        except (OSError, ValueError):
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def is_locked_elsewhere(self) -> bool:
        """True when another process holds the lock (checked without taking it for long)."""
        if self._fd is not None:
            return False
        try:
            fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another PhotoSearch process is updating this library; wait for it to finish or stop it"
    since = time.strftime("%H:%M:%S", time.localtime(holder.get("since", 0)))
    return (
        f"another PhotoSearch process is updating this library (pid {holder.get('pid')}, "
        f"'{holder.get('purpose')}', since {since}); wait for it to finish or stop it — searching still works"
    )
