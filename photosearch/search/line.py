"""The relevance line: which results are good matches, decided from scores alone, in a way that carries over
from one library (and one model) to another.

**Text queries — the zero-shot view.** A photo *is* what the query says when the query describes it better
than everyday captions do. Each result photo ``x`` is scored against a fixed bank of everyday captions
(:data:`photosearch.search.cutoff.BACKGROUND_CAPTIONS`: "a photo of a dog", "a picture", "something", …)
and the query's score is measured in units of that photo's own spread over the bank:

    margin(q, x) = (s(q, x) − the bank's best score for x) / standard deviation of the bank's scores for x

Nothing here depends on which other photos are in the library (a library of beach photos and one of
screenshots give a photo the same margin), and the scale of a model's cosines cancels out. A nonsense or
empty query ("xyzzy", "🙈", "a photo") does not describe a photo better than "a picture" does; a query naming
something absent describes its nearest photo only partly and stays below the line.

**Photo queries** (a photo, several photos) keep the library-relative z-value of :mod:`photosearch.search.cutoff`
(a photo has no caption bank), and an exact or near-exact copy of the reference (cosine ≥ :data:`NEAR_COPY`)
always passes. **A photo changed by words** ("this, but red") passes when the words alone pass the text line on
the result (they describe it better than everyday captions) and the result still looks like the reference
(its z-value against the reference over the library reaches the *composed* line).

**Strictness** 1–5 moves the line: 3 is the model's calibrated point, each step up or down moves it by
:data:`STEP` of the kind's units (text: margins in bank spreads; photos: z-values). 1 lets almost everything
through, 5 only the clearest matches.

**Calibration** is per model: ``manifest.json``'s ``extra.relevance`` (``{"text": θ, "image": θ,
"composed": θ, "source": "…"}``), written by ``benchmarks/eval_relevance.py --write-calibration`` from
labelled queries on libraries the reported figures never use. A model without one is reported as
*uncalibrated*: its text results are not cut at all (where a margin means "a clear match" depends on the model,
and a guessed line misfires), its photo queries use the defaults below. A per-library rule stored in the catalog
(``cutoff.save_rule``) overrides it for the kinds it sets: ``photosearch models calibrate`` sets the text line
from queries generated to match nothing, run on the person's own library (:mod:`photosearch.search.selfcal`; no
labels), and the line is then reported as "calibrated on this library".

**Passing** is decided once, here and in :mod:`photosearch.search.relevance`: a result passes when it is above
the line, when it was found by a filter alone (browsing: every match of a pure filter passes), by the
words read in the photo (:mod:`photosearch.search.text_match`), or by its file name or a folder's name
(:mod:`photosearch.search.name_match`; its rule is about names, never about what the query looks like).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any

import numpy as np

#: Photo queries: a result this close to the reference (cosine) is the same picture and always passes.
NEAR_COPY = 0.95
#: How many of the bank's best captions a text query is compared with (their mean); 1: it must beat the best
#: (a mean of the top 3 let a query that *is* a bank caption, "a photo", pass; measured in eval_relevance).
BANK_TOP = 1
#: Defaults for a model without a calibration (margins for text, z-values for photo queries).
DEFAULT_LINE: dict[str, float] = {"text": 1.0, "image": 3.0, "composed": 1.0}
#: How far one strictness step moves the line, in the kind's units.
STEP: dict[str, float] = {"text": 0.25, "image": 1.0, "composed": 1.0}
CALIBRATION_KEY = "relevance"


class Strictness(IntEnum):
    """How sure a result must be to count as a good match (3: the model's calibrated point)."""

    LOOSEST = 1
    LOOSE = 2
    CALIBRATED = 3
    STRICT = 4
    STRICTEST = 5

    @classmethod
    def of(cls, value: int | str | None) -> Strictness:
        if value is None or value == "":
            return cls.CALIBRATED
        try:
            return cls(int(value))
        except (ValueError, TypeError):
            raise ValueError(f"strictness must be 1 (loosest) to 5 (strictest), not {value!r}") from None


DEFAULT_STRICTNESS = Strictness.CALIBRATED


class LineSource(str, Enum):
    """Where a query kind's line comes from, in the words a response reports (``line_info``'s
    ``calibration``)."""

    LIBRARY = "calibrated on this library"  # photosearch models calibrate (no labels, generated queries)
    MODEL = "calibrated for this model"  # the model package's own calibration (labelled queries)
    UNCALIBRATED = "uncalibrated"


def shift(kind: str, strictness: int) -> float:
    """How far ``strictness`` moves the line from the calibrated point."""
    return (int(strictness) - int(Strictness.CALIBRATED)) * STEP.get(kind, 1.0)


@dataclass(frozen=True)
class ModelCalibration:
    """The line a model was calibrated to (``calibrated`` False: the defaults)."""

    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_LINE))
    calibrated: bool = False
    source: str = ""

    @classmethod
    def from_extra(cls, extra: dict[str, Any] | None) -> ModelCalibration:
        """From a manifest's ``extra`` (its ``relevance`` entry); the defaults when it has none."""
        raw = (extra or {}).get(CALIBRATION_KEY)
        if not isinstance(raw, dict):
            return cls()
        th = dict(DEFAULT_LINE)
        try:
            th.update({k: float(raw[k]) for k in DEFAULT_LINE if k in raw})
        except (TypeError, ValueError):
            return cls()
        return cls(th, True, str(raw.get("source", "")))

    def to_extra(self) -> dict[str, Any]:
        return {
            CALIBRATION_KEY: {**{k: round(v, 4) for k, v in self.thresholds.items()}, "source": self.source}
        }


def bank_margin(query_scores: np.ndarray, bank_scores: np.ndarray, top: int = BANK_TOP) -> np.ndarray:
    """Each photo's query score against its everyday-caption scores: (s − mean of the bank's ``top`` best)
    / the bank's spread for that photo. ``query_scores`` [n], ``bank_scores`` [n, captions]."""
    bank = np.asarray(bank_scores, dtype=np.float64)
    q = np.asarray(query_scores, dtype=np.float64)
    if bank.ndim != 2 or bank.shape[0] != len(q):
        raise ValueError("one row of bank scores per photo")
    if len(q) == 0:
        return np.zeros(0)
    t = max(1, min(top, bank.shape[1]))
    ref = np.sort(bank, axis=1)[:, -t:].mean(axis=1)
    spread = np.maximum(bank.std(axis=1), 1e-6)
    return (q - ref) / spread
