"""Matching a query against the text read in a photo: OCR slips, word order, quoted phrases, short and CJK
queries, and candidate retrieval through SQLite FTS5's trigram tokenizer."""

from __future__ import annotations

import sqlite3

import pytest

from photosearch.text.match import MATCH_SCORE, TextQuery, index_form, similarity

DOCS = {
    1: "NOTICE\nDOUBLE\nPARKING\nPROHIBITED\nAT ALL TIMES",
    2: "Sports Centre\nWivennoe Park\nConference Centre\nCar Parks",  # OCR read "Wivenhoe" with a slip
    3: "SUPERMARKT\nTOTAL 42.50\nThank you",
    4: "北京欢迎你",
    5: "Via Roma 12",
    6: "GM 125",
    7: "BOARDING PASS\nGate B12 Seat 14C",
    8: "ＣＡＦＥ ｄｅｌ ａｒｔｅ",  # full-width forms
}


@pytest.fixture(scope="module")
def db() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE photo_text USING fts5(body, tokenize='trigram')")
    for rowid, body in DOCS.items():
        con.execute("INSERT INTO photo_text(rowid, body) VALUES (?, ?)", (rowid, index_form(body)))
    return con


def search(db: sqlite3.Connection, query: str) -> list[int]:
    tq = TextQuery.parse(query)
    found: set[int] = set()
    expr = tq.fts_expression()
    if expr:
        found |= {r for (r,) in db.execute("SELECT rowid FROM photo_text WHERE photo_text MATCH ?", (expr,))}
    for pattern in tq.like_patterns():
        found |= {
            r for (r,) in db.execute("SELECT rowid FROM photo_text WHERE body LIKE ? ESCAPE '\\'", (pattern,))
        }
    return sorted((r for r in found if tq.matches(DOCS[r])), key=lambda r: -tq.score(DOCS[r]))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("parking", [1]),
        ("prohibited parking", [1]),
        ("parking prohibited", [1]),  # word order
        ("prohibted parkng", [1]),  # slips in the query
        ("wivenhoe park", [2]),  # a slip in the photo's text
        ("total 42.50", [3]),
        ('"total 42.50"', [3]),
        ('"42.50 total"', []),  # a quoted phrase is exact
        ("boarding pass", [7]),
        ("Boarding", [7]),
        ("B12", [7]),
        ("14C", [7]),
        ("北京", [4]),
        ("京", [4]),  # one CJK character
        ("欢迎", [4]),
        ("via roma", [5]),
        ("roma", [5]),
        ("GM", [6]),  # two characters
        ("cafe", [8]),
        ("café del arte", [8]),
        ("xyzzy", []),
        ("giraffe", []),
    ],
)
def test_queries_find_the_right_photos(db: sqlite3.Connection, query: str, expected: list[int]) -> None:
    assert search(db, query) == expected


def test_scores() -> None:
    q = TextQuery.parse("receipt 42.50")
    assert q.score(DOCS[3]) == pytest.approx(0.5)  # half the words: left to meaning (CLIP) to decide
    assert not q.matches(DOCS[3]) and MATCH_SCORE > 0.5
    assert TextQuery.parse("").empty and TextQuery.parse("").fts_expression() is None
    assert TextQuery.parse("x").fts_expression() is None and TextQuery.parse("x").like_patterns() == ["%x%"]
    assert TextQuery.parse('50% "a_b"').like_patterns() == []
    assert TextQuery.parse("5%").like_patterns() == ["%5\\%%"]
    assert similarity("wivenhoe", "wivennoe") == pytest.approx(0.875)
    assert similarity("cat", "catalogue") == 0.0
