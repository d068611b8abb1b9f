"""Relevance cutoff: say "no good matches" instead of listing noise.

The rule works for any model because it never looks at a raw cosine on its own. Every query is also
scored, with exactly the same scoring function, against a fixed random sample of the library (the
*background*, up to :data:`BACKGROUND_SIZE` photos). A result's score is turned into a z-value in units
of that query's own spread over the library:

    z = (score − median of the query's background scores) / (1.4826 × their median absolute deviation)

(the robust form of mean and standard deviation: photos that do match — even a fifth of the library for
a broad query such as "red" — don't inflate the spread they are measured against), and the result
*passes* when ``z ≥ threshold``. CLIP cosines sit around 0.2–0.35, SigLIP's and the test
model's elsewhere; z-values don't care about that scale, nor about a query that is "generally close to
everything". A query whose best photo doesn't stand out from the library has no good matches.

Text queries are measured against a *per-model background* instead: the scores of everyday captions
(:data:`BACKGROUND_CAPTIONS`) against the same library sample, z = (score − their mean) / their standard
deviation. A broad query ("red", a fifth of the library) would look unremarkable against its own
distribution; against the background it stands out as much as its matches deserve, and a query naming
something absent (its best photo only half-matching) does not.

Thresholds are per query kind (``text``, ``image``, ``composed``). Defaults suit CLIP-style models; a
model's own thresholds can be calibrated from labelled queries (:func:`calibrate`: queries that have a
match and queries that don't) and stored in the catalog (:func:`save_rule`, key ``cutoff:<model id>``),
where the search engine finds them. ``photosearch models calibrate`` stores such a rule without labels
(:mod:`photosearch.search.selfcal`): it sets the text kind only (``CutoffRule.kinds``) and says where it came
from (``RuleSource.LIBRARY``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

BACKGROUND_SIZE = 2048
DEFAULT_THRESHOLDS: dict[str, float] = {"text": 1.0, "image": 3.0, "composed": 3.0}
META_KEY = "cutoff:{model_id}"


#: Everyday photo captions: the per-model background text queries are measured against. Any caption
#: list serves; what matters is that it is the same for every library of a model.
BACKGROUND_CAPTIONS: tuple[str, ...] = (
    "a photo of a dog",
    "a cat sleeping on a sofa",
    "a beach at sunset",
    "a city street at night",
    "a plate of food on a table",
    "a group of friends at a party",
    "a mountain landscape with snow",
    "a child playing in a garden",
    "a car parked on the street",
    "a bird on a tree branch",
    "a wedding photo",
    "a birthday cake with candles",
    "a forest in autumn",
    "a boat on the sea",
    "people walking in a park",
    "a kitchen with white cabinets",
    "a selfie of a woman smiling",
    "a man riding a bike",
    "flowers in a vase",
    "a train at a station",
    "a screenshot of a document",
    "a horse in a field",
    "clouds in a blue sky",
    "a living room with a tv",
    "a baby in a crib",
    "a snowy road in winter",
    "a restaurant menu",
    "a dark blurry photo",
    "a red sports car",
    "a family on holiday",
    "rain on a window",
    "a bridge over a river",
    "a tall building in a city",
    "a close-up of a flower",
    "a green lawn",
    "a black and white portrait",
    "a cup of coffee",
    "a person holding a phone",
    "an old house",
    "fireworks in the night sky",
    "a shape",
    "something",
    "a picture",
    "an image of an object",
    "a bright colourful pattern",
    "a grey background",
    "a small object in the corner",
    "a large object in the middle",
    "a drawing",
    "a sign with text",
)


class _Meta(Protocol):
    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    def set_meta(self, key: str, value: str | None) -> None: ...


@dataclass
class Background:
    """A fixed random sample of the library's embeddings (rows L2-normalised)."""

    ids: np.ndarray
    vecs: np.ndarray

    @classmethod
    def sample(cls, ids: np.ndarray, fetch: Any, size: int = BACKGROUND_SIZE, seed: int = 0) -> Background:
        """Sample up to ``size`` of ``ids`` (deterministically) and ``fetch(ids) -> (ids, vecs)`` them."""
        ids = np.sort(np.asarray(ids, dtype=np.int64))
        if len(ids) > size:
            ids = np.sort(np.random.default_rng(seed).choice(ids, size=size, replace=False))
        got_ids, vecs = fetch(ids)
        return cls(np.asarray(got_ids, dtype=np.int64), np.asarray(vecs, dtype=np.float32))

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class QueryStats:
    """A query's score distribution over the background: its median and robust spread."""

    centre: float
    scale: float
    n: int

    @classmethod
    def of(cls, scores: np.ndarray) -> QueryStats:
        s = np.asarray(scores, dtype=np.float64)
        if len(s) == 0:
            return cls(0.0, 1.0, 0)
        med = float(np.median(s))
        scale = 1.4826 * float(np.median(np.abs(s - med)))
        if scale < 1e-6:  # a degenerate sample (e.g. identical photos): fall back to the standard deviation
            scale = float(s.std())
        return cls(med, max(scale, 1e-6), len(s))

    def z(self, score: float | np.ndarray) -> float | np.ndarray:
        return (score - self.centre) / self.scale


class RuleSource(str, Enum):
    """Where a stored rule's thresholds came from."""

    LABELLED = "labelled"  # labelled queries (a benchmark, a test)
    LIBRARY = "library"  # ``photosearch models calibrate``: generated queries on this library, no labels


@dataclass
class CutoffRule:
    """z-value thresholds per query kind; ``calibrated`` says whether they came from a calibration.

    ``kinds``: the query kinds the rule sets (None: every kind; a self-calibration sets only ``text``, and the
    other kinds keep the model's line); ``source`` and ``details``: how it was reached, for the person."""

    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    calibrated: bool = False
    kinds: tuple[str, ...] | None = None
    source: RuleSource = RuleSource.LABELLED
    details: dict[str, Any] = field(default_factory=dict)

    def threshold(self, kind: str) -> float:
        return float(self.thresholds.get(kind, DEFAULT_THRESHOLDS.get(kind, 3.0)))

    def sets(self, kind: str) -> bool:
        """Whether this rule (rather than the model's own line) decides ``kind``."""
        return self.kinds is None or kind in self.kinds

    def passes(self, kind: str, z: float) -> bool:
        return bool(z >= self.threshold(kind))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"thresholds": self.thresholds, "calibrated": self.calibrated}
        if self.kinds is not None:
            out["kinds"] = list(self.kinds)
        if self.source is not RuleSource.LABELLED or self.details:
            out["source"] = self.source.value
            out["details"] = self.details
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CutoffRule:
        th = dict(DEFAULT_THRESHOLDS)
        th.update({str(k): float(v) for k, v in dict(d.get("thresholds", {})).items()})
        kinds = d.get("kinds")
        return cls(
            th,
            bool(d.get("calibrated", False)),
            None if kinds is None else tuple(str(k) for k in kinds),
            RuleSource(d.get("source", RuleSource.LABELLED.value)),
            dict(d.get("details") or {}),
        )


def calibrate(match_z: list[float] | np.ndarray, nomatch_z: list[float] | np.ndarray) -> float:
    """The threshold that best separates queries with a match (their best result's z should pass) from
    queries without one (their best result's z should fail): maximises balanced accuracy, and among
    equally good thresholds takes the middle of the widest gap."""
    pos = np.sort(np.asarray(match_z, dtype=np.float64))
    neg = np.sort(np.asarray(nomatch_z, dtype=np.float64))
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("calibration needs queries with and without a match")
    values = np.unique(np.concatenate([pos, neg]))
    # candidate thresholds: midpoints between neighbouring observed values, plus the two ends
    cands = np.concatenate([[values[0] - 1.0], (values[1:] + values[:-1]) / 2, [values[-1] + 1.0]])
    tpr = 1.0 - np.searchsorted(pos, cands, side="left") / len(pos)  # share of pos >= t
    tnr = np.searchsorted(neg, cands, side="left") / len(neg)  # share of neg < t
    bal = (tpr + tnr) / 2
    best = np.flatnonzero(np.isclose(bal, bal.max()))
    # the widest run of equally good candidates → its middle
    runs: list[list[int]] = [[int(best[0])]]
    for i in best[1:]:
        if i == runs[-1][-1] + 1:
            runs[-1].append(int(i))
        else:
            runs.append([int(i)])

    def span(run: list[int]) -> tuple[float, float]:
        # every threshold strictly between these two values classifies like the run's candidates
        lo, hi = run[0], run[-1]
        left = values[lo - 1] if lo >= 1 else cands[lo]
        right = values[hi] if hi < len(values) else cands[hi]
        return float(left), float(right)

    left, right = max((span(r) for r in runs), key=lambda lr: lr[1] - lr[0])
    return (left + right) / 2


def load_rule(meta: _Meta, model_id: str) -> CutoffRule:
    raw = meta.get_meta(META_KEY.format(model_id=model_id))
    if not raw:
        return CutoffRule()
    try:
        return CutoffRule.from_json(json.loads(raw))
    except (ValueError, TypeError, AttributeError) as e:
        log.warning("ignoring a damaged cutoff calibration for %s: %s", model_id, e)
        return CutoffRule()


def save_rule(meta: _Meta, model_id: str, rule: CutoffRule) -> None:
    meta.set_meta(META_KEY.format(model_id=model_id), json.dumps(rule.to_json()))


def forget_rule(meta: _Meta, model_id: str) -> bool:
    """Drop the library's own rule for ``model_id`` (the model's line applies again); False: there was none."""
    key = META_KEY.format(model_id=model_id)
    had = meta.get_meta(key) is not None
    meta.set_meta(key, None)
    return had
