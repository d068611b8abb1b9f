"""Search: text, image and image+text queries → candidates (ANN + the unsaved delta) → exact re-score
from stored embeddings → filters → results.

The engine takes its collaborators (catalog, model runtime, vector index) in the constructor.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photosearch.errors import QueryError, UnreadableImage
from photosearch.models.encoders import ModelRuntime
from photosearch.search import fusion as fusion_mod
from photosearch.search.query import Term, parse_query
from photosearch.store.catalog import Catalog, FileRow
from photosearch.store.vectors import VectorIndex, exact_search

log = logging.getLogger(__name__)


@dataclass
class Result:
    rank: int
    path: str
    score: float
    file: FileRow
    label: int
    passed: bool = True

    def to_json(self) -> dict[str, Any]:
        f = self.file
        return {"rank": self.rank, "path": self.path, "score": round(float(self.score), 6), "passed": self.passed,
                "width": f.width, "height": f.height, "taken_at": f.taken_at, "size": f.size, "format": f.format}


@dataclass
class Filters:
    """Which files may appear. ``None`` fields don't filter."""

    folder: str | None = None  # a folder subtree
    date_from: float | None = None
    date_to: float | None = None
    formats: tuple[str, ...] | None = None
    orientation: str | None = None  # "landscape" | "portrait" | "square"

    def active(self) -> bool:
        return any(v is not None for v in (self.folder, self.date_from, self.date_to, self.formats, self.orientation))

    def accepts(self, f: FileRow) -> bool:
        if self.folder is not None:
            root = os.path.normpath(self.folder)
            if not (f.path == root or f.path.startswith(root.rstrip(os.sep) + os.sep)):
                return False
        if self.date_from is not None and (f.taken_at is None or f.taken_at < self.date_from):
            return False
        if self.date_to is not None and (f.taken_at is None or f.taken_at > self.date_to):
            return False
        if self.formats is not None and (f.format or "") not in self.formats:
            return False
        if self.orientation is not None:
            if not f.width or not f.height:
                return False
            o = "square" if f.width == f.height else ("landscape" if f.width > f.height else "portrait")
            if o != self.orientation:
                return False
        return True


@dataclass
class SearchResponse:
    results: list[Result]
    kind: str  # "text" | "image" | "composed" | "similar"
    library_size: int
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def no_good_matches(self) -> bool:
        return bool(self.results) and not any(r.passed for r in self.results)


class SearchEngine:
    def __init__(self, catalog: Catalog, runtime: ModelRuntime, index: VectorIndex) -> None:
        self.catalog = catalog
        self.runtime = runtime
        self.index = index
        self._text_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._delta_ids = np.zeros(0, np.int64)
        self._delta_vecs = np.zeros((0, runtime.dim), np.float32)

    # -- encoding -----------------------------------------------------------------------------------
    def encode_text(self, text: str) -> np.ndarray:
        with self._lock:
            hit = self._text_cache.get(text)
            if hit is not None:
                self._text_cache.move_to_end(text)
                return hit
        vec = self.runtime.text.encode([text])[0]
        with self._lock:
            self._text_cache[text] = vec
            while len(self._text_cache) > 256:
                self._text_cache.popitem(last=False)
        return vec

    def encode_terms(self, terms: list[Term]) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        """(positive query vector, [(weight, vector)] of negative terms)."""
        pos = [t for t in terms if not t.negative]
        neg = [t for t in terms if t.negative]
        vecs = self.runtime.text.encode([t.text for t in pos + neg])
        q = fusion_mod.normalize(sum(t.weight * v for t, v in zip(pos, vecs[: len(pos)], strict=True)))
        return q, [(t.weight, v) for t, v in zip(neg, vecs[len(pos):], strict=True)]

    def image_vector(self, image: str | Path | Image.Image) -> tuple[np.ndarray, int | None]:
        """(embedding, label in the library or None). Library photos use their stored embedding."""
        if isinstance(image, Image.Image):
            return self.runtime.image.encode_images([image.convert("RGB")])[0], None
        path = os.path.normpath(os.path.abspath(str(image)))
        label = self.catalog.label_for_file(path, self.runtime.id)
        if label is not None:
            f = self.catalog.file_by_path(path)
            if f is not None and _unchanged_on_disk(f):
                _, vecs = self.catalog.embeddings_by_ids([label], self.runtime.dim)
                if len(vecs):
                    return vecs[0], label
        if not os.path.exists(path):
            raise QueryError(f"no such image: {path}")
        try:
            vec = self.runtime.image.encode_paths([path], exact=True)[0]
        except UnreadableImage as e:
            raise QueryError(f"can't use {path} as the reference: {e.reason}") from e
        from photosearch.library.scan import content_hash

        try:
            label = self.catalog.embedding_id(content_hash(path), self.runtime.id)
        except OSError:
            label = None
        return vec, label

    # -- candidates ---------------------------------------------------------------------------------
    def _refresh_delta(self) -> None:
        """Rows committed after the in-memory index (a reader's view of a writer's progress)."""
        after = self.index.high_water
        ids, vecs = self.catalog.embeddings(self.runtime.id, after_id=after, dim=self.runtime.dim)
        self._delta_ids, self._delta_vecs = ids, vecs

    def knn(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Union of ANN and exact-delta neighbours for each query row → (labels, scores) per row."""
        self._refresh_delta()
        labels, scores = self.index.search(queries, k)
        if len(self._delta_ids):
            dl, ds = exact_search(queries, self._delta_ids, self._delta_vecs, k)
            labels = np.concatenate([labels, dl], axis=1)
            scores = np.concatenate([scores, ds], axis=1)
            order = np.argsort(-scores, axis=1)[:, :k]
            labels = np.take_along_axis(labels, order, axis=1)
            scores = np.take_along_axis(scores, order, axis=1)
        return labels, scores

    def vectors_for(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids, vecs = self.catalog.embeddings_by_ids([int(x) for x in labels], self.runtime.dim)
        return ids, vecs

    def _files(self, scored: list[tuple[int, float]], k: int, filters: Filters | None,
               exclude: set[int] | None = None) -> list[Result]:
        best = dict(scored)
        rows = self.catalog.visible_files_for_labels(list(best))
        out: list[Result] = []
        for label, f in rows:
            if exclude and label in exclude:
                continue
            if filters is not None and not filters.accepts(f):
                continue
            out.append(Result(0, f.path, best[label], f, label))
        out.sort(key=lambda r: (-r.score, r.path))
        out = out[:k]
        for i, r in enumerate(out, 1):
            r.rank = i
        return out

    def _search_vector(self, q: np.ndarray, k: int, filters: Filters | None, exclude: set[int] | None,
                       rescore: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                       extra_queries: np.ndarray | None = None) -> list[Result]:
        """Grow the candidate pool until k visible, filter-passing results or the library is exhausted."""
        total = max(1, self.index.stored + len(self._delta_ids))
        pool = max(k * 3, 32) if rescore is None else max(k * 10, 200)
        while True:
            queries = np.atleast_2d(q) if extra_queries is None else np.vstack([np.atleast_2d(q), extra_queries])
            labels, scores = self.knn(queries, pool)
            if rescore is None:
                pairs = {int(lab): float(s) for lab, s in zip(labels[0], scores[0], strict=True)}
            else:
                cand = np.unique(labels.ravel())
                ids, vecs = self.vectors_for(cand)
                pairs = dict(zip((int(x) for x in ids), (float(s) for s in rescore(ids, vecs)), strict=True))
            results = self._files(list(pairs.items()), k, filters, exclude)
            if len(results) >= k or pool >= total:
                return results
            pool = min(total, pool * 4)

    # -- public queries -------------------------------------------------------------------------------
    def search_text(self, text: str, k: int = 20, filters: Filters | None = None) -> SearchResponse:
        terms = parse_query(text)
        if not terms:
            raise QueryError("type what you are looking for")
        if len(terms) == 1 and not terms[0].negative and terms[0].weight == 1.0:
            q = self.encode_text(terms[0].text)
            results = self._search_vector(q, k, filters, None)
            return SearchResponse(results, "text", self.catalog.visible_count())
        q, negatives = self.encode_terms(terms)
        rescore = None
        if negatives:
            def rescore(_ids: np.ndarray, vecs: np.ndarray) -> np.ndarray:
                s = vecs @ q
                for w, nv in negatives:
                    s = s - w * (vecs @ nv)
                return s
        results = self._search_vector(q, k, filters, None, rescore=rescore)
        return SearchResponse(results, "text", self.catalog.visible_count(), extra={"terms": [t.__dict__ for t in terms]})

    def search_image(self, image: str | Path | Image.Image, k: int = 20, filters: Filters | None = None,
                     exclude_self: bool = False) -> SearchResponse:
        v, label = self.image_vector(image)
        exclude = {label} if (exclude_self and label is not None) else None
        results = self._search_vector(v, k, filters, exclude)
        return SearchResponse(results, "similar" if exclude_self else "image", self.catalog.visible_count())

    def search_composed(self, image: str | Path | Image.Image, text: str, k: int = 20, *,
                        weight: float = fusion_mod.DEFAULT_WEIGHT, fusion: str = fusion_mod.DEFAULT_FUSION,
                        filters: Filters | None = None) -> SearchResponse:
        if not text.strip():
            return self.search_image(image, k, filters)
        if fusion not in fusion_mod.FUSIONS:
            raise QueryError(f"unknown fusion {fusion!r}; choose one of {', '.join(fusion_mod.FUSIONS)}")
        if not 0.0 <= weight <= 1.0:
            raise QueryError("the image/text balance must be between 0 and 1")
        v, label = self.image_vector(image)
        t = self.encode_text(text.strip())
        exclude = {label} if label is not None else set()
        qs = fusion_mod.query_vectors(v, t, weight, fusion)

        def rescore(_ids: np.ndarray, vecs: np.ndarray) -> np.ndarray:
            return fusion_mod.score(v, t, vecs, weight, fusion)

        results = self._search_vector(qs[0], k, filters, exclude, rescore=rescore, extra_queries=qs[1:])
        return SearchResponse(results, "composed", self.catalog.visible_count(),
                              extra={"weight": weight, "fusion": fusion})


def _unchanged_on_disk(f: FileRow) -> bool:
    try:
        st = os.stat(f.path)
    except OSError:
        return False
    return st.st_size == f.size and st.st_mtime_ns == f.mtime_ns


def browse(catalog: Catalog, offset: int = 0, limit: int = 200, filters: Filters | None = None) -> SearchResponse:
    """The library by date (newest first), one page: what an empty query shows. Needs no model.
    ``extra`` holds ``total`` (files matching the filters) and ``offset``."""
    f = filters or Filters()
    rows, total = catalog.browse_visible(offset, limit, folder=f.folder, date_from=f.date_from,
                                         date_to=f.date_to, formats=f.formats, orientation=f.orientation)
    results = [Result(offset + i + 1, r.path, 0.0, r, -1) for i, r in enumerate(rows)]
    return SearchResponse(results, "browse", catalog.visible_count(), extra={"total": total, "offset": offset})
