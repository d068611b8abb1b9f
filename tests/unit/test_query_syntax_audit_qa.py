"""A query typed half-way ("red +", the window searches as you type) or with a doubled operator is read as the
terms it has; it was searched as the words "red +" (and said "no good matches" where "red" has good ones)."""

from __future__ import annotations

import pytest

from photosearch.search.query import Term, parse_query


@pytest.mark.parametrize(
    ("typed", "terms"),
    [
        ("red +", [Term("red")]),
        ("red -", [Term("red")]),
        ("+ red", [Term("red")]),
        ("red circle + ", [Term("red circle")]),
        ("red + + blue", [Term("red"), Term("blue")]),
        ("red + 0.5:blue +", [Term("red"), Term("blue", 0.5)]),
        ("beach - people -", [Term("beach"), Term("people", negative=True)]),
    ],
)
def test_a_dangling_or_doubled_operator_is_not_a_word(typed: str, terms: list[Term]) -> None:
    assert parse_query(typed) == terms


@pytest.mark.parametrize("typed", ["t-shirt", "c++", "rock-n-roll", "- people + beach", "1 + 1"])
def test_words_with_signs_inside_are_unchanged(typed: str) -> None:
    before = {"t-shirt": [Term("t-shirt")], "c++": [Term("c++")], "rock-n-roll": [Term("rock-n-roll")]}
    if typed in before:
        assert parse_query(typed) == before[typed]
    else:
        assert parse_query(typed)  # still parses


def test_an_operator_alone_has_no_terms() -> None:
    assert parse_query("+") == [] and parse_query(" - ") == []
