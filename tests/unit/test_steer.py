"""Steering from stored vectors: feedback moves the query toward liked and away from disliked photos,
several photos make one query, and an album classifier separates its kind from the rest of a library."""

from __future__ import annotations

import numpy as np
import pytest

from photosearch.search.steer import (
    SCATTER_SHRINK,
    Nearest,
    _scatter_transform,
    like_these,
    rocchio,
    several,
    train_album,
)


def _norm(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def clusters(seed: int = 0, n: int = 200, dim: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = _norm(rng.normal(size=(4, dim)))
    labels = rng.integers(0, 4, n)
    return _norm(centres[labels] + 0.12 * rng.normal(size=(n, dim))), labels


def test_feedback_moves_the_query() -> None:
    x, labels = clusters()
    q = _norm(x[labels == 0].mean(0) + x[labels == 1].mean(0))  # halfway between two kinds
    liked, disliked = x[labels == 1][:3], x[labels == 0][:3]
    q2 = rocchio(q, liked, disliked)
    assert abs(np.linalg.norm(q2) - 1) < 1e-5
    top = np.argsort(-(x @ q2))[:20]
    assert (labels[top] == 1).mean() > 0.9
    assert np.allclose(rocchio(q), q, atol=1e-6)  # no feedback: the query as it was


def test_several_photos_and_albums() -> None:
    x, labels = clusters(seed=1)
    ex = np.flatnonzero(labels == 2)[:5]
    assert (labels[np.argsort(-(x @ several(x[ex])))[:20]] == 2).all()
    with pytest.raises(ValueError):
        several(np.zeros((0, 32)))


def test_an_album_finds_its_kind_in_a_library() -> None:
    rng = np.random.default_rng(4)
    centres = _norm(rng.normal(size=(20, 64)))
    labels = rng.integers(0, 20, 1000)  # the album's kind is about 5 % of the library, as albums are
    x = _norm(centres[labels] + 0.12 * rng.normal(size=(1000, 64)))
    ex = np.flatnonzero(labels == 0)[:5]
    album = train_album(x[ex], background=x[rng.choice(1000, 300, replace=False)])
    members = album.members(x)
    assert (labels[members] == 0).mean() >= 0.8  # precision
    assert members[labels == 0].mean() >= 0.8  # recall
    alone = train_album(x[ex])  # no background: a ball around the examples
    assert alone.members(x[ex]).all()


def test_an_albums_dislikes_push_a_look_alike_kind_down() -> None:
    """5 👍 of a kind with a look-alike (as a hexagon is to a circle for the shapes model), then 👎 on the
    look-alikes among the album's first 20: the album's own kind fills more of its top places."""
    gains = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        centres = _norm(rng.normal(size=(20, 64)))
        centres[1] = _norm(centres[0] + 0.25 * _norm(rng.normal(size=64)))
        labels = rng.integers(0, 20, 1000)
        x = _norm(centres[labels] + 0.08 * rng.normal(size=(1000, 64)))
        ex = np.flatnonzero(labels == 0)[:5]
        bg = x[rng.choice(1000, 300, replace=False)]
        n = int((labels == 0).sum()) - 5

        def top(scores: np.ndarray, judged: set[int], n: int = n) -> np.ndarray:
            return np.array([i for i in np.argsort(-scores) if i not in judged][:n])

        first = top(train_album(x[ex], background=bg).score(x), set(ex.tolist()))
        dislikes = [int(i) for i in first[:20] if labels[i] != 0]
        assert dislikes and set(labels[dislikes].tolist()) == {
            1
        }  # the only kind it mistakes is the look-alike
        album = train_album(x[ex], disliked=x[dislikes], background=bg)
        after = top(album.score(x), set(ex.tolist()) | set(dislikes))
        gains.append((labels[after] == 0).mean() - (labels[first] == 0).mean())
        assert album.members(x[ex]).all()  # (a disliked photo is left out of the list by albums.members)
    assert min(gains) > 0 and np.mean(gains) >= 0.05


def test_an_albums_fit_discounts_what_varies_among_its_examples() -> None:
    """The fit's features shrink along the directions in which the liked examples differ from each other (where
    in the frame each was taken, say) by sqrt(λ / (σ² + λ)) and stay as they are in every other direction; the
    album still takes in every example and tells the kind from the rest of the library. 0 turns it off."""
    rng = np.random.default_rng(3)
    dim = 32
    kind, place, other = _norm(rng.normal(size=(3, dim)))
    place = _norm(place - (place @ kind) * kind)  # orthogonal to the kind
    other = _norm(other - (other @ kind) * kind - (other @ place) * place)
    spread = np.array([-0.2, -0.1, 0.0, 0.1, 0.2])
    ex = kind + spread[:, None] * place
    t = _scatter_transform(ex, 0.01)
    sigma2 = float(np.var(spread))
    assert np.isclose(np.linalg.norm(t @ place), np.sqrt(0.01 / (sigma2 + 0.01)), atol=1e-6)
    assert np.allclose(t @ kind, kind, atol=1e-6) and np.allclose(t @ other, other, atol=1e-6)
    assert np.allclose(_scatter_transform(ex, 0.0), np.eye(dim)) and np.allclose(
        _scatter_transform(ex[:2], 0.01), np.eye(dim)
    )
    library = _norm(rng.normal(size=(1000, dim)))
    for shrink in (0.0, SCATTER_SHRINK):
        album = train_album(_norm(ex), background=library[:300], scatter_shrink=shrink)
        assert album.members(_norm(ex)).all()
        assert album.members(library).mean() < 0.05
        assert album.members(_norm(kind + 0.15 * place)[None])[0]  # the kind, somewhere between the examples


def test_an_examples_nearest_photos_fed_in_chunks() -> None:
    """Each example's k nearest library photos (itself aside), the library fed chunk by chunk as albums.members
    scores it: the same as sorting every cosine at once."""
    x, _ = clusters(seed=5, n=500)
    ids = np.arange(1000, 1500)
    ex = [3, 77, 410]
    near = Nearest(x[ex], ids[ex].tolist(), k=3)
    for start in range(0, 500, 64):
        near.add(ids[start : start + 64], x[start : start + 64])
    want = set()
    for e in ex:
        order = [int(i) for i in np.argsort(-(x @ x[e])) if i != e]
        want.update(int(ids[i]) for i in order[:3])
    assert near.ids() == want


def test_an_albums_examples_seen_in_views_find_their_kind_wherever_it_sits() -> None:
    """5 👍 all in one corner of the frame, with their views (the same photos moved): the album learns the kind,
    not the corner, and finds the kind's photos elsewhere in the frame better than from the examples alone. With
    the views' weight at 0, or no views, the fit is the same as before."""
    rng = np.random.default_rng(8)
    dim, kinds, places = 64, 12, 5
    kind_dirs = _norm(rng.normal(size=(kinds, dim)))
    place_dirs = _norm(rng.normal(size=(places, dim)))

    def photo(kind: int, place: int, noise: np.ndarray) -> np.ndarray:
        return _norm(0.8 * kind_dirs[kind] + 0.8 * place_dirs[place] + noise)

    lib_kind = rng.integers(0, kinds, 1200)
    lib_place = rng.integers(0, places, 1200)
    x = np.stack([photo(k, p, 0.1 * rng.normal(size=dim)) for k, p in zip(lib_kind, lib_place, strict=True)])
    ex = [int(i) for i in np.flatnonzero((lib_kind == 0) & (lib_place == 0))[:5]]
    noise = [_norm(x[i] - 0.8 * kind_dirs[0] - 0.8 * place_dirs[0]) * 0.1 for i in ex]
    views = np.stack([[photo(0, p, n) for p in range(1, places)] for n in noise])  # (5, 4, dim)
    bg = x[rng.choice(1200, 300, replace=False)]
    wanted = set(np.flatnonzero(lib_kind == 0).tolist()) - set(ex)

    def recall(album: object) -> float:
        top = [i for i in np.argsort(-album.score(x)) if i not in ex][: len(wanted)]  # type: ignore[attr-defined]
        return len(wanted & set(top)) / len(wanted)

    alone = train_album(x[ex], background=bg)
    seen = train_album(x[ex], background=bg, liked_views=views, view_weight=1.0)
    assert recall(seen) > recall(alone) + 0.1
    off = train_album(x[ex], background=bg, liked_views=views, view_weight=0.0)
    np.testing.assert_allclose(off.w, alone.w, rtol=1e-5, atol=1e-6)
    assert off.threshold == pytest.approx(alone.threshold)
    # an example whose photo could not be read has no views and counts alone
    some = train_album(
        x[ex], background=bg, liked_views=[views[0], None, None, views[3], None], view_weight=1.0
    )
    assert recall(alone) <= recall(some) <= recall(seen) + 0.05
    with pytest.raises(ValueError):
        train_album(x[ex], background=bg, liked_views=views[:3], view_weight=1.0)


def test_more_like_these_keeps_what_the_examples_share_and_the_library_does_not() -> None:
    """Five photos of one kind that happen to share a common look (the same light, say) with a third of the
    library: their mean also asks for that look, so photos of other kinds in that light crowd the first page;
    the album classifier's direction (like_these) knows the look from the library sample and asks for the kind."""
    rng = np.random.default_rng(7)
    dim, n = 48, 1200
    kinds = _norm(rng.normal(size=(12, dim)))
    look = _norm(rng.normal(size=dim))
    labels = rng.integers(0, 12, n)
    lit = rng.random(n) < 0.35
    x = _norm(kinds[labels] + 1.5 * lit[:, None] * look + 0.25 * rng.normal(size=(n, dim)))
    ex = np.flatnonzero((labels == 0) & lit)[:5]
    background = x[rng.choice(n, 300, replace=False)]
    wanted = set(np.flatnonzero(labels == 0).tolist()) - set(ex.tolist())

    def recall(q: np.ndarray) -> float:
        top = [i for i in np.argsort(-(x @ q)) if i not in set(ex.tolist())][:20]
        return sum(i in wanted for i in top) / 20

    these = like_these(x[ex], background)
    assert abs(np.linalg.norm(these) - 1) < 1e-5
    assert recall(these) >= recall(several(x[ex])) + 0.1  # 0.95 against 0.80
    assert recall(these) >= 0.9
    assert np.allclose(like_these(x[ex], None), several(x[ex]))  # no library sample: the mean
