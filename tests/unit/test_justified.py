"""Justified rows: every row but a section's last fills the width within 1 px, every photo keeps its aspect
ratio within 1 % or 1 px, sections stack with their headers, and lookups stay correct over 100k results."""

from __future__ import annotations

import random

import pytest

from photosearch.gui.justified import clamp_aspect, layout


def random_aspects(n: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    shapes = [4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9, 9 / 16, 1.0, 3.2, 0.4]
    return [rng.choice(shapes) * rng.uniform(0.97, 1.03) for _ in range(n)]


@pytest.mark.parametrize("width", [320, 777, 1180, 1920, 3840])
@pytest.mark.parametrize("target", [120, 180, 260])
def test_rows_fill_the_width_and_photos_keep_their_shape(width: int, target: int) -> None:
    aspects = random_aspects(500, seed=width + target)
    lay = layout(aspects, width, target_height=target, spacing=4)
    assert sum(len(r.ws) for r in lay.rows) == len(aspects)
    for row in lay.rows:
        right = row.xs[-1] + row.ws[-1]
        if not row.last_in_section:
            assert abs(right - width) <= 1
        assert right <= width
        for k, w in enumerate(row.ws):
            a = clamp_aspect(aspects[row.start + k])
            ideal = a * row.h
            assert abs(w - ideal) <= max(1.0, 0.01 * ideal) + 0.5, (w, ideal)  # within 1 % or 1 px
            assert row.xs[k] >= 0
        assert row.h <= 2.7 * target  # never a tower; short rows come only from panoramas in narrow views


def test_sections_stack_under_their_headers() -> None:
    aspects = random_aspects(100)
    sections = [("December 2026", 30), ("November 2026", 1), ("June 2025", 69)]
    lay = layout(aspects, 1000, sections=sections, header_height=36)
    assert [h.title for h in lay.headers] == ["December 2026", "November 2026", "June 2025"]
    for s, header in enumerate(lay.headers):
        rows = [r for r in lay.rows if r.section == s]
        assert rows[0].y == header.y + header.h
        assert sum(len(r.ws) for r in rows) == sections[s][1]
        assert rows[-1].last_in_section and not any(r.last_in_section for r in rows[:-1])
    assert lay.header_at(lay.headers[2].y + 50) == lay.headers[2]
    assert lay.header_at(0) == lay.headers[0]


def test_lookups_over_a_hundred_thousand_results() -> None:
    aspects = random_aspects(100_000, seed=5)
    lay = layout(aspects, 1280, target_height=180)
    mid = lay.height // 2
    tiles = lay.tiles_between(mid, mid + 800)
    assert tiles and all(t.y < mid + 800 and t.y + t.h > mid for t in tiles)
    t = tiles[len(tiles) // 2]
    assert lay.tile_of(t.index) == t
    assert lay.index_at(t.x + 1, t.y + 1) == t.index
    assert lay.index_at(1279, t.y + 1) in (None, lay.rows_between(t.y, t.y + 1)[0].end - 1)
    # arrow keys: right/left step in order; down lands on the row below, near the same column
    assert lay.neighbour(t.index, 1, 0) == t.index + 1 and lay.neighbour(t.index, -1, 0) == t.index - 1
    below = lay.tile_of(lay.neighbour(t.index, 0, 1))
    assert below is not None and below.y > t.y
    assert lay.neighbour(0, 0, -1) == 0 and lay.neighbour(99_999, 1, 0) == 99_999


def test_degenerate_inputs() -> None:
    assert layout([], 800).rows == []
    one = layout([1.5], 800, target_height=200)
    assert one.rows[0].ws == (300,) and one.rows[0].h == 200
    weird = layout([0.0, float("nan"), -1.0, 1000.0], 400)
    assert sum(len(r.ws) for r in weird.rows) == 4
    tiny = layout(random_aspects(50), 1)
    assert all(r.xs[-1] + r.ws[-1] <= 1 or len(r.ws) == 1 for r in tiny.rows)
