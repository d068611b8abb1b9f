"""Issue 2 acceptance: the shapes test model finds the right photos through the real pipeline
(files on disk → Indexer → catalog + hnswlib index → SearchEngine) on a library from an unseen seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.tools import shapes
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.models.install import install_package_dir
from photosearch.search.engine import SearchEngine

SEED = 12345  # never used in training


@pytest.fixture(scope="module")
def indexed(shapes_model: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("semantic")
    items = shapes.make_library(root / "photos", 600, seed=SEED)
    paths = Paths.resolve(root / "data")
    lib = Library(paths, write=True, purpose="test")
    pkg = install_package_dir(shapes_model, paths.models_dir)
    lib.set_active_model(pkg.id)
    lib.add_folder(root / "photos")
    events = list(Indexer(lib).run())
    assert events[-1].phase == "done" and events[-1].encoded == 600
    rt = lib.runtime()
    engine = SearchEngine(lib.catalog, rt, lib.vector_index())
    yield engine, {str(p): s for p, s in items}
    lib.close()


def _precision(engine: SearchEngine, specs: dict, query: str, attrs: dict[str, str]) -> float:
    n_rel = sum(1 for s in specs.values() if shapes.matches(s, attrs))
    k = min(5, n_rel)
    res = engine.search_text(query, k=k).results
    return sum(1 for r in res if shapes.matches(specs[r.path], attrs)) / k


def test_shape_and_colour_queries_precision_at_5(indexed, capsys: pytest.CaptureFixture[str]) -> None:
    engine, specs = indexed
    p = [
        _precision(engine, specs, f"a {c} {s}", {"shape": s, "colour": c})
        for s in shapes.SHAPES
        for c in shapes.COLOURS
    ]
    full = [
        _precision(
            engine,
            specs,
            f"a {z} {c} {s} at the {pos}",
            {"shape": s, "colour": c, "size": z, "position": pos},
        )
        for s in shapes.SHAPES
        for c in shapes.COLOURS
        for z in shapes.SIZES
        for pos in shapes.POSITIONS[:4:3]
    ]
    with capsys.disabled():
        print(
            f"\nshape×colour mean P@5 = {np.mean(p):.3f} over {len(p)} pairs (min {min(p):.2f}); "
            f"shape+colour+size+position mean P@k = {np.mean(full):.3f} over {len(full)} queries"
        )
    assert np.mean(p) >= 0.8


def test_composed_query_changes_the_colour(indexed) -> None:
    engine, specs = indexed
    ref = next(p for p, s in specs.items() if s.combo == ("square", "blue", "small", "top left"))
    res = engine.search_composed(ref, "red", k=3).results
    top = specs[res[0].path]
    assert (top.shape, top.colour, top.size, top.position) == ("square", "red", "small", "top left")
    assert ref not in [r.path for r in res]
