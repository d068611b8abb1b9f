"""Composed-retrieval fusions of a reference image v and a change text t (both L2-normalised).

* ``product`` (default): each cosine clamped to a small positive floor,
  score = s(v,x)^(1−w) · s(t,x)^w. At w = 0.5 it ranks exactly like s_v·s_t (the square root of the
  plain product, a monotone map) — the fusion that matches trained composed-retrieval methods zero-shot.
  w = 0 is the image alone, w = 1 the text alone; the GUI slider sets w.
* ``slerp``: the candidate's cosine to slerp(v, t, w).
* ``sum``: the candidate's cosine to normalize((1−w)v + w t).

A product score cannot be searched in an ANN index directly, so :func:`query_vectors` gives the
vectors whose neighbours form the candidate pool, and :func:`score` re-scores candidates exactly.

The reference photo stands more for *what* is in it than for where or how big: the photo is also seen in
:data:`N_VIEWS` views — its mirror image, the picture moved by a quarter of its side along each diagonal,
magnified by 4/3 and shrunk to 3/4 (the border in the preprocessor's mean colour) — made from its preprocessed
pixels and encoded in one batch (:func:`photosearch.search.views.views`; test-time augmentation, no training, nothing specific to a
model or a kind of change). For the product, a candidate looks like the reference by its cosine to the photo or,
if higher, to its best-matching view times :data:`VIEW_DISCOUNT` (:func:`likeness`): a max, not a mean, because
the thing is *somewhere* in the candidate, and averaging views blurs it. The discount keeps a photo that is the
reference changed exactly as asked (same place, same size) first. slerp/sum fuse one vector, the photo's with
its mirror image's at :data:`MIRROR_WEIGHT` (:func:`reference`), which is also what the relevance line measures
likeness to.

Chosen on the shapes test model's calibration library of ``benchmarks/eval_relevance.py`` with 960 "this, but
<colour>" queries (every rendered shape × every other colour it exists in); figures: the reference's shape in the
asked colour first / the exact change first where the library has one (n = 509), by ``benchmarks/eval_composed.py``:

* the photo alone 0.536 / 0.870; with its mirror image averaged in at weight 0.25 / 0.5 / 1: 0.590 / 0.652 /
  0.675 and 0.866 / 0.862 / 0.695 (the previous search: 0.5). Measured before, not in that script: all four
  flips and rotations averaged 0.589; modality-gap corrections 0.544 at best.
* views *averaged* into the reference do not help: 4 moves by 1/8, 1/4, 3/8 of the side 0.280–0.562 (exact
  change 0.155–0.851); zooms 0.483–0.556; even the same shape actually rendered at every other place, averaged
  in, reaches only 0.748 with the exact change at 0.251 (0.688 / 0.843 at a weight that keeps it).
* the *best* view (max), discount 0.89 (chosen: the highest rate whose exact-change rate stays at the
  mirror's 0.862): mirror + 4 diagonal moves by 1/4 + zoom in/out **0.726 / 0.862**; without the zooms 0.717 /
  0.861; moves by 1/5 0.721 / 0.859, by 3/10 0.690 / 0.859; discount 0.85 / 0.9 / 0.95: 0.699 / 0.730 / 0.738
  and 0.866 / 0.857 / 0.733. Ideal views (the same shape actually rendered at every other place and size,
  the best one discounted by 0.8–1) would reach 0.709 / 0.864 to 0.825 / 0.340. Dropped: whitening the image
  space with the library's covariance (0.211–0.435), capping the words' score at a library percentile (0.721–
  0.726, exact change 0.851–0.859), the fusion weight 0.6 / 0.7 with the mirror (0.643 / 0.626; a one-off run, not in the script).

On the report library (other photos, other shapes) the same 960-query measure went 0.655 / 0.878 (mirror) →
0.732 / 0.865; the report's 50 composed match queries 0.600 → 0.640. What stands in the way of more is the test
model's eyesight: its image embedding gives a shared shape 0.18 of cosine and a shared colour, size or place
0.25–0.28 each, and at 64 pixels it barely tells a circle from a hexagon (its README). Of the 263 calibration
queries still wrong, 178 put the circle's hexagon twin first or the reverse; counting those two as one shape the
rate would be 0.911 (report 0.895), and references of the other shapes come out right in 0.861 of queries on
both libraries. With the views, the image part's own ceiling (words made perfect) is 0.66 of the report queries.

Cost (``python benchmarks/bench_query.py --composed``, ViT-B-32-256 random weights, 12 MP JPEGs, 2 threads on a
shared 2-core AMD EPYC at load 7–8, two runs of 20 and 30 references): the views take 952–1290 ms (fp32) and
996–1158 ms (int8) against the mirror image's 227–322 / 268–305 ms, 3.7–4.2× — about 0.7–1 s more on the first
query with a reference; a reference not in the library costs its own encoding (552–682 ms) either way. The views
of a reference file are kept (``SearchEngine.reference_views``), so the next queries with it (the image/text
balance moved, other words) encode nothing.
"""

from __future__ import annotations

import numpy as np

# the views are made in one place, shared with albums; fusion's names for them stay
from photosearch.search.views import N_VIEWS as N_VIEWS
from photosearch.search.views import VIEW_SHIFT as VIEW_SHIFT
from photosearch.search.views import VIEW_ZOOM_IN as VIEW_ZOOM_IN
from photosearch.search.views import VIEW_ZOOM_OUT as VIEW_ZOOM_OUT
from photosearch.search.views import mirrored as mirrored
from photosearch.search.views import moved as moved
from photosearch.search.views import view_tensors as view_tensors
from photosearch.search.views import views as views
from photosearch.search.views import zoomed as zoomed

FUSIONS = ("product", "slerp", "sum")
DEFAULT_FUSION = "product"
DEFAULT_WEIGHT = 0.5
FLOOR = 1e-3
#: The weight of the mirror image's vector in a composed query's reference (see above).
MIRROR_WEIGHT = 0.5
#: A view's cosine counts at VIEW_DISCOUNT (:func:`likeness`); the views themselves are
#: :func:`photosearch.search.views.view_tensors` (moves by VIEW_SHIFT, zooms VIEW_ZOOM_IN / VIEW_ZOOM_OUT).
VIEW_DISCOUNT = 0.89


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


def reference(v: np.ndarray, views: np.ndarray | None = None) -> np.ndarray:
    """The reference's single vector: the photo's, with its mirror image's (the first view) at
    :data:`MIRROR_WEIGHT` — what slerp/sum fuse and what the relevance line measures likeness to."""
    return with_mirror(v, views[0] if views is not None and len(views) else None)


def query_vectors(
    v: np.ndarray, t: np.ndarray, w: float, fusion: str, views: np.ndarray | None = None
) -> np.ndarray:
    """Vectors whose ANN neighbours form the candidate pool: the reference (:func:`reference`), t and the fused
    vector; for the product with ``views``, then also v itself and each view (what :func:`likeness` compares)."""
    ref = reference(v, views)
    rows = [ref, normalize(t), fused_vector(ref, t, w, fusion)]
    if fusion == "product" and views is not None and len(views):
        rows += [normalize(v), *normalize(views)]
    return np.stack(rows)


def bound(last: np.ndarray, w: float, fusion: str) -> float:
    """An upper bound on the score of any photo outside the candidate pool, given the score of the last
    (P-th) ANN neighbour of each query vector (the rows of :func:`query_vectors`).

    A photo outside the pool scores at most ``last[1]`` against t, and against the reference at most
    ``last[0]`` (without views) or, with views, at most ``last[3]`` against v and ``last[3 + j]`` against
    view j, so its :func:`likeness` at most ``max(last[3], VIEW_DISCOUNT · max(last[4:]))``; its product is at
    most the product of the two. For slerp/sum the score *is* the cosine to the fused vector.
    """
    last = np.asarray(last, dtype=np.float64)
    if fusion == "product":
        image = (
            float(last[0]) if len(last) <= 3 else max(float(last[3]), VIEW_DISCOUNT * float(last[4:].max()))
        )
        sv, st = max(image, FLOOR), max(float(last[1]), FLOOR)
        return float(sv ** (1.0 - w) * st**w)
    return float(last[2])


def score(
    v: np.ndarray,
    t: np.ndarray,
    candidates: np.ndarray,
    w: float,
    fusion: str,
    views: np.ndarray | None = None,
) -> np.ndarray:
    """Exact composed scores of candidate vectors (rows, L2-normalised). ``views``: the reference's views'
    vectors (:func:`views`); the product's image part is then :func:`likeness`."""
    if fusion not in FUSIONS:
        raise ValueError(f"unknown fusion {fusion!r}; choose one of {', '.join(FUSIONS)}")
    if fusion == "product":
        sv = np.maximum(likeness(v, views, candidates), FLOOR)
        st = np.maximum(candidates @ normalize(t), FLOOR)
        return (sv ** (1.0 - w) * st**w).astype(np.float32)
    return (candidates @ fused_vector(reference(v, views), t, w, fusion)).astype(np.float32)


def likeness(v: np.ndarray, views: np.ndarray | None, candidates: np.ndarray) -> np.ndarray:
    """How much each candidate looks like the reference: its cosine to the reference, or to the best of the
    reference's views discounted by :data:`VIEW_DISCOUNT`, whichever is higher."""
    own = candidates @ normalize(v)
    if views is None or len(views) == 0:
        return own
    return np.maximum(own, VIEW_DISCOUNT * (candidates @ normalize(views).T).max(axis=1))


def with_mirror(v: np.ndarray, mirror: np.ndarray | None) -> np.ndarray:
    """A reference vector that leans toward what is in the photo wherever it sits: the photo's unit vector plus
    :data:`MIRROR_WEIGHT` times its mirror image's."""
    if mirror is None:
        return normalize(v)
    return normalize(normalize(v) + MIRROR_WEIGHT * normalize(mirror))
