"""Composed-retrieval fusions: exact properties on random vectors (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from photosearch.search import fusion


def _unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    return fusion.normalize(rng.standard_normal((n, d)).astype(np.float64))


def _positive_gallery(rng: np.random.Generator, v: np.ndarray, t: np.ndarray, n: int = 500) -> np.ndarray:
    """Candidates with positive cosines to both v and t (so no clamping happens)."""
    x = fusion.normalize(v + t + 0.6 * rng.standard_normal((n, len(v))))
    keep = (x @ v > 0.01) & (x @ t > 0.01)
    return x[keep]


def test_product_at_half_ranks_exactly_like_the_plain_product() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        v, t = _unit(rng, 2)
        x = _positive_gallery(rng, v, t)
        assert len(x) > 100
        fused = fusion.score(v, t, x, 0.5, "product")
        plain = (x @ v) * (x @ t)
        assert np.array_equal(np.argsort(-fused, kind="stable"), np.argsort(-plain, kind="stable"))
        np.testing.assert_allclose(fused, np.sqrt(plain), rtol=1e-5)


def test_product_clamps_each_cosine_to_a_positive_floor() -> None:
    v = np.array([1.0, 0.0, 0.0])
    t = np.array([0.0, 1.0, 0.0])
    x = np.array([[-0.6, -0.8, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])
    s = fusion.score(v, t, x, 0.5, "product")
    # two negative cosines must not multiply into a good score
    assert s[1] > s[0]
    assert s[0] == pytest.approx(fusion.FLOOR)
    assert s[2] == pytest.approx(fusion.FLOOR)


def test_weight_ends_are_the_single_modalities() -> None:
    rng = np.random.default_rng(1)
    v, t = _unit(rng, 2)
    x = _positive_gallery(rng, v, t)
    for f in fusion.FUSIONS:
        np.testing.assert_array_equal(np.argsort(-fusion.score(v, t, x, 0.0, f)), np.argsort(-(x @ v)))
        np.testing.assert_array_equal(np.argsort(-fusion.score(v, t, x, 1.0, f)), np.argsort(-(x @ t)))


def test_slerp_walks_the_great_circle() -> None:
    rng = np.random.default_rng(2)
    v, t = _unit(rng, 2)
    theta = np.arccos(v @ t)
    for w in (0.0, 0.25, 0.5, 0.8, 1.0):
        s = fusion.slerp(v, t, w)
        assert np.linalg.norm(s) == pytest.approx(1.0)
        assert np.arccos(np.clip(s @ v, -1, 1)) == pytest.approx(w * theta, abs=1e-6)
        assert np.arccos(np.clip(s @ t, -1, 1)) == pytest.approx((1 - w) * theta, abs=1e-6)
    # identical inputs do not divide by zero
    np.testing.assert_allclose(fusion.slerp(v, v, 0.3), v)


def test_weighted_sum_is_the_normalised_mix() -> None:
    rng = np.random.default_rng(3)
    v, t = _unit(rng, 2)
    np.testing.assert_allclose(fusion.weighted_sum(v, t, 0.8), fusion.normalize(0.2 * v + 0.8 * t))
    x = _unit(rng, 50)
    np.testing.assert_allclose(
        fusion.score(v, t, x, 0.8, "sum"), x @ fusion.normalize(0.2 * v + 0.8 * t), rtol=1e-5
    )


def test_query_vectors_are_v_t_and_the_fused_vector() -> None:
    rng = np.random.default_rng(4)
    v, t = _unit(rng, 2)
    qs = fusion.query_vectors(3 * v, t, 0.7, "slerp")
    np.testing.assert_allclose(qs[0], v)
    np.testing.assert_allclose(qs[1], t)
    np.testing.assert_allclose(qs[2], fusion.slerp(v, t, 0.7))


@pytest.mark.parametrize("name", fusion.FUSIONS)
@pytest.mark.parametrize("w", [0.2, 0.5, 0.9])
def test_bound_holds_for_every_photo_outside_the_pool(name: str, w: float) -> None:
    """No photo outside the union of the P nearest neighbours of v, t and the fused vector can score
    above the bound, so once the k-th pooled score reaches it the top k is final."""
    rng = np.random.default_rng(5)
    x = _unit(rng, 3000)
    v, t = _unit(rng, 2)
    qs = fusion.query_vectors(v, t, w, name)
    sims = x @ qs.T  # (n, 3)
    p = 40
    pool = set()
    last = np.empty(3)
    for j in range(3):
        order = np.argsort(-sims[:, j])[:p]
        pool.update(order.tolist())
        last[j] = sims[order[-1], j]
    outside = np.array(sorted(set(range(len(x))) - pool))
    s = fusion.score(v, t, x[outside], w, name)
    assert s.max() <= fusion.bound(last, w, name) + 1e-9


def test_unknown_fusion_is_refused() -> None:
    with pytest.raises(ValueError):
        fusion.score(np.ones(3), np.ones(3), np.ones((1, 3)), 0.5, "max")
