"""Steering a search from stored vectors, with no model call: relevance feedback (👍/👎), several photos as one
query ("more like these"), and albums taught by example (a small classifier over the library's embeddings).

All inputs are L2-normalised embeddings of one model; outputs are a query vector (searched like any other) or
scores for given photos. Nothing here touches disk or the network.

- **Feedback** is Rocchio's rule: the query moves toward the mean of the liked photos and away from the mean of
  the disliked ones, q' = α·q + β·mean(liked) − γ·mean(disliked), each part normalised first so that image
  vectors (which sit much closer to each other than to text) do not swamp a text query.
- **Several photos** are their normalised mean (what they share), optionally fused with a text change as a
  composed query is.
- **An album** is an L2-regularised logistic regression: the liked examples against the disliked ones and a
  sample of the library (weighted down, as most of a library is simply "not this"; a disliked photo weighs as
  much as one photo of that sample, :data:`DISLIKED_WEIGHT`), fitted on features in which the directions where the
  liked examples differ from each other count less (:data:`SCATTER_SHRINK`); each liked example counts with its
  views too — its mirror image, made from its own pixels (:data:`VIEW_WEIGHT`). A photo is a member when
  its probability reaches ``threshold``: each example in turn is left out of training and scored against the
  library sample; the line sits at the lowest share of the sample that a left-out example outranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from photosearch.search import views

ALPHA, BETA, GAMMA = (
    1.0,
    1.5,
    0.3,
)  # chosen on one shapes library (benchmarks/eval_steer.py), reported on another

#: The weight of one disliked example in an album's fit, and of one photo of the library sample. Chosen on the
#: calibration libraries of ``benchmarks/eval_steer.py --calibrate`` (seeds 0, 2, 3, 4), with 5 👍 and the 👎 a
#: person gives on the album's first page: weights 0.1 / 0.2 / 0.3 / 1 / 3 gave recall@20 0.845 / 0.852 / 0.852
#: / 0.803 / 0.743 on the colour+shape+size sets. Heavier 👎 lose: a handful of dislikes then outweighs the
#: library sample, and the fit chases what sets those few photos apart instead of what sets the album apart.
DISLIKED_WEIGHT = 0.3
BACKGROUND_WEIGHT = 0.3

#: How much an album's fit discounts the directions in which its own liked examples differ from each other (what
#: varies inside the album — where in the frame, the light — is not what sets it apart). The features are scaled
#: by ``sqrt(λ / (σ² + λ))`` along each principal direction of the examples' scatter (σ²: its variance there; the
#: other directions are left as they are), with λ this share of the library sample's mean variance per dimension.
#: 0 turns it off. Chosen on the calibration libraries of ``benchmarks/eval_steer.py`` (seeds 0, 2, 3, 4), 5 👍,
#: recall@20 on colour+shape / colour+shape+size sets: off 0.832 / 0.728; 0.04 0.856 / 0.752; 0.08 0.858 / 0.752;
#: 0.16 0.859 / 0.753 (flat in between: the share matters little once the examples' own spread is discounted).
SCATTER_SHRINK = 0.08

#: A liked example counts in an album's fit with its views (:mod:`photosearch.search.views`), each weighing
#: VIEW_WEIGHT (the example itself 1; one per view of ALBUM_VIEWS, or one for all; 0 turns them off): the views
#: say "this subject, wherever it sits in the frame". Which views, their weight and whether the 👎 count with theirs
#: (DISLIKED_VIEWS, at ``disliked_weight × view_weight``) were chosen on the calibration libraries of
#: ``benchmarks/eval_steer.py --calibrate --sweep views|views2|dislikes`` (seeds 0, 2, 3, 4): the highest recall@20
#: of the colour+shape+size albums from 5 👍 among the settings where no other album figure of those libraries
#: (colour+shape from 5 and 10 👍, ≥ best single example in every set, + the first page's 👎, + at most 3) falls below
#: its value without views. Recall@20 from 5 👍, colour+shape / colour+shape+size: none 0.882 / 0.761; the mirror
#: at 0.4 / 1 / 2 0.884 / 0.827, 0.887 / 0.835, 0.890 / 0.841; the 4 moves at 1 0.884 / 0.833; mirror + moves at
#: 1 / 2 0.884 / 0.852, 0.884 / 0.854; zooms at 0.1–1 0.713–0.734 on the narrow sets (they change apparent size,
#: which those albums are about); all 7 at 1 0.880 / 0.813. The moves help the narrow albums more, but every
#: setting with them put the colour+shape albums from 10 👍 below their 0.900 (0.894–0.897), most also an album
#: below its best single example in 1 % of sets; the mirror at 2 or more also did (0.899). The mirror at 1 kept
#: every figure: 10 👍 0.900 / 0.846, + 👎 on the first page 0.951 / 0.917, at most 3 👎 0.921 / 0.873; with the 👎
#: counting with their mirror images too 0.960 / 0.922 and 0.923 / 0.877 (the 5-👍 figures do not change), kept.
VIEW_WEIGHT: float | tuple[float, ...] = 1.0
ALBUM_VIEWS: tuple[int, ...] = views.MIRROR
DISLIKED_VIEWS = True


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _mean_unit(vecs: np.ndarray | Sequence[np.ndarray]) -> np.ndarray | None:
    arr = np.asarray(vecs, dtype=np.float32)
    if arr.size == 0:
        return None
    return _unit(arr.reshape(-1, arr.shape[-1]).mean(axis=0))


def rocchio(
    query: np.ndarray,
    liked: np.ndarray | Sequence[np.ndarray] = (),
    disliked: np.ndarray | Sequence[np.ndarray] = (),
    alpha: float = ALPHA,
    beta: float = BETA,
    gamma: float = GAMMA,
) -> np.ndarray:
    """The query moved toward ``liked`` and away from ``disliked`` (a unit vector)."""
    out = alpha * _unit(np.asarray(query, dtype=np.float32))
    pos = _mean_unit(liked)
    neg = _mean_unit(disliked)
    if pos is not None:
        out = out + beta * pos
    if neg is not None:
        out = out - gamma * neg
    return _unit(out)


def several(examples: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """ "More like these": what the example photos share, as one unit query vector."""
    mean = _mean_unit(examples)
    if mean is None:
        raise ValueError("no example photos")
    return mean


def like_these(
    examples: np.ndarray,
    background: np.ndarray | None,
    views: Sequence[np.ndarray | None] | None = None,
) -> np.ndarray:
    """ "More like these", as one unit query vector: the direction of the classifier an album would learn from
    these examples (:func:`train_album`: the library sample as what they are not, each example's views as more of
    it), so photos rank by how surely such an album would take them. It keeps what the examples share and the
    library does not, where their mean (:func:`several`) also keeps what they share by chance with many photos.
    Recall@20 of the intended set from 5 examples (``benchmarks/eval_steer.py``, report seed; colour+shape /
    colour+shape+size): the mean 0.806 / 0.710, this 0.878 / 0.839. Without a library sample: the mean."""
    pos = np.asarray(examples, dtype=np.float32)
    if background is None or not len(background):
        return several(pos)
    model = train_album(pos, None, background, liked_views=views, membership=False)
    return _unit(model.w)


#: An album lists each liked example's this many nearest photos of the library (by cosine, the example itself
#: aside) first after the examples, when the classifier takes them for members too: a photo that close to one the
#: person chose is the likeliest of all to belong (a burst, the same scene), more than the classifier, which sees
#: what the examples share, can tell. Chosen on the calibration libraries (seeds 0, 2, 3, 4; 5 👍, with
#: :data:`SCATTER_SHRINK`), recall@20 on colour+shape / colour+shape+size sets: none 0.858 / 0.752; 2 0.880 /
#: 0.758; 3 0.882 / 0.761; 4 0.878 / 0.759; 5 0.866 / 0.757; 10 0.828 / 0.698 (too many of those are look-alikes).
NEAREST = 3


class Nearest:
    """The ``k`` nearest library photos of each example, fed the library chunk by chunk (exact: one dot product
    per photo and example, as cheap as scoring the album itself, and a photo indexed a moment ago is seen)."""

    def __init__(self, examples: np.ndarray, example_ids: Sequence[int], k: int = NEAREST) -> None:
        self.examples = np.asarray(examples, dtype=np.float32)
        self.example_ids = [int(i) for i in example_ids]
        self.k = k
        self._ids = np.zeros((len(self.examples), 0), dtype=np.int64)
        self._sims = np.zeros((len(self.examples), 0), dtype=np.float32)

    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        if self.k <= 0 or not len(ids) or not len(self.examples):
            return
        sims = np.concatenate([self._sims, (np.asarray(vecs, dtype=np.float32) @ self.examples.T).T], axis=1)
        all_ids = np.concatenate(
            [self._ids, np.broadcast_to(np.asarray(ids, np.int64), (len(sims), len(ids)))], 1
        )
        keep = min(self.k + 1, sims.shape[1])  # + 1: the example itself is among them
        top = np.argpartition(-sims, keep - 1, axis=1)[:, :keep]
        self._sims = np.take_along_axis(sims, top, axis=1)
        self._ids = np.take_along_axis(all_ids, top, axis=1)

    def ids(self) -> set[int]:
        """Every example's ``k`` nearest photos (other than itself)."""
        out: set[int] = set()
        for own, sims, ids in zip(self.example_ids, self._sims, self._ids, strict=True):
            ranked = [int(i) for i in ids[np.argsort(-sims, kind="stable")] if int(i) != own]
            out.update(ranked[: self.k])
        return out


@dataclass(frozen=True)
class AlbumModel:
    """A trained album: ``score(X)`` gives each photo's probability of belonging."""

    w: np.ndarray
    b: float
    threshold: float = 0.5

    def score(self, vecs: np.ndarray) -> np.ndarray:
        z = np.asarray(vecs, dtype=np.float32) @ self.w + self.b
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def members(self, vecs: np.ndarray) -> np.ndarray:
        return self.score(vecs) >= self.threshold


def train_album(
    liked: np.ndarray,
    disliked: np.ndarray | None = None,
    background: np.ndarray | None = None,
    l2: float = 0.3,
    steps: int = 25,
    background_weight: float = BACKGROUND_WEIGHT,
    scale: float = 20.0,
    disliked_weight: float = DISLIKED_WEIGHT,
    scatter_shrink: float = SCATTER_SHRINK,
    liked_views: np.ndarray | Sequence[np.ndarray | None] | None = None,
    disliked_views: np.ndarray | Sequence[np.ndarray | None] | None = None,
    view_weight: float | Sequence[float] = VIEW_WEIGHT,
    membership: bool = True,
) -> AlbumModel:
    """Fit the album's classifier. ``background``: a random sample of the library (it may hold members too:
    its low weight lets a few of them through); ``scale`` stretches cosines into logits; ``scatter_shrink``: see
    :data:`SCATTER_SHRINK` (the fit runs on the examples' scatter-discounted features, and the model's weights
    are mapped back, so an album still scores a photo as ``x @ w + b``). ``liked_views`` / ``disliked_views``:
    each example's views' vectors (unit rows; :mod:`photosearch.search.views`), which count as more positives /
    negatives at ``view_weight`` times their example's weight (:data:`VIEW_WEIGHT`); an example without views
    (None) counts alone. The examples' scatter and the leave-one-out line use the examples themselves (an
    example left out takes its views with it)."""
    pos = np.asarray(liked, dtype=np.float32).reshape(-1, liked.shape[-1])
    if len(pos) == 0:
        raise ValueError("an album needs at least one liked photo")
    d = pos.shape[1]
    # each liked example, then its views (rows owned by example i: owner == i), then the 👎 and their views,
    # then the library sample
    vw = np.atleast_1d(np.asarray(view_weight, dtype=np.float64))  # one for every view, or one per view
    pv = _view_rows(liked_views, len(pos), d) if vw.max() > 0 else []
    owner = np.concatenate([np.arange(len(pos)), *[np.full(len(v), i) for i, v in enumerate(pv)]])
    parts = [pos, *pv]
    labels = [np.ones(len(owner))]
    weights = [np.full(len(pos), 1.0), *[_per_view(vw, len(v)) for v in pv]]
    negatives = []
    if disliked is not None and len(disliked):
        neg = np.asarray(disliked, dtype=np.float32).reshape(-1, d)
        nv = _view_rows(disliked_views, len(neg), d) if vw.max() > 0 else []
        negatives += [(neg, disliked_weight), *[(v, disliked_weight * _per_view(vw, len(v))) for v in nv]]
    if background is not None and len(background):
        negatives.append((np.asarray(background, dtype=np.float32).reshape(-1, d), background_weight))
    for arr, wgt in negatives:
        if len(arr):
            parts.append(arr)
            labels.append(np.zeros(len(arr)))
            weights.append(np.broadcast_to(np.asarray(wgt, dtype=np.float64), (len(arr),)))
    if len(labels) == 1:  # nothing to tell it from: a ball around the examples' mean
        centre = several(pos)
        cut = float(np.min(pos @ centre)) - 0.05
        return AlbumModel(centre * scale, -cut * scale)
    raw = np.concatenate(parts)
    var = scatter_shrink * _mean_variance(parts[-1]) if background is not None and len(background) else 0.0
    y = np.concatenate(labels)
    sw = np.concatenate(weights)
    sw = sw / sw.sum()
    # balance: the positives weigh as much as everything else together
    sw[y == 1] *= 0.5 / max(sw[y == 1].sum(), 1e-9)
    sw[y == 0] *= 0.5 / max(sw[y == 0].sum(), 1e-9)
    t = _scatter_transform(pos, var)
    x = raw @ t * scale
    w, b = _fit(x, y, sw, l2, steps)
    model = AlbumModel((t @ w * scale).astype(np.float32), b)
    if len(pos) < 3 or not membership:  # membership False: the direction only, no member threshold
        return model
    # where a member the classifier has not seen lands: leave each example (and its views) out in turn and see
    # how much of the library sample it outranks; the line is drawn at the lowest such share of the full model's
    # sample scores (the left-out example has no say in the scatter either)
    if background is None or not len(background):
        return model
    bg = raw[len(owner) :]
    shares = []
    for i in range(len(pos)):
        keep = np.ones(len(y), dtype=bool)
        keep[: len(owner)] = owner != i
        ti = _scatter_transform(np.delete(pos, i, axis=0), var)
        wi, bi = _fit(raw[keep] @ ti * scale, y[keep], sw[keep] / sw[keep].sum(), l2, steps)
        wi = ti @ wi * scale
        shares.append(float(np.mean(bg @ wi + bi < pos[i] @ wi + bi)))
    line = float(np.quantile(bg @ model.w + b, max(0.0, min(shares) - 0.02)))
    return AlbumModel(model.w, model.b, threshold=float(1.0 / (1.0 + np.exp(-line))))


def _per_view(vw: np.ndarray, n: int) -> np.ndarray:
    """The weights of an example's ``n`` view rows: ``vw`` is one weight for all, or one per view."""
    return np.full(n, float(vw[0])) if len(vw) == 1 else vw[:n].astype(np.float64)


def _view_rows(views: np.ndarray | Sequence[np.ndarray | None] | None, n: int, d: int) -> list[np.ndarray]:
    """Each of ``n`` examples' view vectors as rows (n lists; an example without views has none): ``views`` is
    (n, V, d), or a sequence of n arrays (V_i, d) / None."""
    if views is None:
        return []
    rows = [
        np.zeros((0, d), np.float32) if v is None else np.asarray(v, np.float32).reshape(-1, d) for v in views
    ]
    if len(rows) != n:
        raise ValueError(f"views for {len(rows)} examples, but {n} examples")
    return rows


def _mean_variance(vecs: np.ndarray) -> float:
    """The mean variance per dimension of ``vecs`` (a scale for shrinkage that does not depend on the model)."""
    return float(np.var(vecs, axis=0).mean()) if len(vecs) > 1 else 0.0


def _scatter_transform(pos: np.ndarray, var: float) -> np.ndarray:
    """A symmetric matrix that scales each principal direction of the examples' scatter by ``sqrt(var / (σ² +
    var))`` and leaves the rest alone: the identity when ``var`` is 0 or there are fewer than 3 examples."""
    d = pos.shape[1]
    if var <= 0 or len(pos) < 3:
        return np.eye(d)
    centred = pos.astype(np.float64) - pos.mean(axis=0)
    # the scatter has rank < len(pos): its directions from an SVD of the centred examples (cheap at any dim)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    sigma2 = sv**2 / len(pos)
    keep = sigma2 > 1e-12
    vt, sigma2 = vt[keep], sigma2[keep]
    return np.eye(d) + vt.T @ np.diag(np.sqrt(var / (sigma2 + var)) - 1.0) @ vt


def _fit(x: np.ndarray, y: np.ndarray, sw: np.ndarray, l2: float, steps: int) -> tuple[np.ndarray, float]:
    """Weighted, L2-regularised logistic regression by Newton's method (iteratively reweighted least squares:
    a handful of iterations converge, with no step size to tune)."""
    xa = np.hstack([x, np.ones((len(x), 1))])
    reg = np.full(xa.shape[1], l2)
    reg[-1] = 1e-9  # the bias is not shrunk
    theta = np.zeros(xa.shape[1])
    for _ in range(min(steps, 25)):
        p = 1.0 / (1.0 + np.exp(-np.clip(xa @ theta, -40, 40)))
        grad = xa.T @ (sw * (p - y)) + reg * theta
        hess = (xa * (sw * p * (1 - p))[:, None]).T @ xa + np.diag(reg)
        delta = np.linalg.solve(hess, grad)
        theta -= delta
        if float(np.abs(delta).max()) < 1e-6:
            break
    return theta[:-1], float(theta[-1])
