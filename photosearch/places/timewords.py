"""Time filters of a query ("last summer", "December 2019", "2018-2020", "3 years ago") and how a photo's local
date and hemisphere match them.

A filter is a set of local dates: a range (start inclusive, end exclusive), a set of months in any year, or a
season, whose months follow the photo's hemisphere (June–August is summer in the north, December–February in
the south; a photo without a position counts as northern). Meteorological seasons: a winter "of 2019" is
December 2019 – February 2020, and in the south a summer "of 2019" is December 2019 – February 2020.
Relative words use an injectable ``today``: "last summer" is the latest summer that has ended, "this summer"
the one under way (or else the latest begun).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum


class Season(str, Enum):
    SPRING = "spring"
    SUMMER = "summer"
    AUTUMN = "autumn"
    WINTER = "winter"


# first month of each season, northern hemisphere; the south is six months on
_SEASON_START = {Season.SPRING: 3, Season.SUMMER: 6, Season.AUTUMN: 9, Season.WINTER: 12}
MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
SEASONS = {"spring": Season.SPRING, "summer": Season.SUMMER, "autumn": Season.AUTUMN, "fall": Season.AUTUMN,
           "winter": Season.WINTER}  # fmt: skip


def season_months(season: Season, southern: bool = False) -> tuple[int, int, int]:
    first = _SEASON_START[season] + (6 if southern else 0)
    return tuple(((first - 1 + i) % 12) + 1 for i in range(3))  # type: ignore[return-value]


def season_range(season: Season, year: int, southern: bool = False) -> tuple[dt.date, dt.date]:
    """[start, end) of ``season`` "of" ``year``: it begins in that year."""
    first = _SEASON_START[season] + (6 if southern else 0)
    y, m = (year + 1, first - 12) if first > 12 else (year, first)
    start = dt.date(y, m, 1)
    end_m = m + 3
    end = dt.date(y + (end_m - 1) // 12, (end_m - 1) % 12 + 1, 1)
    return start, end


def latest_season(season: Season, today: dt.date, southern: bool, ended: bool) -> tuple[dt.date, dt.date]:
    """The latest ``season`` that has ended before ``today`` (``ended``) or that has begun by ``today``."""
    for year in range(today.year, today.year - 3, -1):
        start, end = season_range(season, year, southern)
        if (end <= today) if ended else (start <= today):
            return start, end
    return season_range(season, today.year - 3, southern)


@dataclass(frozen=True)
class TimeFilter:
    """Photos whose local date falls in ``[start, end)`` and/or in ``months``, or in ``season`` (of
    ``season_year``, or the latest one relative to ``today`` when ``relative`` is "last"/"this")."""

    label: str
    start: dt.date | None = None
    end: dt.date | None = None
    months: frozenset[int] | None = None
    season: Season | None = None
    season_year: int | None = None
    relative: str | None = None  # "last" | "this" for seasons
    today: dt.date | None = None

    def matches(self, local: dt.datetime | dt.date | None, latitude: float | None = None) -> bool:
        if local is None:
            return False
        day = local.date() if isinstance(local, dt.datetime) else local
        if self.start is not None and day < self.start:
            return False
        if self.end is not None and day >= self.end:
            return False
        if self.months is not None and day.month not in self.months:
            return False
        if self.season is not None:
            southern = latitude is not None and latitude < 0
            if self.season_year is not None:
                s, e = season_range(self.season, self.season_year, southern)
                return s <= day < e
            if self.relative is not None and self.today is not None:
                s, e = latest_season(self.season, self.today, southern, ended=self.relative == "last")
                return s <= day < e
            return day.month in season_months(self.season, southern)
        return True

    def bounds(self) -> tuple[dt.date | None, dt.date | None]:
        """A date range that holds every match in either hemisphere (for a first, coarse SQL filter)."""
        if self.season is None:
            return self.start, self.end
        if self.season_year is not None:
            n, s = (
                season_range(self.season, self.season_year),
                season_range(self.season, self.season_year, True),
            )
            return min(n[0], s[0]), max(n[1], s[1])
        if self.relative is not None and self.today is not None:
            ended = self.relative == "last"
            n = latest_season(self.season, self.today, False, ended)
            s = latest_season(self.season, self.today, True, ended)
            return min(n[0], s[0]), max(n[1], s[1])
        return self.start, self.end


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return dt.date(year, month, 1), end


def year_range(first: int, last: int | None = None) -> tuple[dt.date, dt.date]:
    return dt.date(first, 1, 1), dt.date((last if last is not None else first) + 1, 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return dt.date(y, m, 1)
