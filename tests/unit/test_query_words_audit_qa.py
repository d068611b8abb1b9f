"""Words a new user types for a date or several places, read as the filters they mean (audit, 2026-12-06)."""

from __future__ import annotations

import datetime as dt

import pytest

from photosearch.places.query_words import parse
from tests.unit.test_query_words import TODAY, VOCAB


@pytest.mark.parametrize(
    ("line", "text", "start", "end"),
    [
        ("2019-05", "", dt.date(2019, 5, 1), dt.date(2019, 6, 1)),  # as --from takes it
        ("beach 2019-05-12", "beach", dt.date(2019, 5, 12), dt.date(2019, 5, 13)),
        ("dogs in 2019-12", "dogs", dt.date(2019, 12, 1), dt.date(2020, 1, 1)),
    ],
)
def test_an_iso_date_is_a_time_filter(line: str, text: str, start: dt.date, end: dt.date) -> None:
    """'2019-05' was searched as meaning ('no good matches') although --from 2019-05 is the written form."""
    p = parse(line, VOCAB, TODAY)
    assert p.time is not None and (p.time.start, p.time.end) == (start, end)
    assert p.text == text


@pytest.mark.parametrize("line", ["2019-13", "2019-02-30", "2019-05-1x"])
def test_a_date_that_is_not_one_stays_words(line: str) -> None:
    assert parse(line, VOCAB, TODAY).time is None


@pytest.mark.parametrize("line", ["in Helsinki or Rome", "Helsinki and Rome", "photos from Helsinki or Rome"])
def test_or_between_places_is_not_left_as_meaning(line: str) -> None:
    """'in Rome or Paris' read both places and searched 'or' by meaning: 'no good matches (Nothing close to 'or')'."""
    p = parse(line, VOCAB, TODAY)
    assert len(p.places) >= 2 and p.text == "", (p.places, p.text)
