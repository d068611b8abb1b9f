"""The search engine on a real catalog and a real hnswlib index holding synthetic embeddings.

The vectors are chosen by the test (so expected answers are known exactly); the model package is the
tiny random one (only its id, dimension and encoders' plumbing matter here).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from photosearch.models.encoders import ModelRuntime
from photosearch.search import engine as engine_mod
from photosearch.search import fusion
from photosearch.search.cutoff import CutoffRule
from photosearch.search.engine import Filters, SearchEngine, cosine_scorer
from photosearch.store.catalog import Catalog
from photosearch.store.vectors import VectorIndex

DIM = 64


@pytest.fixture(scope="module")
def model64(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tinymodel import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("m64") / "tiny-64", dim=DIM, model_id="tiny-64")


@dataclass
class Lib:
    engine: SearchEngine
    catalog: Catalog
    root: Path
    vecs: np.ndarray  # row i = the embedding of photo i (label i + 1)
    paths: list[str]

    def label(self, i: int) -> int:
        return i + 1


def build_lib(
    tmp: Path,
    model: Path,
    vecs: np.ndarray,
    *,
    folders: int = 10,
    fmt: callable = lambda i: "jpeg",
    size: callable = lambda i: (64, 48),
    taken: callable = lambda i: 1.6e9 + i * 86400.0,
    cutoff: CutoffRule | None = None,
    index_upto: int | None = None,
) -> Lib:
    """A catalog with one file per row of ``vecs`` under ``tmp/lib/f<i % folders>/``; the vector index
    holds the first ``index_upto`` rows (the rest are the unsaved "delta" a reader searches exactly)."""
    rt = ModelRuntime.from_path(model)
    cat = Catalog(tmp / "catalog.sqlite3")
    root = tmp / "lib"
    folder = cat.add_folder(str(root))
    vecs = fusion.normalize(np.asarray(vecs, dtype=np.float32))
    paths = []
    with cat.transaction():
        for i, v in enumerate(vecs):
            h = f"hash{i:06d}"
            label = cat.put_embedding(h, rt.id, v)
            assert label == i + 1
            w, hgt = size(i)
            p = os.path.join(str(root), f"f{i % folders}", f"p{i:06d}.{fmt(i)}")
            cat.upsert_file(
                folder.id,
                p,
                1000,
                0,
                content_hash=h,
                status="indexed",
                fmt=fmt(i),
                width=w,
                height=hgt,
                taken_at=taken(i),
            )
            paths.append(p)
    vi = VectorIndex(tmp / "index", rt.id, rt.dim)
    n = len(vecs) if index_upto is None else index_upto
    vi.add(np.arange(1, n + 1, dtype=np.int64), vecs[:n])
    return Lib(SearchEngine(cat, rt, vi, cutoff=cutoff), cat, root, vecs, paths)


def brute_top(
    scores: np.ndarray, k: int, allowed: np.ndarray | None = None, exclude: set[int] = frozenset()
) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    out = [int(i) for i in order if (allowed is None or allowed[i]) and i not in exclude]
    return out[:k]


def rows_of(results) -> list[int]:
    return [r.label - 1 for r in results]


@pytest.fixture
def random_lib(tmp_path: Path, model64: Path) -> Lib:
    rng = np.random.default_rng(0)
    return build_lib(tmp_path, model64, rng.standard_normal((3000, DIM)))


# -- composed queries ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", fusion.FUSIONS)
def test_composed_top_k_is_exact_and_stable_as_the_pool_grows(random_lib: Lib, name: str) -> None:
    lib, eng = random_lib, random_lib.engine
    rng = np.random.default_rng(1)
    for trial in range(3):
        v, t = fusion.normalize(rng.standard_normal((2, DIM)).astype(np.float32))
        w = (0.5, 0.8, 0.3)[trial]
        sc = eng.composed_scorer(v, t, w, name)
        exact = brute_top(fusion.score(v, t, lib.vecs, w, name), 10)
        tops = []
        for pool in (8, 32, 128, 3000):
            res = eng.run(sc, 10, pool=pool)
            assert eng.last_pool >= pool or eng.last_pool == 3000
            tops.append(rows_of(res))
        assert all(top == tops[-1] for top in tops), tops
        assert tops[-1] == exact


def test_product_at_half_ranks_like_the_plain_product_in_the_engine(random_lib: Lib) -> None:
    lib, eng = random_lib, random_lib.engine
    v = fusion.normalize(lib.vecs[5] + lib.vecs[6])
    t = fusion.normalize(lib.vecs[7] + lib.vecs[8])
    res = eng.run(eng.composed_scorer(v, t, 0.5, "product"), 20)
    plain = np.maximum(lib.vecs @ v, fusion.FLOOR) * np.maximum(lib.vecs @ t, fusion.FLOOR)
    assert rows_of(res) == brute_top(plain, 20)
    np.testing.assert_allclose([r.score for r in res], np.sqrt(np.sort(plain)[::-1][:20]), rtol=1e-5)


def test_composed_pool_includes_the_unsaved_delta(tmp_path: Path, model64: Path) -> None:
    rng = np.random.default_rng(2)
    lib = build_lib(tmp_path, model64, rng.standard_normal((600, DIM)), index_upto=500)
    v, t = lib.vecs[550], lib.vecs[560]
    res = lib.engine.run(lib.engine.composed_scorer(v, t, 0.4, "product"), 5)
    assert rows_of(res) == brute_top(fusion.score(v, t, lib.vecs, 0.4, "product"), 5)
    assert 550 in rows_of(res)  # only in the delta, not in the saved index


def test_same_picture_is_left_out(random_lib: Lib) -> None:
    lib, eng = random_lib, random_lib.engine
    v, t = lib.vecs[10], fusion.normalize(lib.vecs[10] + lib.vecs[11])
    res = eng.run(eng.composed_scorer(v, t, 0.3, "product"), 10, exclude={lib.label(10)}, same_as=v)
    assert 10 not in rows_of(res)
    res_all = eng.run(eng.composed_scorer(v, t, 0.3, "product"), 10)
    assert rows_of(res_all)[0] == 10


# -- filters ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("exact_max", [engine_mod.EXACT_FILTER_MAX, 0])
def test_a_filter_matching_one_percent_still_fills_k(
    tmp_path: Path, model64: Path, monkeypatch: pytest.MonkeyPatch, exact_max: int
) -> None:
    """1% of a 5,000-photo library passes the folder filter: k=20 results, the exact best 20 of them —
    both when the allowed set is searched exhaustively and through hnswlib's filter callback."""
    monkeypatch.setattr(engine_mod, "EXACT_FILTER_MAX", exact_max)
    rng = np.random.default_rng(3)
    lib = build_lib(tmp_path, model64, rng.standard_normal((5000, DIM)), folders=100)
    q = fusion.normalize(rng.standard_normal(DIM).astype(np.float32))
    f = Filters(folder=str(lib.root / "f7"))
    allowed = np.array([i % 100 == 7 for i in range(5000)])
    assert allowed.sum() == 50
    resp = lib.engine.search_vector(q, 20, f)
    assert len(resp.results) == 20
    assert rows_of(resp.results) == brute_top(lib.vecs @ q, 20, allowed)
    assert all(r.path.startswith(str(lib.root / "f7") + os.sep) for r in resp.results)
    # a sibling folder whose name starts the same is not inside the subtree
    assert not any(os.sep + "f70" + os.sep in r.path for r in resp.results)


def test_date_type_and_orientation_filters(tmp_path: Path, model64: Path) -> None:
    rng = np.random.default_rng(4)
    n = 1200
    lib = build_lib(
        tmp_path,
        model64,
        rng.standard_normal((n, DIM)),
        fmt=lambda i: ("png", "jpeg", "heic")[i % 3],
        size=lambda i: ((40, 30), (30, 40), (32, 32))[(i // 3) % 3],
        taken=lambda i: 1.6e9 + i * 3600.0,
    )
    q = fusion.normalize(rng.standard_normal(DIM).astype(np.float32))
    cases = [
        (Filters(formats=("heic",)), lambda i: i % 3 == 2),
        (Filters(orientation="portrait"), lambda i: (i // 3) % 3 == 1),
        (Filters(orientation="square", formats=("png", "jpeg")), lambda i: (i // 3) % 3 == 2 and i % 3 != 2),
        (Filters(date_from=1.6e9 + 100 * 3600.0, date_to=1.6e9 + 111 * 3600.0), lambda i: 100 <= i <= 111),
    ]
    for f, ok in cases:
        allowed = np.array([ok(i) for i in range(n)])
        resp = lib.engine.search_vector(q, 10, f)
        assert rows_of(resp.results) == brute_top(lib.vecs @ q, 10, allowed), f
        assert all(f.accepts(r.file) for r in resp.results)


def test_filter_passing_fewer_than_k_returns_all_of_them(random_lib: Lib) -> None:
    q = random_lib.vecs[0]
    resp = random_lib.engine.search_vector(q, 50, Filters(date_from=1.6e9, date_to=1.6e9 + 86400.0 * 4.5))
    assert sorted(rows_of(resp.results)) == [0, 1, 2, 3, 4]


# -- text terms (vector arithmetic) ------------------------------------------------------------------


def test_negative_terms_are_one_inner_product(random_lib: Lib) -> None:
    eng = random_lib.engine
    u = eng.text_vector("red circle + 0.5:small - blue - 0.5:large")
    tv = {w: fusion.normalize(eng.encode_text(w)) for w in ("red circle", "small", "blue", "large")}
    q = fusion.normalize(eng.encode_text("red circle") + 0.5 * eng.encode_text("small"))
    expect = fusion.normalize(q - tv["blue"] - 0.5 * tv["large"])
    np.testing.assert_allclose(u, expect, rtol=1e-5, atol=1e-6)
    resp = eng.search_text("red circle + 0.5:small - blue - 0.5:large", 10, cutoff=False)
    assert rows_of(resp.results) == brute_top(random_lib.vecs @ u, 10)


def test_a_negative_term_removes_what_it_names(tmp_path: Path, model64: Path) -> None:
    """Photos = mixtures of a 'circle' direction and (for half of them) a 'red' direction."""
    rt = ModelRuntime.from_path(model64)
    circle, red = (fusion.normalize(v) for v in rt.text.encode(["circle", "red"]))
    rng = np.random.default_rng(5)
    n = 400
    is_red = np.arange(n) % 2 == 0
    vecs = (
        np.outer(rng.uniform(0.6, 1.0, n), circle)
        + np.outer(is_red * rng.uniform(0.6, 1.0, n), red)
        + 0.25 * rng.standard_normal((n, DIM))
    )
    lib = build_lib(tmp_path, model64, vecs)
    before = lib.engine.search_text("circle", 10, cutoff=False)
    after = lib.engine.search_text("circle - red", 10, cutoff=False)
    share_before = np.mean([is_red[i] for i in rows_of(before.results)])
    share_after = np.mean([is_red[i] for i in rows_of(after.results)])
    assert share_before >= 0.5
    assert share_after <= 0.2 * share_before


# -- cutoff -------------------------------------------------------------------------------------------


def test_cutoff_marks_passed_and_no_good_matches(tmp_path: Path, model64: Path) -> None:
    rng = np.random.default_rng(6)
    noise = rng.standard_normal((2000, DIM))
    centre = fusion.normalize(rng.standard_normal(DIM))
    cluster = centre + 0.05 * rng.standard_normal((20, DIM))
    lib = build_lib(tmp_path, model64, np.vstack([cluster, noise]), cutoff=CutoffRule({"image": 5.0}))
    hit = lib.engine.search_vector(centre, 30, kind="image")
    assert not hit.no_good_matches
    passed = [r for r in hit.results if r.passed]
    assert sorted(rows_of(passed)) == list(range(20))  # exactly the cluster
    assert all(r.z is not None and r.z >= 5.0 for r in passed)
    away = fusion.normalize(np.linalg.svd(np.vstack([cluster, centre]))[2][-1])  # orthogonal to the cluster
    miss = lib.engine.search_vector(away, 10, kind="image")
    assert len(miss.results) == 10
    assert miss.no_good_matches
    assert "Nothing close" in miss.message
    assert miss.extra["cutoff"]["threshold"] == 5.0
    js = [r.to_json() for r in miss.results]
    assert all(j["passed"] is False and set(j) >= {"rank", "path", "score", "passed"} for j in js)
    off = lib.engine.search_vector(away, 10, kind="image", cutoff=False)
    assert all(r.passed for r in off.results)


def test_similar_vector_search_excludes_the_photo_itself(random_lib: Lib) -> None:
    eng = random_lib.engine
    res = eng.run(cosine_scorer(random_lib.vecs[3]), 5, exclude={random_lib.label(3)})
    assert 3 not in rows_of(res)
    assert rows_of(res) == brute_top(random_lib.vecs @ random_lib.vecs[3], 5, exclude={3})
