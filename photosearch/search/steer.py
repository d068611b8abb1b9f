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
  much as one photo of that sample, :data:`DISLIKED_WEIGHT`). A photo is a member when
  its probability reaches ``threshold``: each example in turn is left out of training and scored against the
  library sample; the line sits at the lowest share of the sample that a left-out example outranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
) -> AlbumModel:
    """Fit the album's classifier. ``background``: a random sample of the library (it may hold members too:
    its low weight lets a few of them through); ``scale`` stretches cosines into logits."""
    pos = np.asarray(liked, dtype=np.float32).reshape(-1, liked.shape[-1])
    if len(pos) == 0:
        raise ValueError("an album needs at least one liked photo")
    parts = [pos]
    labels = [np.ones(len(pos))]
    weights = [np.full(len(pos), 1.0)]
    for extra, wgt in ((disliked, disliked_weight), (background, background_weight)):
        if extra is not None and len(extra):
            arr = np.asarray(extra, dtype=np.float32).reshape(-1, pos.shape[1])
            parts.append(arr)
            labels.append(np.zeros(len(arr)))
            weights.append(np.full(len(arr), wgt))
    if len(parts) == 1:  # nothing to tell it from: a ball around the examples' mean
        centre = several(pos)
        cut = float(np.min(pos @ centre)) - 0.05
        return AlbumModel(centre * scale, -cut * scale)
    x = np.concatenate(parts) * scale
    y = np.concatenate(labels)
    sw = np.concatenate(weights)
    sw = sw / sw.sum()
    # balance: the positives weigh as much as everything else together
    sw[y == 1] *= 0.5 / max(sw[y == 1].sum(), 1e-9)
    sw[y == 0] *= 0.5 / max(sw[y == 0].sum(), 1e-9)
    w, b = _fit(x, y, sw, l2, steps)
    model = AlbumModel((w * scale).astype(np.float32), b)
    if len(pos) < 3:
        return model
    # where a member the classifier has not seen lands: leave each example out in turn and see how much of the
    # library sample it outranks; the line is drawn at the lowest such share of the full model's sample scores
    bg = np.concatenate(parts[1:]) * scale if background is not None and len(background) else None
    if bg is None:
        return model
    shares = []
    for i in range(len(pos)):
        keep = np.ones(len(y), dtype=bool)
        keep[i] = False
        wi, bi = _fit(x[keep], y[keep], sw[keep] / sw[keep].sum(), l2, steps)
        shares.append(float(np.mean(bg @ wi + bi < x[i] @ wi + bi)))
    line = float(np.quantile(bg @ w + b, max(0.0, min(shares) - 0.02)))
    return AlbumModel(model.w, model.b, threshold=float(1.0 / (1.0 + np.exp(-line))))


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
