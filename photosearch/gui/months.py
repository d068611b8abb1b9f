"""Months and shapes of results, for the grid: the date browsing orders by, the runs of results in the same
month (the grid's sections, found by binary search over results in date order), each photo's aspect ratio."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, QLocale

from photosearch.gui.justified import clamp_aspect


def result_time(result: Any) -> float:
    """The date browsing orders by: taken, else modified (the catalog's ``coalesce(taken_at, mtime)``)."""
    f = result.file
    return float(f.taken_at) if f.taken_at is not None else f.mtime_ns / 1e9


def _month_bounds(t: float) -> tuple[tuple[int, int], float, float]:
    lt = time.localtime(t)
    y, m = lt.tm_year, lt.tm_mon
    lo = time.mktime((y, m, 1, 0, 0, 0, 0, 0, -1))
    hi = time.mktime((y + (m == 12), m % 12 + 1, 1, 0, 0, 0, 0, 0, -1))
    return (y, m), lo, hi


def _older_than(start: float) -> Callable[[Any], int]:
    def older(r: Any) -> int:  # 0: at or after ``start``, 1: before it
        return int(result_time(r) < start)

    return older


def _month_runs(results: list[Any]) -> list[tuple[tuple[int, int], int]] | None:
    """Month runs of results in date order, newest first, found by binary search (a few dozen lookups for
    100k results); None when the results are not in that order."""
    out: list[tuple[tuple[int, int], int]] = []
    i, n = 0, len(results)
    while i < n:
        key, lo, _hi = _month_bounds(result_time(results[i]))
        j = bisect.bisect_left(
            results, 1, lo=i, key=_older_than(lo)
        )  # the first result older than this month
        if j <= i:
            return None
        out.append((key, j - i))
        i = j
    return out


def month_sections(results: list[Any], locale: QLocale | None = None) -> list[tuple[str, int]]:
    """(month title, count) for consecutive runs of results taken in the same month (local time)."""
    loc = locale or QLocale()
    runs = _month_runs(results) if _newest_first(results) else None
    if runs is None:  # any order: one pass, a month's bounds computed once
        runs = []
        lo = hi = 0.0
        for r in results:
            t = result_time(r)
            if lo <= t < hi:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
                continue
            key, lo, hi = _month_bounds(t)
            if runs and runs[-1][0] == key:
                runs[-1] = (key, runs[-1][1] + 1)
            else:
                runs.append((key, 1))
    return [(loc.toString(QDate(y, m, 1), "MMMM yyyy"), c) for (y, m), c in runs]


def _newest_first(results: list[Any], probes: int = 64) -> bool:
    """A cheap check that the results are newest first (a sample, then the month boundaries are verified by
    the binary search itself)."""
    n = len(results)
    if n < 2:
        return True
    step = max(1, n // probes)
    times = [result_time(results[i]) for i in range(0, n, step)] + [result_time(results[-1])]
    return all(a >= b for a, b in zip(times, times[1:], strict=False))


def aspect_of(result: Any) -> float:
    f = result.file
    return clamp_aspect(f.width / f.height) if f.width and f.height else 1.0


WEAKER = "Weaker matches below"  # the relevance line, drawn as a section title


def result_sections(results: list[Any], kind: str, by_date: bool) -> list[tuple[str, int]] | None:
    """How the grid groups ``results``: by month in the date view; a search's close matches, then the weaker
    ones under the relevance line; else one run without a title (None)."""
    if not results:
        return None
    if by_date:
        return month_sections(results)
    if kind and kind != "browse":
        passed = sum(1 for r in results if r.passed)
        if 0 < passed < len(results):
            return [("", passed), (WEAKER, len(results) - passed)]
    return None
