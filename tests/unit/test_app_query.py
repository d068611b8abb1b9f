"""The application layer's query: the kind a person means, validation with one-line reasons, and every kind
through the one ``search`` entry (on a real library, the tiny test model)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from photosearch.app.query import MAX_TEXT_CHARS, Query, QueryKind, elide, make_filters
from photosearch.app.search import open_engine, search
from photosearch.errors import QueryError
from photosearch.library.library import Library
from tests.support.photos import make_photos
from tests.support.service import open_test_library


def test_the_kind_follows_what_is_given(tmp_path: Path) -> None:
    a, b = str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg")
    assert Query.of("beach").kind is QueryKind.TEXT
    assert Query.of("", [a]).kind is QueryKind.IMAGE
    assert Query.of("at night", [a]).kind is QueryKind.COMPOSED
    assert Query.of("", [a, b]).kind is QueryKind.SEVERAL
    assert Query.of("   ").kind is QueryKind.BROWSE
    assert Query("text", text="x").kind is QueryKind.TEXT and QueryKind.TEXT == "text"


@pytest.mark.parametrize("k", [0, -5, 5001])
def test_k_outside_1_to_5000_is_a_plain_error(k: int) -> None:
    with pytest.raises(QueryError, match=r"between 1 and 5,000, not"):
        Query.of("beach", k=k).validate()


def test_an_enormous_query_is_refused_with_the_query_elided() -> None:
    text = "sunset " * 3000
    with pytest.raises(QueryError) as e:
        Query.of(text).validate()
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 160 and "…" in msg and f"{MAX_TEXT_CHARS:,}" in msg
    assert elide("a\n  b   c", 40) == "a b c"


def test_a_missing_photo_and_an_empty_text_query(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="no such image"):
        Query.of("", [str(tmp_path / "nope.jpg")]).validate()
    with pytest.raises(QueryError, match="give some text"):
        Query(QueryKind.TEXT, text="  ").validate()
    with pytest.raises(QueryError, match="fusion"):
        Query.of("x", [__file__], fusion="median").validate()


def test_filters_from_their_written_form() -> None:
    assert make_filters() is None
    f = make_filters(types="JPEG, png", date_from="2020", date_to="2020-02")
    assert f is not None and f.formats == ("jpeg", "png") and f.date_from < f.date_to


@pytest.fixture
def lib(tiny_model: Path, data_dir: Path, tmp_path: Path) -> Iterator[Library]:
    from photosearch.indexing.pipeline import Indexer

    lib = open_test_library(tiny_model, data_dir)
    make_photos(tmp_path / "pics", 12)
    lib.add_folder(tmp_path / "pics")
    for _ in Indexer(lib).run():
        pass
    yield lib
    lib.close()


def test_every_kind_through_one_entry(lib: Library, tmp_path: Path) -> None:
    a, b = str(tmp_path / "pics" / "photo_0001.jpg"), str(tmp_path / "pics" / "photo_0002.jpg")
    eng = open_engine(lib)
    assert search(Query.of("a photo", k=5), eng).kind == "text"
    assert search(Query.of("", [a], k=5), eng).results[0].path == a
    composed = search(Query.of("red", [a], k=5), eng)
    assert composed.kind == "composed" and a not in [r.path for r in composed.results]
    similar = search(Query(QueryKind.SIMILAR, images=(a,), k=5), eng)
    assert similar.kind == "similar" and a not in [r.path for r in similar.results]
    several = search(Query.of("", [a, b], k=5), eng)
    assert several.kind == "several" and not {a, b} & {r.path for r in several.results}
    assert len(several.results) == 5
    browse = search(Query.of(k=4), None, lib.catalog)
    assert browse.kind == "browse" and len(browse.results) == 4 and browse.extra["total"] == 12
