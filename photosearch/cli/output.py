"""What every command shares: the data directory from the arguments, opening the library, ``--json`` or
human output, and the live progress line on stderr (in ``photosearch.progress.describe``'s words)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from photosearch.config import Paths
from photosearch.progress import Progress, ProgressPhase, describe
from photosearch.terminal import shown


def _paths(args: argparse.Namespace) -> Paths:
    return Paths.resolve(args.data_dir)


def _open(args: argparse.Namespace, write: bool = False, purpose: str | None = None) -> Any:
    """The library (a ``Library``; typed Any while cmd_models builds untyped dicts from it)."""
    from photosearch.app.session import open_library

    return open_library(_paths(args), write=write, purpose=purpose)


def _emit(args: argparse.Namespace, data: Any, human: Callable[[], Iterable[str]]) -> None:
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for line in human():
            print(shown(line))


class LiveLine:
    """One live status line on stderr: redrawn in place at most 10 times a second on a TTY; elsewhere a
    plain line at most every 2 s. Final lines are always shown."""

    def __init__(self, stream: Any = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0
        self._open = False  # a TTY line is drawn and not yet ended with a newline

    def show(self, render: Callable[[], str], final: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if not final and now - self._last < (0.1 if self.tty else 2.0):
            return
        self._last = now
        line = shown(render())
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if final else ""))
            self._open = not final
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._open and not self.quiet:
            self.stream.write("\n")
            self._open = False


class ProgressLine(LiveLine):
    """Indexing progress events as a live line (``photosearch.progress.describe``: the GUI's words too)."""

    FINAL = (ProgressPhase.DONE, ProgressPhase.CANCELLED, ProgressPhase.SAVING, ProgressPhase.SWITCHED)

    def __call__(self, p: Progress) -> None:
        text = describe(p)
        if text:
            self.show(
                lambda: text, final=p.stage in self.FINAL or (p.stage is ProgressPhase.IDLE and p.done > 0)
            )


def ranged(
    cast: Callable[[str], float], low: float, high: float | None = None, *, above: bool = False
) -> Any:
    """An argparse ``type``: a number from ``low`` (excluded with ``above``) to ``high``; outside, the usage
    error says the range (``index --batch-size 0`` indexed nothing; ``--threshold 5`` found nothing)."""

    def parse(text: str) -> float:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
        if not math.isfinite(value):  # 'nan' passes every comparison; 'inf' waits or allocates for ever
            raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
        if (value <= low if above else value < low) or (high is not None and value > high):
            if high is not None:
                raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, not {text}")
            raise argparse.ArgumentTypeError(
                f"must be {'more than' if above else 'at least'} {low:g}, not {text}"
            )
        return value

    return parse
