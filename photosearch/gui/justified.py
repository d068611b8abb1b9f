"""Justified layout: rows that fill the width with every photo at its own aspect ratio (the layout Flickr
published as justified-layout, and Google Photos and Immich use), grouped under section headers (months in the
date view). Pure arithmetic, no Qt: the results view asks it where things are and what is visible.

A row takes photos until, scaled to fill the width exactly, it would be no taller than the target height; its
height is then what fills the width. Widths are whole pixels whose rounding is spread over the row, so every
row but a section's last fills the width exactly and each photo keeps its aspect ratio within a pixel. A
section's last row keeps the target height, left-aligned, unless it is nearly full. Finding what is visible is a
binary search, so 100k photos scroll as cheaply as 100.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

MIN_ASPECT, MAX_ASPECT = 0.25, 5.0  # panoramas and slivers are shown cropped to these


@dataclass(frozen=True)
class Tile:
    index: int  # position in the result list
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class Row:
    y: int
    h: int
    start: int  # first result index in the row
    xs: tuple[int, ...]
    ws: tuple[int, ...]
    section: int
    last_in_section: bool

    @property
    def end(self) -> int:
        return self.start + len(self.ws)


@dataclass(frozen=True)
class Header:
    section: int
    y: int
    h: int
    title: str
    count: int


@dataclass
class Layout:
    width: int
    height: int = 0
    rows: list[Row] = field(default_factory=list)
    headers: list[Header] = field(default_factory=list)
    _row_tops: list[int] = field(default_factory=list, repr=False)
    _first_index: list[int] = field(default_factory=list, repr=False)

    def rows_between(self, top: int, bottom: int) -> list[Row]:
        """Rows that intersect [top, bottom)."""
        i = max(0, bisect.bisect_right(self._row_tops, top) - 1)
        out = []
        while i < len(self.rows) and self.rows[i].y < bottom:
            if self.rows[i].y + self.rows[i].h > top:
                out.append(self.rows[i])
            i += 1
        return out

    def tiles_between(self, top: int, bottom: int) -> list[Tile]:
        return [
            Tile(r.start + k, r.xs[k], r.y, r.ws[k], r.h)
            for r in self.rows_between(top, bottom)
            for k in range(len(r.ws))
        ]

    def headers_between(self, top: int, bottom: int) -> list[Header]:
        return [h for h in self.headers if h.y < bottom and h.y + h.h > top]

    def header_at(self, top: int) -> Header | None:
        """The section header that should stick to the top of a viewport starting at ``top``."""
        ys = [h.y for h in self.headers]
        i = bisect.bisect_right(ys, top) - 1
        return self.headers[i] if i >= 0 else None

    def tile_of(self, index: int) -> Tile | None:
        r = bisect.bisect_right(self._first_index, index) - 1
        if r < 0 or r >= len(self.rows):
            return None
        row = self.rows[r]
        k = index - row.start
        if not 0 <= k < len(row.ws):
            return None
        return Tile(index, row.xs[k], row.y, row.ws[k], row.h)

    def index_at(self, x: int, y: int) -> int | None:
        for row in self.rows_between(y, y + 1):
            for k in range(len(row.ws)):
                if row.xs[k] <= x < row.xs[k] + row.ws[k]:
                    return row.start + k
        return None

    def runs_in(self, left: int, top: int, right: int, bottom: int) -> list[tuple[int, int]]:
        """The tiles meeting the rectangle (inclusive edges, as a QRect's), as runs of consecutive indexes
        (first, last): a rubber band's selection."""
        runs: list[list[int]] = []
        for t in self.tiles_between(top, bottom + 1):
            if t.x <= right and t.x + t.w > left:
                if runs and t.index == runs[-1][1] + 1:
                    runs[-1][1] = t.index
                else:
                    runs.append([t.index, t.index])
        return [(a, b) for a, b in runs]

    def page(self, index: int, sign: int, height: int) -> int:
        """The result a page up (``sign`` -1) or down (1) from ``index``: the furthest row whose tile centre is
        within ``height`` of this one's."""
        tile = self.tile_of(index)
        if tile is None:
            return index
        target = tile.y + tile.h / 2 + sign * height
        while True:
            nxt = self.neighbour(index, 0, sign)
            t = self.tile_of(nxt)
            if nxt == index or t is None or sign * (t.y + t.h / 2 - target) > 0:
                return index
            index = nxt

    def neighbour(self, index: int, dx: int, dy: int) -> int:
        """The result reached from ``index`` by an arrow key: left/right in reading order, up/down to the tile
        of the row above or below that overlaps it most."""
        tile = self.tile_of(index)
        total = self.rows[-1].end if self.rows else 0
        if tile is None or total == 0:
            return index
        if dx:
            return min(max(index + dx, 0), total - 1)
        r = bisect.bisect_right(self._first_index, index) - 1 + dy
        if not 0 <= r < len(self.rows):
            return index
        row = self.rows[r]
        centre = tile.x + tile.w / 2
        best = min(range(len(row.ws)), key=lambda k: abs(row.xs[k] + row.ws[k] / 2 - centre))
        return row.start + best


def clamp_aspect(aspect: float) -> float:
    if not aspect or aspect != aspect or aspect <= 0:
        return 1.0
    return min(max(aspect, MIN_ASPECT), MAX_ASPECT)


def _widths(aspects: Sequence[float], height: float, room: int) -> list[int]:
    """Whole-pixel widths for ``aspects`` at ``height`` that add up to ``room`` (largest remainders)."""
    exact = [a * height for a in aspects]
    floors = [int(e) for e in exact]
    short = room - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[: max(0, short)]:
        floors[i] += 1
    return floors


class LayoutBuilder:
    """Lays out rows a batch at a time (``run``), so a view can paint the first screen of 100k results at
    once and finish the rest between frames. ``aspect_of(i)`` gives result i's aspect ratio when needed."""

    def __init__(
        self,
        n: int,
        aspect_of: Callable[[int], float],
        width: int,
        target_height: int = 180,
        spacing: int = 4,
        sections: Sequence[tuple[str, int]] | None = None,
        header_height: int = 36,
        nearly_full: float = 0.85,
    ) -> None:
        self.n, self.aspect_of = n, aspect_of
        self.width = max(1, int(width))
        self.target, self.spacing, self.header_height, self.nearly_full = (
            target_height,
            spacing,
            header_height,
            nearly_full,
        )
        self.titled = bool(sections)
        self.spans = list(sections) if sections else [("", n)]
        self.aspects: list[float] = []
        self.out = Layout(width=self.width)
        self.section = 0  # the section being laid out
        self.start = 0  # its first result
        self.i = 0  # the next result to place
        self.y = 0
        self.header_done = False

    @property
    def done(self) -> bool:
        return self.section >= len(self.spans)

    def _aspects_to(self, j: int) -> None:
        a = self.aspects
        while len(a) < j:
            a.append(clamp_aspect(self.aspect_of(len(a))))

    def run(self, budget: int) -> bool:
        """Lay out at least ``budget`` more results (whole rows); True when the layout is complete."""
        out, width, spacing, target = self.out, self.width, self.spacing, self.target
        aspects = self.aspects
        placed = 0
        while not self.done and placed < budget:
            title, count = self.spans[self.section]
            if self.titled and not self.header_done:  # an untitled section (before a divider) has no header
                hh = self.header_height if title else 0
                out.headers.append(Header(self.section, self.y, hh, title, count))
                self.y += hh
            self.header_done = True
            end = self.start + count
            self._aspects_to(min(end, self.i + budget - placed + 64))
            i = self.i
            while i < end and placed < budget:
                j = i
                total = 0.0
                while j < end:
                    if j >= len(aspects):
                        self._aspects_to(min(end, j + 256))
                    total += aspects[j]
                    j += 1
                    room = width - spacing * (j - i - 1)
                    if room / total <= target:
                        break
                if j - i > 1 and (width - spacing * (j - i - 1)) / total <= target:
                    # the photo that tipped the row under the target: kept only if that lands nearer the target
                    without = total - aspects[j - 1]
                    h_with = (width - spacing * (j - i - 1)) / total
                    h_without = (width - spacing * (j - i - 2)) / without
                    if math.log(h_without / target) < math.log(target / h_with):
                        j -= 1
                        total = without
                n = j - i
                room = width - spacing * (n - 1)
                fill_h = room / total
                last = j >= end
                if last and fill_h > target / self.nearly_full:  # a short last row keeps the target height
                    h = target
                    ws = [max(1, round(a * h)) for a in aspects[i:j]]
                    if sum(ws) + spacing * (n - 1) > width:  # never wider than the view
                        ws = _widths(aspects[i:j], room / total, room)
                else:
                    h = max(1, round(fill_h))
                    ws = _widths(aspects[i:j], fill_h, room)
                xs = []
                x = 0
                for w in ws:
                    xs.append(x)
                    x += w + spacing
                out.rows.append(Row(self.y, h, i, tuple(xs), tuple(ws), self.section, last))
                out._row_tops.append(self.y)
                out._first_index.append(i)
                self.y += h + spacing
                placed += n
                i = j
            self.i = i
            if i >= end:
                self.section += 1
                self.start = end
                self.header_done = False
        out.height = self.y
        return self.done


def layout(
    aspects: Sequence[float],
    width: int,
    target_height: int = 180,
    spacing: int = 4,
    sections: Sequence[tuple[str, int]] | None = None,
    header_height: int = 36,
    nearly_full: float = 0.85,
) -> Layout:
    """Lay out ``aspects`` (width / height per result, in order) in rows ``width`` pixels wide.
    ``sections``: (title, count) in order, counts adding up to ``len(aspects)``; None for one untitled run."""
    b = LayoutBuilder(
        len(aspects), aspects.__getitem__, width, target_height, spacing, sections, header_height, nearly_full
    )
    b.run(len(aspects) + 1)
    return b.out
