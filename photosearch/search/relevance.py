"""The engine's relevance cut-off: a fixed random sample of the library, each query's scores over it (or,
for text, everyday captions' scores), and the z-value that marks each result ``passed``; plus the
``Scorer`` every query becomes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from photosearch.models.encoders import ModelRuntime
from photosearch.search import fusion as fusion_mod
from photosearch.search.cutoff import BACKGROUND_CAPTIONS, Background, CutoffRule, QueryStats, load_rule
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
    """The cut-off part of ``SearchEngine`` (its attributes are set by the engine's constructor)."""

    catalog: Catalog
    runtime: ModelRuntime
    background_size: int
    _lock: threading.Lock
    _cutoff: CutoffRule | None
    _background: Background | None
    _background_count: int
    _text_bg: tuple[int, QueryStats] | None
    _counts: dict[str, tuple[tuple[int, int], int]]

    @property
    def cutoff(self) -> CutoffRule:
        if self._cutoff is None:
            self._cutoff = load_rule(self.catalog, self.runtime.id)
        return self._cutoff

    @cutoff.setter
    def cutoff(self, rule: CutoffRule) -> None:
        self._cutoff = rule

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

    def text_background(self) -> QueryStats:
        """Mean and spread of everyday captions' scores over the library sample (the per-model
        background text queries are measured against); computed once per engine."""
        with self._lock:
            hit = self._text_bg
        bg = self.background()
        if hit is not None and hit[0] == len(bg):
            return hit[1]
        caps = self._caption_vectors()
        scores = (bg.vecs @ caps.T).ravel() if len(bg) else np.zeros(0, np.float32)
        s = np.asarray(scores, dtype=np.float64)
        stats = (
            QueryStats(float(s.mean()), float(max(s.std(), 1e-6)), len(s)) if len(s) else QueryStats(0, 1, 0)
        )
        with self._lock:
            self._text_bg = (len(bg), stats)
        return stats

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

    def _apply_cutoff(self, results: list[Result], scorer: Scorer, kind: str, use: bool = True) -> QueryStats:
        stats = self.text_background() if kind == "text" else self.query_stats(scorer)
        rule_kind = "image" if kind == "similar" else kind
        for r in results:
            r.z = float(stats.z(r.score))
            r.passed = (not use) or self.cutoff.passes(rule_kind, r.z)
        return stats
