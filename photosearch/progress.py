"""The one small progress-event type every long operation reports, and the control that pauses and
cancels it between steps. The CLI renders progress as a line, the GUI as a bar."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Progress:
    phase: str  # "scanning" | "embedding" | "saving" | "idle" | "done" | "cancelled" | "downloading" …
    done: int = 0
    total: int = 0
    rate: float = 0.0  # items per second
    eta: float | None = None  # seconds
    current: str | None = None
    errors: int = 0
    encoded: int = 0  # images run through the model
    paused: bool = False
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class WorkControl:
    """Pause / resume / cancel for long work. The worker calls ``checkpoint()`` between steps."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def checkpoint(self, timeout: float | None = None) -> bool:
        """Block while paused; return False when cancelled (the worker then stops)."""
        self._running.wait(timeout)
        return not self._cancelled.is_set()


def format_duration(seconds: float) -> str:
    """Seconds as a person reads them: "40 s", "12 min", "2 h 5 min"."""
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


class RateMeter:
    """Items per second over a sliding window, and an ETA."""

    def __init__(self, window: float = 20.0) -> None:
        self.window = window
        self._marks: list[tuple[float, int]] = []

    def update(self, done: int) -> float:
        now = time.monotonic()
        self._marks.append((now, done))
        while len(self._marks) > 2 and now - self._marks[0][0] > self.window:
            self._marks.pop(0)
        t0, d0 = self._marks[0]
        return (done - d0) / (now - t0) if now > t0 else 0.0

    @staticmethod
    def eta(remaining: int, rate: float) -> float | None:
        return remaining / rate if rate > 0 else None
