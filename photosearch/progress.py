"""The one small progress-event type every long operation reports, the control that pauses and cancels it
between steps, and the one function that puts it in words (``describe``) for the CLI's live line and the
GUI's status bar alike."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class ProgressPhase(str, Enum):
    """What long work is doing. A ``str`` enum: equal to its value, and written as it in JSON."""

    SCANNING = "scanning"  # reconciling folders with the disk
    EMBEDDING = "embedding"  # running photos through the image model
    SAVING = "saving"  # writing the vector index
    DONE = "done"  # a one-shot run finished
    CANCELLED = "cancelled"  # stopped by the person; what was done is kept
    # the live service has nothing to do (this session: ``done`` photos added of ``total`` files)
    IDLE = "idle"
    STOPPED = "stopped"  # the live service was stopped
    ERROR = "error"  # the live service hit an error (``message``)
    SWITCHING = "switching"  # re-embedding for a model switch
    SWITCHED = "switched"  # the model switch finished
    READING_TEXT = "reading_text"  # the second pass: reading the words in photos (OCR)

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def active(self) -> bool:
        """Work is under way (a bar and a pause button make sense)."""
        return self in (
            ProgressPhase.SCANNING,
            ProgressPhase.EMBEDDING,
            ProgressPhase.SAVING,
            ProgressPhase.SWITCHING,
            ProgressPhase.READING_TEXT,
        )

    @property
    def finished(self) -> bool:
        """A run came to rest (done, or the live service went idle)."""
        return self in (ProgressPhase.DONE, ProgressPhase.IDLE)


@dataclass
class Progress:
    phase: (
        ProgressPhase | str
    )  # a plain string of a known phase is converted (an unknown one is a ValueError)
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

    def __post_init__(self) -> None:
        self.phase = ProgressPhase(self.phase)

    @property
    def stage(self) -> ProgressPhase:
        """``phase``, typed (it always is a ``ProgressPhase`` once constructed)."""
        return ProgressPhase(self.phase)

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


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 photo``, ``2 photos``, ``1,204 photos`` (``many`` when the plural is not ``word + "s"``)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def format_duration(seconds: float) -> str:
    """Seconds as a person reads them: "40 s", "12 min", "2 h 5 min"."""
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def describe(p: Progress) -> str:
    """Progress in words, the same in the CLI's live line and the GUI's status bar; "" when there is nothing
    to say (idle with no work done, stopped)."""
    ph = p.stage
    if ph is ProgressPhase.SCANNING:
        return f"Scanned {plural(p.total, 'photo')}" if p.total else "Looking for new and changed photos…"
    if ph in (ProgressPhase.EMBEDDING, ProgressPhase.SWITCHING):
        what = "Indexing" if ph is ProgressPhase.EMBEDDING else "Switching model"
        if p.total == 0:
            return f"{what}…"
        bits = [f"{what} {p.done:,} / {p.total:,}"]
        if p.rate > 0:
            bits.append(f"{p.rate:.1f} photos/s")
        if p.eta is not None and p.done < p.total:
            bits.append(f"{format_duration(p.eta)} left")
        if p.errors:
            bits.append(f"{p.errors:,} skipped")
        text = " · ".join(bits)
        return f"Paused — {text}" if p.paused else text
    if ph is ProgressPhase.READING_TEXT:
        if p.total == 0:
            return "Reading text…"
        bits = [f"Reading text: {p.done:,} / {p.total:,}"]
        if p.rate > 0:
            bits.append(f"{p.rate:.1f} photos/s")
        if p.eta is not None and p.done < p.total:
            bits.append(f"{format_duration(p.eta)} left")
        text = " · ".join(bits)
        return f"Paused — {text}" if p.paused else text
    if ph is ProgressPhase.SAVING:
        return "Saving the search index…"
    if ph is ProgressPhase.DONE or (ph is ProgressPhase.IDLE and p.total):
        # files the scan already turned away (empty, a name that is not UTF-8, unreadable) never reach the
        # model: they are counted here too, or this line said "3 skipped" above a summary of "5 skipped"
        scan = p.extra.get("scan") if isinstance(p.extra, dict) else None
        at_scan = int(scan.get("errors", 0)) if isinstance(scan, dict) else 0
        gone_through = p.total if ph is ProgressPhase.IDLE else p.done  # idle: ``done`` counts added only
        processed, skipped = gone_through + at_scan, p.errors + at_scan
        if not processed:
            return "Done: no new or changed photos"
        return f"Done: {plural(processed, 'photo')} processed, {p.encoded:,} embedded, {skipped:,} skipped"
    if ph is ProgressPhase.CANCELLED:
        return "Indexing stopped"
    if ph is ProgressPhase.ERROR:
        return f"Indexing stopped: {p.message}"
    if ph is ProgressPhase.SWITCHED:
        return "Model switched"
    return ""


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
