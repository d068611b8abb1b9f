"""The label-free calibration's parts (:mod:`photosearch.search.selfcal`): the generated no-match queries, the
line they set, the stored rule, and which line a search uses and reports."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from photosearch.search import selfcal
from photosearch.search.cutoff import CutoffRule, RuleSource, load_rule, save_rule
from photosearch.search.line import DEFAULT_LINE, LineSource, bank_margin
from photosearch.store.catalog import Catalog

SHAPES_TOKENIZER = Path(__file__).parents[1] / "fixtures" / "shapes-model" / "tokenizer.json"
FAMILIES = Path(__file__).parents[1] / "fixtures" / "families"


def test_generated_queries_are_reproducible_of_every_kind_and_never_ideographs() -> None:
    pieces = selfcal.vocabulary_pieces(SHAPES_TOKENIZER)
    qs = selfcal.no_match_queries(210, pieces=pieces)
    assert qs == selfcal.no_match_queries(210, pieces=pieces)
    assert qs != selfcal.no_match_queries(210, seed=1, pieces=pieces)
    assert {k for k, _ in qs} == set(selfcal.NoMatchKind)
    assert all(t.strip() for _, t in qs)
    # one Han character is a word to a multilingual model: the other alphabets are letters only
    # (after the tokenizers' NFKC normalisation: 🈶 becomes 有)
    normalised = [unicodedata.normalize("NFKC", t) for _, t in qs]
    assert not any("CJK UNIFIED" in unicodedata.name(c, "") for t in normalised for c in t)
    # words glued from the vocabulary's pieces are not words of the vocabulary
    glued = [w for k, t in qs if k is selfcal.NoMatchKind.VOCAB_PIECES for w in t.split()]
    assert glued and not set(glued) & set(pieces)


def test_the_generator_is_not_the_evaluations() -> None:
    """The evaluation's no-match queries (models/tools/photo_negatives.py) stay unseen: other symbols, other
    words, another seed."""
    from models.tools import photo_negatives as pn

    qs = selfcal.no_match_queries(700)
    chars = {c for _, t in qs for c in t}
    assert not chars & (set(pn._EMOJI) | set(pn._CJK))
    words = {w for _, t in qs for w in t.split()}
    assert not words & (set(pn._CYRILLIC) | set(pn._OTHER))
    assert not {t for _, t in qs} & (set(pn.PHOTO_CAPTIONS) | set(pn.EVERYDAY_WORDS))


@pytest.mark.parametrize(
    "family", ["clip", "xlmr"]
)  # a BPE vocabulary (a dict, "</w>" ends), a Unigram one (a list)
def test_vocabulary_pieces_of_the_tokenizer_kinds(family: str) -> None:
    pieces = selfcal.vocabulary_pieces(FAMILIES / family / "model" / "tokenizer.json")
    assert len(pieces) > 100 and all(p.isalpha() and p == p.lower() and len(p) >= 2 for p in pieces)
    assert not any("</w>" in p or p.startswith("▁") for p in pieces)
    assert selfcal.vocabulary_pieces(Path("/nonexistent/tokenizer.json")) == []


def test_the_line_lets_at_most_the_share_through() -> None:
    margins = np.linspace(-1.0, 1.0, 201)
    for share in (0.0, 0.01, 0.02, 0.05, 0.2):
        line = selfcal.line_for(margins, share)
        assert np.mean(margins >= line) <= share + 1e-9
        assert np.mean(margins >= line - 0.011) > share  # and no more strictly than that
    assert selfcal.line_for(np.array([0.3]), 0.0) > 0.3


def test_top_margins_are_the_search_margins_of_each_querys_best_photos() -> None:
    rng = np.random.default_rng(0)

    def unit(a: np.ndarray) -> np.ndarray:
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    x, caps, qs = (
        unit(rng.normal(size=(300, 16))),
        unit(rng.normal(size=(12, 16))),
        unit(rng.normal(size=(9, 16))),
    )
    got = selfcal.top_margins(x, caps, qs, k=20)
    for q, g in zip(qs, got, strict=True):
        best = np.argsort(-(x @ q))[:20]
        assert g == pytest.approx(bank_margin(x[best] @ q, x[best] @ caps.T).max(), abs=1e-5)


def test_the_stored_rule_keeps_its_kinds_and_source(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    sc = selfcal.SelfCalibration(0.9, 0.15, 0.15, 0.75, 120, 480, 0.01, 0.004, {}, 0.3)
    save_rule(cat, "m", selfcal.rule_for(sc, 1.0))
    rule = load_rule(cat, "m")
    assert rule.calibrated and rule.kinds == ("text",) and rule.source is RuleSource.LIBRARY
    assert rule.threshold("text") == 0.9 and rule.details["photos"] == 120
    assert rule.sets("text") and not rule.sets("image") and not rule.sets("composed")
    save_rule(cat, "old", CutoffRule({"text": 0.5}, calibrated=True))  # a rule of the earlier format
    old = load_rule(cat, "old")
    assert old.kinds is None and old.sets("image") and old.source is RuleSource.LABELLED
    cat.close()


def _lines(catalog: Catalog, extra: dict[str, Any]) -> selfcal.LibraryLine:
    """The line of a library (a real catalog) and a model with this manifest ``extra``."""
    model = SimpleNamespace(id="m", package=SimpleNamespace(manifest=SimpleNamespace(extra=extra)))
    return selfcal.LibraryLine(catalog, model)  # type: ignore[arg-type]


def test_a_search_uses_and_reports_the_library_line_at_once(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    uncal = _lines(cat, {})
    assert uncal.line_and_source("text") == (-np.inf, LineSource.UNCALIBRATED)
    modelled = _lines(cat, {"relevance": {"text": 0.45, "image": 2.5, "composed": 1.0, "source": "eval"}})
    assert modelled.line_and_source("text") == (0.45, LineSource.MODEL)
    sc = selfcal.SelfCalibration(0.9, 0.15, 0.15, 0.75, 120, 480, 0.01, 0.004, {}, 0.3)
    save_rule(cat, "m", selfcal.rule_for(sc, 1.0))  # as `models calibrate` in another process, or the owner
    # the same engines, without being made again (a running window): the text line is the library's
    assert uncal.line_and_source("text") == (0.9, LineSource.LIBRARY)
    assert uncal.line_info("text")["calibration"] == "calibrated on this library"
    assert modelled.line_and_source("text") == (0.9, LineSource.LIBRARY)
    assert uncal.line_and_source("text", 4)[0] == pytest.approx(0.9 + 0.25)  # strictness still moves it
    # photo queries keep the model's line (or the defaults)
    assert modelled.line_and_source("image") == (2.5, LineSource.MODEL)
    assert uncal.line_and_source("similar") == (DEFAULT_LINE["image"], LineSource.UNCALIBRATED)
    assert uncal.line_and_source("composed") == (DEFAULT_LINE["composed"], LineSource.UNCALIBRATED)
    # a rule given to the engine stays, whatever the catalog says
    uncal.cutoff = CutoffRule({"text": 0.2}, calibrated=True)
    cat.set_meta("something", "else")
    assert uncal.line_and_source("text") == (0.2, LineSource.MODEL)
    cat.close()
