"""Query syntax: weighted and negative terms."""

from __future__ import annotations

import pytest

from photosearch.errors import QueryError
from photosearch.search.query import Term, parse_query


def test_single_term() -> None:
    assert parse_query("  kids on a beach at sunset ") == [Term("kids on a beach at sunset")]


def test_weighted_and_negative_terms() -> None:
    assert parse_query("beach + 0.5:sunset - people") == [
        Term("beach"),
        Term("sunset", 0.5),
        Term("people", 1.0, True),
    ]
    assert parse_query("dog - 0.25:grass + .5:ball") == [
        Term("dog"),
        Term("grass", 0.25, True),
        Term("ball", 0.5),
    ]


def test_hyphens_and_plus_inside_words_stay_one_term() -> None:
    assert parse_query("a t-shirt on a well-lit c++ book") == [Term("a t-shirt on a well-lit c++ book")]


def test_weight_with_spaces_and_leading_negative() -> None:
    assert parse_query("2 : red car") == [Term("red car", 2.0)]
    assert parse_query("-people + beach") == [Term("people", 1.0, True), Term("beach")]


def test_errors() -> None:
    assert parse_query("   ") == []
    with pytest.raises(QueryError):
        parse_query("- people")
    with pytest.raises(QueryError):
        parse_query("beach + 0.5:")
