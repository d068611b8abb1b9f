"""The single-writer lock: one process writes the library (index, watch, GUI); others only read.

The lock is the operating system's, released by the kernel when its holder dies (even killed), so a stale lock
file never blocks: ``flock`` on POSIX, ``msvcrt.locking`` on Windows (the standard library's byte-range lock;
no lock library needed for these few lines). ``try_lock``/``unlock`` are shared with the hand-over's
``owner.lock`` (``photosearch.app.handover``).

On Windows a byte-range lock is mandatory (a locked byte cannot be read by another process), so the byte
locked is one far past the end of the file (``_WINDOWS_LOCK_AT``; Windows allows locking beyond the end):
the holder's description at the start of ``writer.lock`` stays readable by the process that is refused.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path

from photosearch.errors import IndexLocked

log = logging.getLogger(__name__)

_WINDOWS_LOCK_AT = 1 << 30  # the byte locked on Windows: never written, so never in the way of a reader

if sys.platform == "win32":
    import msvcrt

    def _lock_byte(fd: int, mode: int) -> None:
        """``msvcrt.locking`` of the one byte at _WINDOWS_LOCK_AT (it locks from the file position)."""
        here = os.lseek(fd, 0, os.SEEK_CUR)
        os.lseek(fd, _WINDOWS_LOCK_AT, os.SEEK_SET)
        try:
            msvcrt.locking(fd, mode, 1)
        finally:
            os.lseek(fd, here, os.SEEK_SET)

    def try_lock(fd: int) -> bool:
        """Take the exclusive lock on the open file ``fd`` without waiting; False when another holds it."""
        try:
            _lock_byte(fd, msvcrt.LK_NBLCK)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        _lock_byte(fd, msvcrt.LK_UNLCK)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        """Take the exclusive lock on the open file ``fd`` without waiting; False when another holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def open_lock_file(path: str | Path, mode: int = 0o644) -> int:
    """Open (create) a lock file for reading and writing, in binary mode on Windows."""
    return os.open(str(path), os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), mode)


class WriterLock:
    """The operating system's lock on ``writer.lock`` (``try_lock``); the file records who holds it.

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
        fd = open_lock_file(self.path)
        if not try_lock(fd):
            holder = self.holder()
            os.close(fd)
            raise IndexLocked(_describe(holder))
        info = {
            "pid": os.getpid(),
            "purpose": self.purpose,
            "host": socket.gethostname(),
            "since": time.time(),
        }
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(info).encode())  # (no os.pwrite on Windows)
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
            unlock(self._fd)
        os.close(self._fd)
        self._fd = None

    def is_locked_elsewhere(self) -> bool:
        """True when another process holds the lock (checked without taking it for long)."""
        if self._fd is not None:
            return False
        try:
            fd = open_lock_file(self.path)
        except OSError:
            return False
        try:
            if not try_lock(fd):
                return True
            with contextlib.suppress(OSError):
                unlock(fd)
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
