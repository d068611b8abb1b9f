"""The engine's relevance line (:mod:`photosearch.search.line`): for text, each result's zero-shot margin over
a bank of everyday captions; for photo queries, the z-value of its score against the query's scores over a
fixed random sample of the library. It marks each result ``passed``. Plus the ``Scorer`` every query becomes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from photosearch.models.encoders import ModelRuntime
from photosearch.search import fusion as fusion_mod
from photosearch.search.cutoff import (
    BACKGROUND_CAPTIONS,
    BACKGROUND_SIZE,
    DEFAULT_THRESHOLDS,
    Background,
    CutoffRule,
    QueryStats,
    RuleSource,
    load_rule,
)
from photosearch.search.line import (
    BANK_TOP,
    DEFAULT_LINE,
    DEFAULT_STRICTNESS,
    NEAR_COPY,
    LineSource,
    ModelCalibration,
    bank_margin,
    shift,
)
from photosearch.search.results import Result
from photosearch.store.catalog import Catalog

log = logging.getLogger("photosearch.search.engine")


@dataclass
class Scorer:
    """How one query finds and scores candidates.

    ``queries``: vectors whose ANN neighbours form the pool; ``score``: exact scores of embedding rows;
    ``bound``: given the score of the last (P-th) neighbour of each query vector, an upper bound on the
    score of any photo outside the pool (None: no bound known, the first pool with k results is kept).
    """

    queries: np.ndarray
    score: Callable[[np.ndarray], np.ndarray]
    bound: Callable[[np.ndarray], float] | None = None


def cosine_scorer(q: np.ndarray) -> Scorer:
    q = fusion_mod.normalize(np.asarray(q, dtype=np.float32))
    return Scorer(q[None, :], lambda vecs: vecs @ q, lambda last: float(last[0]))


class RelevanceCutoff:
    """The cut-off part of ``SearchEngine`` (and of ``selfcal.LibraryLine``); :meth:`_init_relevance` sets its
    state."""

    catalog: Catalog
    runtime: ModelRuntime
    background_size: int
    _lock: threading.Lock
    _cutoff: CutoffRule | None
    _cutoff_given: bool
    _cutoff_key: tuple[int, int] | None
    _background: Background | None
    _background_count: int
    _counts: dict[str, tuple[tuple[int, int], int]]

    def _init_relevance(
        self, catalog: Catalog, runtime: ModelRuntime, cutoff: CutoffRule | None, background_size: int | None
    ) -> None:
        self.catalog, self.runtime = catalog, runtime
        self.background_size = background_size or BACKGROUND_SIZE
        self._lock = threading.Lock()
        self._cutoff, self._cutoff_given, self._cutoff_key = cutoff, cutoff is not None, None
        self._background, self._background_count = None, -1
        self._counts = {}

    @property
    def cutoff(self) -> CutoffRule:
        """The library's own rule for this model (catalog meta), read again when the catalog changed — a
        ``photosearch models calibrate`` handed to a running window takes effect at its next search. A rule
        given to the engine (its constructor, this property's setter) stays."""
        if self._cutoff_given and self._cutoff is not None:
            return self._cutoff
        key = self.catalog.change_counter()
        if self._cutoff is None or self._cutoff_key != key:
            self._cutoff = load_rule(self.catalog, self.runtime.id)
            self._cutoff_key, self._cutoff_given = key, False
        return self._cutoff

    @cutoff.setter
    def cutoff(self, rule: CutoffRule) -> None:
        self._cutoff, self._cutoff_given = rule, True

    def _cached_count(self, name: str, compute: Callable[[], int]) -> int:
        """A COUNT over the catalog, recomputed only when the catalog changed (a full count costs
        tens of milliseconds at 100k photos, every query otherwise)."""
        key = self.catalog.change_counter()
        with self._lock:
            hit = self._counts.get(name)
            if hit is not None and hit[0] == key:
                return hit[1]
        value = compute()
        with self._lock:
            self._counts[name] = (key, value)
        return value

    def background(self) -> Background:
        """A fixed random sample of the library (resampled when the library grows or shrinks by > 10%)."""
        n = self._cached_count("embeddings", lambda: self.catalog.count_embeddings(self.runtime.id))
        with self._lock:
            bg = self._background
            if (
                bg is not None
                and abs(n - self._background_count) <= 0.1 * max(self._background_count, 1)
                and (n == self._background_count or len(bg) >= min(n, 64))
            ):
                return bg
        ids = self.catalog.embedding_ids(self.runtime.id)
        bg = Background.sample(
            ids,
            lambda x: self.catalog.embeddings_by_ids(x.tolist(), self.runtime.dim),
            size=self.background_size,
        )
        with self._lock:
            self._background, self._background_count = bg, n
        return bg

    def query_stats(self, scorer: Scorer) -> QueryStats:
        bg = self.background()
        return QueryStats.of(scorer.score(bg.vecs) if len(bg) else np.zeros(0, np.float32))

    def warm(self) -> None:
        """Encode and store the caption bank now (``photosearch index`` does, so the first search after it
        encodes only its query)."""
        self._caption_vectors()

    def _caption_vectors(self) -> np.ndarray:
        """The background captions' normalised text embeddings. Encoding them costs seconds (dozens of
        texts), so they are kept in the catalog (meta, per model, keyed by the text model file and the
        captions) and a fresh process — ``photosearch search`` — reads them back in a millisecond."""
        import base64
        import hashlib
        import json

        dim = self.runtime.dim
        entry = self.runtime.package.manifest.files.get(self.runtime.package.manifest.text.file)
        stamp = hashlib.sha1(
            ("\n".join(BACKGROUND_CAPTIONS) + f"|{entry.sha256 if entry else ''}|{dim}").encode()
        ).hexdigest()
        key = f"text_background:{self.runtime.id}"
        try:
            raw = self.catalog.get_meta(key)
            if raw:
                d = json.loads(raw)
                if d.get("stamp") == stamp:
                    return np.frombuffer(base64.b64decode(d["vecs"]), dtype="<f4").reshape(-1, dim).copy()
        except Exception:  # a bad cache entry is recomputed
            log.debug("ignoring the cached background captions", exc_info=True)
        caps = fusion_mod.normalize(
            np.asarray(self.runtime.text.encode(list(BACKGROUND_CAPTIONS)), dtype=np.float32)
        )
        try:
            self.catalog.set_meta(
                key,
                json.dumps(
                    {
                        "stamp": stamp,
                        "vecs": base64.b64encode(np.ascontiguousarray(caps, dtype="<f4").tobytes()).decode(
                            "ascii"
                        ),
                    }
                ),
            )
        except Exception:  # a read-only or busy catalog: just don't cache
            log.debug("could not cache the background captions", exc_info=True)
        return caps

    @property
    def calibration(self) -> ModelCalibration:
        """The model's own line (its manifest's ``extra.relevance``), or the defaults, uncalibrated."""
        return ModelCalibration.from_extra(self.runtime.package.manifest.extra)

    def line(self, kind: str, strictness: int = DEFAULT_STRICTNESS) -> tuple[float, bool]:
        """(threshold, calibrated) for a query kind at ``strictness``: a rule calibrated on this library
        (stored in the catalog) first, else the model's calibration, else the defaults."""
        threshold, source = self.line_and_source(kind, strictness)
        return threshold, source is not LineSource.UNCALIBRATED

    def line_and_source(self, kind: str, strictness: int = DEFAULT_STRICTNESS) -> tuple[float, LineSource]:
        """:meth:`line`, saying where the line came from."""
        rule_kind = "image" if kind in ("similar", "several") else kind
        rule = self.cutoff
        default = DEFAULT_THRESHOLDS.get(rule_kind)
        if rule.sets(rule_kind) and (rule.calibrated or rule.thresholds.get(rule_kind, default) != default):
            base = rule.threshold(rule_kind)
            if not rule.calibrated:
                source = LineSource.UNCALIBRATED
            elif rule.source is RuleSource.LIBRARY:
                source = LineSource.LIBRARY
            else:
                source = LineSource.MODEL
        else:
            cal = self.calibration
            if not cal.calibrated and rule_kind == "text":
                # a text line is only as good as its calibration: a model without one draws none (every
                # result passes) and says it is uncalibrated, rather than guess — a misfiring line is worse
                return -np.inf, LineSource.UNCALIBRATED
            base = cal.thresholds.get(rule_kind, DEFAULT_LINE.get(rule_kind, 3.0))
            source = LineSource.MODEL if cal.calibrated else LineSource.UNCALIBRATED
        return base + shift(rule_kind, strictness), source

    def vectors_in_order(self, labels: list[int]) -> np.ndarray | None:
        """The stored embeddings of ``labels``, row for row (the catalog returns rows in its own order, not the
        order asked for); None when one of them is gone."""
        ids, vecs = self.catalog.embeddings_by_ids(labels, self.runtime.dim)
        by_id = {int(i): v for i, v in zip(ids.tolist(), vecs, strict=True)}
        if any(int(lab) not in by_id for lab in labels):
            return None
        if not labels:
            return np.zeros((0, self.runtime.dim), np.float32)
        return np.stack([by_id[int(lab)] for lab in labels]).astype(np.float32)

    def bank_margins(
        self, results: list[Result], scores: np.ndarray | None = None, top: int = BANK_TOP
    ) -> np.ndarray:
        """The zero-shot margin of each result (see :mod:`photosearch.search.line`)."""
        if not results:
            return np.zeros(0)
        labels = [r.label for r in results]
        ids, vecs = self.catalog.embeddings_by_ids(labels, self.runtime.dim)
        by_id = {int(i): v for i, v in zip(ids.tolist(), vecs, strict=True)}
        keep = [i for i, r in enumerate(results) if r.label in by_id]
        out = np.full(len(results), -np.inf)
        if keep:
            caps = self._caption_vectors()
            x = fusion_mod.normalize(np.stack([by_id[results[i].label] for i in keep]).astype(np.float32))
            q = np.array([results[i].score if scores is None else scores[i] for i in keep])
            out[keep] = bank_margin(q, x @ caps.T, top)
        return out

    def judge(
        self,
        results: list[Result],
        scorer: Scorer,
        kind: str,
        *,
        strictness: int = DEFAULT_STRICTNESS,
        always: set[int] | None = None,
    ) -> None:
        """Mark ``results`` (ranked by anything, e.g. a steered query) by how ``scorer`` — the query the person
        gave — scores them; labels in ``always`` pass (photos the person marked as good)."""
        vecs = self.vectors_in_order([r.label for r in results])
        original = [r.score for r in results]
        if vecs is not None:
            for r, s in zip(results, scorer.score(fusion_mod.normalize(vecs)).tolist(), strict=True):
                r.score = float(s)
        self._apply_cutoff(results, scorer, kind, True, strictness)
        for r, s in zip(results, original, strict=True):
            r.score = s
            if always and r.label in always:
                r.passed = True

    def line_info(self, kind: str, strictness: int = DEFAULT_STRICTNESS, use: bool = True) -> dict[str, Any]:
        """The line as a response reports it (``calibrated`` False: the model has no calibration yet)."""
        threshold, source = self.line_and_source(kind, strictness)
        rule = (
            "z = (score - the best everyday caption's score for the photo) / the captions' spread"
            if kind == "text"
            else "z = (score - median) / (1.4826 MAD) of the query's scores over a library sample"
            + ("" if kind == "composed" else "; a copy of the reference (score >= 0.95) always passes")
        )
        return {
            "rule": rule
            + "; passed when z >= threshold"
            + ("" if np.isfinite(threshold) else " (no line: uncalibrated)"),
            "threshold": float(threshold) if np.isfinite(threshold) else None,
            "strictness": int(strictness),
            "calibrated": source is not LineSource.UNCALIBRATED,
            "calibration": source.value,
            "applied": use,
        }

    def _apply_cutoff(
        self,
        results: list[Result],
        scorer: Scorer,
        kind: str,
        use: bool = True,
        strictness: int = DEFAULT_STRICTNESS,
    ) -> QueryStats:
        """Mark each result ``passed`` (the one definition of a good match, see :mod:`photosearch.search.line`);
        ``z`` holds the value compared with the line (text: the zero-shot margin; photos: the z-value)."""
        threshold, _ = self.line(kind, strictness)
        if kind == "text":
            margins = self.bank_margins(results)
            for r, m in zip(results, margins, strict=True):
                r.z = float(m)
                r.passed = (not use) or bool(m >= threshold)
            return QueryStats(0.0, 1.0, len(self._caption_vectors()))
        if kind == "composed" and len(scorer.queries) >= 2:
            return self._apply_composed(results, scorer, use, strictness)
        stats = self.query_stats(scorer)
        copies = kind in ("image", "similar", "several")
        for r in results:
            r.z = float(stats.z(r.score))
            r.passed = (not use) or r.z >= threshold or (copies and r.score >= NEAR_COPY)
        return stats

    def _apply_composed(
        self, results: list[Result], scorer: Scorer, use: bool, strictness: int
    ) -> QueryStats:
        """A photo changed by words: the words must describe the result (the text line, on the words alone)
        and the result must still look like the reference (its z over the library, against the composed line).
        ``z`` holds the words' margin."""
        v, t = scorer.queries[0], scorer.queries[1]
        text_line, _ = self.line("text", strictness)
        image_line, _ = self.line("composed", strictness)
        stats = self.query_stats(cosine_scorer(v))
        if not results:
            return stats
        vecs = self.vectors_in_order([r.label for r in results])
        if vecs is None:  # a row vanished meanwhile: judge by the fused score alone
            for r in results:
                r.z, r.passed = None, not use
            return stats
        x = fusion_mod.normalize(vecs)
        margins = self.bank_margins(results, x @ t)
        z_img = stats.z(x @ v)
        for r, m, zi in zip(results, margins, np.atleast_1d(z_img), strict=True):
            r.z = float(m)
            r.passed = (not use) or bool(m >= text_line and zi >= image_line)
        return stats
