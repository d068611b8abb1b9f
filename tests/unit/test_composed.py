"""Composed queries ("this photo, but …") and photos judged after re-ranking, on a real catalog and index holding
synthetic embeddings: each result is judged by its own stored vector, whatever order the catalog returns rows in."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from photosearch.search import fusion
from photosearch.search.cutoff import CutoffRule, QueryStats
from photosearch.search.line import bank_margin
from photosearch.search.relevance import cosine_scorer
from tests.unit.test_search_engine import DIM, build_lib, model64  # noqa: F401  (model64: a fixture)


def test_a_composed_result_is_judged_by_its_own_vector(tmp_path: Path, model64: Path) -> None:  # noqa: F811
    rng = np.random.default_rng(3)
    lib = build_lib(
        tmp_path,
        model64,
        rng.standard_normal((400, DIM)),
        cutoff=CutoffRule({"text": 0.0, "image": 3.0, "composed": 0.0}, calibrated=True),
    )
    eng = lib.engine
    v = lib.vecs[0]
    resp = eng.search_composed_vector(v, "red", 30, exclude={lib.label(0)})
    labels = [r.label for r in resp.results]
    assert labels != sorted(labels)  # ranked otherwise than the catalog's row order
    t = eng.text_vector("red")
    caps = eng._caption_vectors()
    x = lib.vecs[[lab - 1 for lab in labels]]
    want = bank_margin(x @ t, x @ caps.T)
    np.testing.assert_allclose([r.z for r in resp.results], want, rtol=1e-4, atol=1e-4)


def test_judged_results_are_scored_by_their_own_vectors(tmp_path: Path, model64: Path) -> None:  # noqa: F811
    rng = np.random.default_rng(4)
    lib = build_lib(tmp_path, model64, rng.standard_normal((400, DIM)), cutoff=CutoffRule({"image": 1.0}))
    eng = lib.engine
    base = lib.vecs[5]
    resp = eng.search_vector(fusion.normalize(lib.vecs[9] + lib.vecs[11]), 40, kind="image", cutoff=False)
    labels = [r.label for r in resp.results]
    assert labels != sorted(labels)
    eng.judge(resp.results, cosine_scorer(base), "image")
    stats = QueryStats.of(eng.background().vecs @ base)
    for r in resp.results:
        assert r.z is not None and abs(r.z - stats.z(float(lib.vecs[r.label - 1] @ base))) < 1e-4
