"""Composed-retrieval fusions of a reference image v and a change text t (both L2-normalised).

* ``product`` (default): each cosine clamped to a small positive floor,
  score = s(v,x)^(1−w) · s(t,x)^w. At w = 0.5 it ranks exactly like s_v·s_t (the square root of the
  plain product, a monotone map) — the fusion that matches trained composed-retrieval methods zero-shot.
  w = 0 is the image alone, w = 1 the text alone; the GUI slider sets w.
* ``slerp``: the candidate's cosine to slerp(v, t, w).
* ``sum``: the candidate's cosine to normalize((1−w)v + w t).

A product score cannot be searched in an ANN index directly, so :func:`query_vectors` gives the
vectors whose neighbours form the candidate pool, and :func:`score` re-scores candidates exactly.
"""

from __future__ import annotations

import numpy as np

FUSIONS = ("product", "slerp", "sum")
DEFAULT_FUSION = "product"
DEFAULT_WEIGHT = 0.5
FLOOR = 1e-3


def normalize(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


def slerp(v: np.ndarray, t: np.ndarray, w: float) -> np.ndarray:
    v, t = normalize(v), normalize(t)
    dot = float(np.clip(np.dot(v, t), -1.0, 1.0))
    theta = np.arccos(dot)
    if theta < 1e-6:
        return normalize((1 - w) * v + w * t)
    s = np.sin(theta)
    return normalize(np.sin((1 - w) * theta) / s * v + np.sin(w * theta) / s * t)


def weighted_sum(v: np.ndarray, t: np.ndarray, w: float) -> np.ndarray:
    return normalize((1 - w) * v + w * t)


def fused_vector(v: np.ndarray, t: np.ndarray, w: float, fusion: str) -> np.ndarray:
    """A single vector standing for the composed query (the product's own candidates come from slerp)."""
    if fusion == "sum":
        return weighted_sum(v, t, w)
    return slerp(v, t, w)


def query_vectors(v: np.ndarray, t: np.ndarray, w: float, fusion: str) -> np.ndarray:
    """Vectors whose ANN neighbours form the candidate pool: v, t and the fused vector."""
    return np.stack([normalize(v), normalize(t), fused_vector(v, t, w, fusion)])


def bound(last: np.ndarray, w: float, fusion: str) -> float:
    """An upper bound on the score of any photo outside the candidate pool, given the score of the last
    (P-th) ANN neighbour of each query vector (v, t, fused — the rows of :func:`query_vectors`).

    A photo outside the pool scores at most ``last[0]`` against v and ``last[1]`` against t, so its
    product is at most their product; for slerp/sum the score *is* the cosine to the fused vector.
    """
    last = np.asarray(last, dtype=np.float64)
    if fusion == "product":
        sv, st = max(float(last[0]), FLOOR), max(float(last[1]), FLOOR)
        return float(sv ** (1.0 - w) * st**w)
    return float(last[2])


def score(v: np.ndarray, t: np.ndarray, candidates: np.ndarray, w: float, fusion: str) -> np.ndarray:
    """Exact composed scores of candidate vectors (rows, L2-normalised)."""
    if fusion not in FUSIONS:
        raise ValueError(f"unknown fusion {fusion!r}; choose one of {', '.join(FUSIONS)}")
    if fusion == "product":
        sv = np.maximum(candidates @ normalize(v), FLOOR)
        st = np.maximum(candidates @ normalize(t), FLOOR)
        return (sv ** (1.0 - w) * st**w).astype(np.float32)
    return (candidates @ fused_vector(v, t, w, fusion)).astype(np.float32)
