"""Relevance cutoff: calibration, robust statistics, the stored per-model rule, and (with the trained
shapes model) "no good matches" for a query naming a colour the library doesn't have."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photosearch.search.cutoff import (
    DEFAULT_THRESHOLDS,
    CutoffRule,
    QueryStats,
    calibrate,
    load_rule,
    save_rule,
)
from photosearch.store.catalog import Catalog


def test_calibrate_separates_and_takes_the_middle_of_the_gap() -> None:
    assert calibrate([5.0, 6.0, 7.0], [1.0, 2.0, 3.0]) == pytest.approx(4.0)
    # overlap: the best balanced accuracy wins
    th = calibrate([2.5, 5.0, 6.0, 7.0], [1.0, 2.0, 3.0, 3.5])
    pos, neg = np.array([2.5, 5.0, 6.0, 7.0]), np.array([1.0, 2.0, 3.0, 3.5])
    assert ((pos >= th).mean() + (neg < th).mean()) / 2 == pytest.approx(0.875)
    with pytest.raises(ValueError):
        calibrate([], [1.0])


def test_robust_stats_ignore_a_minority_of_matches() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(0.2, 0.05, 800)
    matches = rng.normal(0.6, 0.02, 200)  # a fifth of the library matches a broad query
    robust = QueryStats.of(np.concatenate([noise, matches]))
    plain_std = float(np.concatenate([noise, matches]).std())
    assert robust.scale < 0.8 * plain_std
    assert robust.z(0.6) > 5
    degenerate = QueryStats.of(np.full(10, 0.3))
    assert degenerate.scale > 0


def test_rule_is_stored_per_model(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    assert load_rule(cat, "m1").thresholds == DEFAULT_THRESHOLDS
    save_rule(cat, "m1", CutoffRule({"text": 0.7}, calibrated=True))
    r = load_rule(cat, "m1")
    assert r.calibrated and r.threshold("text") == 0.7 and r.threshold("image") == DEFAULT_THRESHOLDS["image"]
    assert load_rule(cat, "m2").calibrated is False
    cat.set_meta("cutoff:m3", "{broken")
    assert load_rule(cat, "m3").thresholds == DEFAULT_THRESHOLDS
    cat.close()


def test_no_good_matches_for_an_absent_colour(tmp_path: Path, shapes_model: Path) -> None:
    from models.tools import shapes
    from photosearch.config import Paths
    from photosearch.indexing.pipeline import Indexer
    from photosearch.library.library import Library
    from photosearch.models.install import install_package_dir
    from photosearch.search.engine import SearchEngine

    rng = np.random.default_rng(0)
    root = tmp_path / "photos"
    root.mkdir()
    combos = [c for c in shapes.all_combos() if c[1] != "purple" and c[2] == "large"]
    for i, idx in enumerate(rng.choice(len(combos), 120, replace=False)):
        shapes.render(shapes.Spec(*combos[int(idx)], bg_seed=i)).save(root / f"p{i}.png")
    paths = Paths.resolve(tmp_path / "data")
    with Library(paths, write=True) as lib:
        install_package_dir(shapes_model, paths.models_dir)
        lib.add_folder(root)
        for _ in Indexer(lib).run():
            pass
        rt = lib.runtime()
        eng = SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))
        present = [
            eng.search_text(t, 5, cutoff=False).results[0].z
            for t in ("a red circle", "a large green square", "a blue star", "a yellow cross")
        ]
        absent = [
            eng.search_text(t, 5, cutoff=False).results[0].z
            for t in ("a purple circle", "a large purple square", "purple", "a purple hexagon")
        ]
        rule = CutoffRule({"text": calibrate(present, absent)}, calibrated=True)
        save_rule(lib.catalog, rt.id, rule)
        eng = SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))  # picks the stored rule up
        hit = eng.search_text("a red circle", 5)
        assert not hit.no_good_matches and hit.results[0].passed
        miss = eng.search_text("a purple circle", 5)
        assert miss.no_good_matches and "Nothing close" in miss.message
        assert min(present) > max(absent)
