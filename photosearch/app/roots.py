"""Which added folders are not there now — the one rule both front ends' searches follow.

A folder's photos are listed only while its root is there: an unplugged drive, an unmounted share or a deleted
folder hides them at the next search (the scan or the running indexer later records it ``offline``; nothing is
deleted from the catalog), and a folder that comes back shows them again at the next search after it, without a
rescan. A root that does not answer within :data:`TIMEOUT` (a dead network mount) counts as not there for this
search, and no search waits on it again: its check goes on in the background, one at a time per root, and the
answer is used when it arrives.

Only the roots are checked (one ``stat`` each, never a file), on a daemon thread each, and each answer is kept
for :data:`TTL` seconds. ``photosearch.app.search.search`` asks; a search runs on the window's worker thread,
never on the UI thread.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterable

#: How long a search waits for the roots' answers in all (seconds).
TIMEOUT = 0.25
#: How long an answer is kept (seconds): a search typed letter by letter checks each root once.
TTL = 2.0


class RootCheck:
    """Whether folder roots are there, answered within ``timeout``, each answer kept ``ttl`` seconds."""

    def __init__(self, timeout: float = TIMEOUT, ttl: float = TTL) -> None:
        self.timeout, self.ttl = timeout, ttl
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, bool]] = {}  # root → (when answered, there)
        self._running: dict[str, threading.Event] = {}  # root → set when its check ends

    def absent(self, roots: Iterable[str]) -> set[str]:
        """The roots that are not there now, or did not answer in time."""
        deadline = time.monotonic() + self.timeout
        waits: dict[str, threading.Event] = {}
        out: set[str] = set()
        with self._lock:
            now = time.monotonic()
            for root in dict.fromkeys(roots):
                known = self._answers.get(root)
                if known is not None and now - known[0] <= self.ttl:
                    if not known[1]:
                        out.add(root)
                    continue
                done = self._running.get(root)
                if done is None:
                    done = self._running[root] = threading.Event()
                    threading.Thread(
                        target=self._check, args=(root, done), name="root-check", daemon=True
                    ).start()
                waits[root] = done
        for root, done in waits.items():
            if not done.wait(max(0.0, deadline - time.monotonic())):
                out.add(root)  # still checking: not reachable for this search
                continue
            with self._lock:
                known = self._answers.get(root)
            if known is None or not known[1]:
                out.add(root)
        return out

    def _check(self, root: str, done: threading.Event) -> None:
        try:
            there = stat.S_ISDIR(os.stat(root).st_mode)
        except (OSError, ValueError):
            there = False
        with self._lock:
            self._answers[root] = (time.monotonic(), there)
            self._running.pop(root, None)
        done.set()

    def forget(self) -> None:
        """Drop every kept answer (the next search asks again)."""
        with self._lock:
            self._answers.clear()


#: The process's one check: the window's searches and a command's share its answers.
ROOTS = RootCheck()
