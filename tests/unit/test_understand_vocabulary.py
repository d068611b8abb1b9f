"""The query parser's vocabulary (every country plus the library's places and cameras) is built once per change
of the catalog, not on every query, and a change made by this process or by another one is seen at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosearch.app import understand
from photosearch.places.query_words import Vocabulary, fold
from photosearch.store.catalog import Catalog
from photosearch.store.catalog_meta import MetaRow


def _knows(vocab: Vocabulary, name: str) -> bool:
    return tuple(fold(name).split()) in vocab.places


def test_vocabulary_is_built_once_per_catalog_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []
    real_build = Vocabulary.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Vocabulary], *a: object, **k: object) -> Vocabulary:
        builds.append(1)
        return real_build(cls, *a, **k)

    monkeypatch.setattr(Vocabulary, "build", classmethod(counted))
    path = tmp_path / "catalog.sqlite3"
    catalog = Catalog(path)
    other = Catalog(path)  # another connection: what a second process (the indexer, the CLI) is
    try:
        catalog.put_metas([MetaRow("h1", country_code="FI", city="Helsinki")])
        first = understand.vocabulary(catalog)
        assert _knows(first, "Helsinki") and _knows(first, "Italy")
        for _ in range(5):  # queries in a row, nothing changed: no rebuild
            assert understand.vocabulary(catalog) is first
        assert len(builds) == 1

        catalog.put_metas([MetaRow("h2", country_code="IT", city="Florence")])  # this connection writes
        second = understand.vocabulary(catalog)
        assert second is not first and _knows(second, "Florence") and len(builds) == 2
        assert understand.vocabulary(catalog) is second

        other.put_metas([MetaRow("h3", country_code="PT", city="Porto")])  # another connection commits
        third = understand.vocabulary(catalog)
        assert third is not second and _knows(third, "Porto") and len(builds) == 3

        assert understand.vocabulary(other) is not third  # each catalog its own entry
        assert len(builds) == 4
    finally:
        other.close()
        catalog.close()


def test_a_place_is_known_by_each_way_its_name_is_typed() -> None:
    """GeoNames gives one name per place (Århus, Göteborg, Tromsø, Zürich); people also type them spelled out
    (Aarhus, Goeteborg, Tromsoe, Zuerich) or with bare letters (Arhus, Goteborg, Tromso, Zurich)."""
    vocab = Vocabulary.build(
        {"DK": "Denmark"},
        [("DK", None, "Århus"), ("SE", None, "Göteborg"), ("NO", None, "Tromsø"), ("CH", None, "Zürich")],
    )
    for typed in (
        "Aarhus",
        "Arhus",
        "ÅRHUS",
        "Goeteborg",
        "Goteborg",
        "Tromsoe",
        "Tromso",
        "Zuerich",
        "Zurich",
    ):
        assert _knows(vocab, typed), typed
    assert fold("Tromsø") == "tromso" and fold("Århus") == fold("A\u030arhus") == "arhus"
