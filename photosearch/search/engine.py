"""Search: text, image and image+text queries → candidates (ANN + the unsaved delta) → exact re-score
from stored embeddings → filters → relevance cutoff → results.

Every query becomes a *scorer*: the vectors whose ANN neighbours form the candidate pool, an exact
scoring function over stored embeddings, and (when one exists) an upper bound on the score of any photo
outside the pool. The pool grows until the k-th best re-scored candidate beats that bound — so growing
the pool further could not change the top k — or until the library is exhausted.

* Text: ``beach + 0.5:sunset - people`` (see :mod:`photosearch.search.query`). Positive terms are a
  weighted mean; negative terms are subtracted: score = x·normalize(q − Σ wᵢ nᵢ), itself an inner
  product, so ANN search on that one vector is exact.
* Image ("more like this", ``similar``): cosine to the photo's stored embedding.
* Composed (reference photo + change text): see :mod:`photosearch.search.fusion`. The reference photo
  and its exact duplicates (same content, or an identical embedding) are left out.
* Filters (folder subtree, date taken, file type, orientation) are resolved to the set of allowed photos
  first; a small set is searched exhaustively, a large one through hnswlib's filter callback, so a
  narrow filter never starves the results.
* Cutoff: each result is marked ``passed`` by :mod:`photosearch.search.cutoff` (z-value of its score
  against the query's own scores over a random sample of the library); ``no_good_matches`` when none
  passes.

The engine takes its collaborators (catalog, model runtime, vector index) in the constructor.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photosearch.errors import QueryError, UnreadableImage
from photosearch.models.encoders import ImageEncoder, ModelRuntime
from photosearch.search import fusion as fusion_mod
from photosearch.search.cutoff import CutoffRule
from photosearch.search.line import DEFAULT_STRICTNESS
from photosearch.search.query import Term, parse_query
from photosearch.search.relevance import RelevanceCutoff, Scorer, cosine_scorer
from photosearch.search.results import Filters, Result, SearchResponse
from photosearch.store.catalog import Catalog, FileRow
from photosearch.store.vectors import VectorIndex, exact_search

log = logging.getLogger(__name__)

#: Filters allowing at most this many photos are searched exhaustively (exact, no ANN).
EXACT_FILTER_MAX = 4096
#: Embeddings this close to the reference count as the same picture (left out of composed/similar results).
SAME_PICTURE = 1.0 - 1e-5
#: How many composed-query references' views are kept (:meth:`SearchEngine.reference_views`).
VIEWS_CACHE = 16


class SearchEngine(RelevanceCutoff):
    def __init__(
        self,
        catalog: Catalog,
        runtime: ModelRuntime,
        index: VectorIndex,
        *,
        cutoff: CutoffRule | None = None,
        background_size: int | None = None,
    ) -> None:
        self._init_relevance(catalog, runtime, cutoff, background_size)
        self.index = index
        self._text_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._views_cache: OrderedDict[tuple[Any, ...], np.ndarray | None] = OrderedDict()
        self._delta_ids = np.zeros(0, np.int64)
        self._delta_vecs = np.zeros((0, runtime.dim), np.float32)
        self.last_pool = 0  # size of the candidate pool the last query settled on (for tests/benchmarks)

    # -- encoding -----------------------------------------------------------------------------------
    def encode_text(self, text: str) -> np.ndarray:
        from photosearch.models.tokenize import query_language

        key = f"{query_language()}\x00{text}"  # NLLB models prefix the query language's code
        with self._lock:
            hit = self._text_cache.get(key)
            if hit is not None:
                self._text_cache.move_to_end(key)
                return hit
        vec = self.runtime.text.encode([text])[0]
        with self._lock:
            self._text_cache[key] = vec
            while len(self._text_cache) > 256:
                self._text_cache.popitem(last=False)
        return vec

    def encode_terms(self, terms: list[Term]) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        """(positive query vector, [(weight, vector)] of negative terms)."""
        pos = [t for t in terms if not t.negative]
        neg = [t for t in terms if t.negative]
        vecs = [self.encode_text(t.text) for t in pos + neg]
        q = fusion_mod.normalize(
            np.sum([t.weight * v for t, v in zip(pos, vecs[: len(pos)], strict=True)], axis=0)
        )
        return q, [(t.weight, v) for t, v in zip(neg, vecs[len(pos) :], strict=True)]

    def text_vector(self, text: str) -> np.ndarray:
        """The single vector a text query (with weights and negative terms) searches for."""
        terms = parse_query(text)
        if not terms:
            raise QueryError("type what you are looking for")
        q, negatives = self.encode_terms(terms)
        u = q - sum((w * fusion_mod.normalize(nv) for w, nv in negatives), np.zeros_like(q))
        if float(np.linalg.norm(u)) < 1e-6:
            raise QueryError("the things to avoid cancel out what to look for")
        return fusion_mod.normalize(u).astype(np.float32)

    def image_encoder(self) -> ImageEncoder:
        """The image tower as it embedded this library (catalog meta; ``ModelRuntime.use_library_variant``):
        every photo a query encodes goes through it, so its vector is comparable with the index's."""
        from photosearch.models.variants import CATALOG_KEY

        self.runtime.use_library_variant(self.catalog.get_meta(CATALOG_KEY + self.runtime.id))
        return self.runtime.image

    def image_vector(self, image: str | Path | Image.Image) -> tuple[np.ndarray, int | None]:
        """(embedding, label in the library or None). Library photos use their stored embedding."""
        if isinstance(image, Image.Image):
            return self.image_encoder().encode_images([image.convert("RGB")])[0], None
        path = os.path.normpath(os.path.abspath(str(image)))
        # A name that is not UTF-8 (a Latin-1 'caf\xe9.jpg') cannot be a catalog key: the scan stores such a
        # file only as a skipped row under its escaped name, never as a photo. It is encoded from the file.
        label = self.catalog.label_for_file(path, self.runtime.id) if _catalog_key(path) else None
        if label is not None:
            f = self.catalog.file_by_path(path)
            if f is not None and _unchanged_on_disk(f):
                _, vecs = self.catalog.embeddings_by_ids([label], self.runtime.dim)
                if len(vecs):
                    return vecs[0], label
        if not os.path.exists(path):
            raise QueryError(f"no such image: {path}")
        try:
            vec = self.image_encoder().encode_paths([path], exact=True)[0]
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

    def knn(
        self, queries: np.ndarray, k: int, allowed: set[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Union of ANN and exact-delta neighbours for each query row → (labels, scores) per row,
        best first. ``allowed``: only these labels (hnswlib's filter callback)."""
        self._refresh_delta()
        queries = np.atleast_2d(queries)
        if allowed is None:
            labels, scores = self.index.search(queries, k)
        else:
            rows = [self.index.search(q, k, filter=allowed.__contains__) for q in queries]
            width = min((r[0].shape[1] for r in rows), default=0)
            labels = np.vstack([r[0][:, :width] for r in rows]) if rows else np.zeros((0, 0), np.int64)
            scores = np.vstack([r[1][:, :width] for r in rows]) if rows else np.zeros((0, 0), np.float32)
        d_ids, d_vecs = self._delta_ids, self._delta_vecs
        if allowed is not None and len(d_ids):
            keep = np.fromiter((int(x) in allowed for x in d_ids), bool, count=len(d_ids))
            d_ids, d_vecs = d_ids[keep], d_vecs[keep]
        if len(d_ids):
            dl, ds = exact_search(queries, d_ids, d_vecs, k)
            labels = np.concatenate([labels.reshape(len(queries), -1), dl], axis=1)
            scores = np.concatenate([scores.reshape(len(queries), -1), ds], axis=1)
            order = np.argsort(-scores, axis=1)[:, :k]
            labels = np.take_along_axis(labels, order, axis=1)
            scores = np.take_along_axis(scores, order, axis=1)
        return labels, scores

    def vectors_for(self, labels: np.ndarray | list[int]) -> tuple[np.ndarray, np.ndarray]:
        ids, vecs = self.catalog.embeddings_by_ids([int(x) for x in labels], self.runtime.dim)
        return ids, vecs

    def _files(
        self, scored: dict[int, float], k: int, filters: Filters | None, exclude: set[int] | None = None
    ) -> list[Result]:
        rows = self.catalog.visible_files_for_labels(list(scored))
        out: list[Result] = []
        for label, f in rows:
            if exclude and label in exclude:
                continue
            if filters is not None and not filters.accepts(f):
                continue
            out.append(Result(0, f.path, scored[label], f, label))
        out.sort(key=lambda r: (-r.score, r.path))
        out = out[:k]
        for i, r in enumerate(out, 1):
            r.rank = i
        return out

    def _allowed(self, filters: Filters | None) -> np.ndarray | None:
        """The labels ``filters`` allow (None: every one); folders not there now are left out here too, so
        their photos never fill the candidate pool."""
        if filters is None or not (filters.active() or filters.hidden_roots):
            return None
        return self.catalog.visible_labels(
            self.runtime.id,
            folder=filters.folder,
            date_from=filters.date_from,
            date_to=filters.date_to,
            formats=filters.formats,
            orientation=filters.orientation,
            hidden_roots=sorted(filters.hidden_roots),
        )

    def run(
        self,
        scorer: Scorer,
        k: int,
        filters: Filters | None = None,
        exclude: set[int] | None = None,
        *,
        pool: int | None = None,
        same_as: np.ndarray | None = None,
    ) -> list[Result]:
        """Top-k results for ``scorer``: grow the candidate pool until the top k can't change (or the
        library is exhausted) and k visible, filter-passing results exist.

        ``pool``: the starting pool size per query vector; ``same_as``: leave out photos whose embedding
        is identical to this one (the reference of a similar/composed query).
        """
        exclude = set(exclude or ())
        allowed = self._allowed(filters)
        self._refresh_delta()
        total = max(1, self.index.stored + len(self._delta_ids))

        def drop_same(ids: np.ndarray, vecs: np.ndarray) -> None:
            if same_as is not None and len(ids):
                for lab in ids[vecs @ same_as >= SAME_PICTURE]:
                    exclude.add(int(lab))

        if allowed is not None and len(allowed) <= EXACT_FILTER_MAX:
            # a narrow filter: score every allowed photo exactly
            ids, vecs = self.vectors_for(allowed)
            drop_same(ids, vecs)
            scores = scorer.score(vecs) if len(ids) else np.zeros(0, np.float32)
            self.last_pool = len(ids)
            return self._files(dict(zip(ids.tolist(), scores.tolist(), strict=True)), k, filters, exclude)

        allowed_set = None if allowed is None else set(allowed.tolist())
        size = pool or max(4 * k, 64)
        while True:
            size = min(size, total)
            labels, scores = self.knn(scorer.queries, size, allowed_set)
            cand = np.unique(labels.ravel())
            ids, vecs = self.vectors_for(cand)
            drop_same(ids, vecs)
            exact = scorer.score(vecs) if len(ids) else np.zeros(0, np.float32)
            results = self._files(dict(zip(ids.tolist(), exact.tolist(), strict=True)), k, filters, exclude)
            self.last_pool = size
            if size >= total:
                return results
            if len(results) >= k:
                if scorer.bound is None:
                    return results
                short = labels.shape[1] < size  # a row came back short: its neighbours are all in the pool
                last = scores[:, -1] if scores.shape[1] else np.full(len(scorer.queries), -np.inf)
                if short or results[k - 1].score >= scorer.bound(last):
                    return results
            size *= 4

    # -- public queries -------------------------------------------------------------------------------
    def search_text(
        self,
        text: str,
        k: int = 20,
        filters: Filters | None = None,
        *,
        cutoff: bool = True,
        strictness: int = DEFAULT_STRICTNESS,
    ) -> SearchResponse:
        """Text search; ``text`` may weight terms and exclude some: ``beach + 0.5:sunset - people``."""
        terms = parse_query(text)
        if not terms:
            raise QueryError("type what you are looking for")
        scorer = cosine_scorer(self.text_vector(text))
        results = self.run(scorer, k, filters)
        return self._respond(
            results, scorer, "text", cutoff, text, {"terms": [t.__dict__ for t in terms]}, strictness
        )

    def search_vector(
        self,
        q: np.ndarray,
        k: int = 20,
        filters: Filters | None = None,
        *,
        kind: str = "text",
        exclude: set[int] | None = None,
        cutoff: bool = True,
        strictness: int = DEFAULT_STRICTNESS,
        what: str = "the query",
    ) -> SearchResponse:
        """Search for an embedding-space vector directly (benchmarks, "more like these" from a mean); ``what``
        names it in "Nothing close to …"."""
        scorer = cosine_scorer(q)
        results = self.run(scorer, k, filters, exclude)
        return self._respond(results, scorer, kind, cutoff, what, {}, strictness)

    def search_image(
        self,
        image: str | Path | Image.Image,
        k: int = 20,
        filters: Filters | None = None,
        exclude_self: bool = False,
        *,
        cutoff: bool = True,
        strictness: int = DEFAULT_STRICTNESS,
    ) -> SearchResponse:
        v, label = self.image_vector(image)
        v = fusion_mod.normalize(np.asarray(v, dtype=np.float32))
        exclude = {label} if (exclude_self and label is not None) else None
        scorer = cosine_scorer(v)
        results = self.run(scorer, k, filters, exclude, same_as=v if exclude_self else None)
        kind = "similar" if exclude_self else "image"
        return self._respond(
            results,
            scorer,
            kind,
            cutoff,
            str(image) if not isinstance(image, Image.Image) else "the image",
            {},
            strictness,
        )

    def composed_scorer(
        self, v: np.ndarray, t: np.ndarray, weight: float, fusion: str, views: np.ndarray | None = None
    ) -> Scorer:
        qs = fusion_mod.query_vectors(v, t, weight, fusion, views)
        vn, tn = fusion_mod.normalize(v), qs[1]

        def score(vecs: np.ndarray) -> np.ndarray:
            return fusion_mod.score(vn, tn, vecs, weight, fusion, views)

        def bound(last: np.ndarray) -> float:
            return fusion_mod.bound(last, weight, fusion)

        return Scorer(qs, score, bound)

    def search_composed(
        self,
        image: str | Path | Image.Image,
        text: str,
        k: int = 20,
        *,
        weight: float = fusion_mod.DEFAULT_WEIGHT,
        fusion: str = fusion_mod.DEFAULT_FUSION,
        filters: Filters | None = None,
        pool: int | None = None,
        cutoff: bool = True,
        strictness: int = DEFAULT_STRICTNESS,
    ) -> SearchResponse:
        """Photos like ``image`` but changed as ``text`` says. ``weight`` is the image↔text balance
        (0 = image only, 1 = text only); ``fusion`` one of product (default), slerp, sum."""
        if not text.strip():
            return self.search_image(
                image, k, filters, exclude_self=True, cutoff=cutoff, strictness=strictness
            )
        if fusion not in fusion_mod.FUSIONS:
            raise QueryError(f"unknown fusion {fusion!r}; choose one of {', '.join(fusion_mod.FUSIONS)}")
        if not 0.0 <= weight <= 1.0:
            raise QueryError("the image/text balance must be between 0 and 1")
        v, label = self.image_vector(image)
        return self.search_composed_vector(
            v,
            text,
            k,
            weight=weight,
            fusion=fusion,
            filters=filters,
            pool=pool,
            cutoff=cutoff,
            exclude={label} if label is not None else set(),
            strictness=strictness,
            views=self.reference_views(image),
        )

    def reference_views(self, image: str | Path | Image.Image) -> np.ndarray | None:
        """:func:`fusion.views` of a composed query's reference; a file's are kept for the next queries with it
        (the image/text balance moved, other words, more results) until the file changes."""
        encoder = self.image_encoder()
        if isinstance(image, Image.Image):
            return fusion_mod.views(encoder, image)
        path = os.path.normpath(os.path.abspath(str(image)))
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = (self.runtime.id, encoder.path.name, path, st.st_size, st.st_mtime_ns)
        with self._lock:
            if key in self._views_cache:
                self._views_cache.move_to_end(key)
                return self._views_cache[key]
        vv = fusion_mod.views(encoder, path)
        with self._lock:
            self._views_cache[key] = vv
            while len(self._views_cache) > VIEWS_CACHE:
                self._views_cache.popitem(last=False)
        return vv

    def search_composed_vector(
        self,
        v: np.ndarray,
        text: str,
        k: int = 20,
        *,
        weight: float = fusion_mod.DEFAULT_WEIGHT,
        fusion: str = fusion_mod.DEFAULT_FUSION,
        filters: Filters | None = None,
        pool: int | None = None,
        cutoff: bool = True,
        exclude: set[int] | None = None,
        strictness: int = DEFAULT_STRICTNESS,
        extra: dict[str, Any] | None = None,
        views: np.ndarray | None = None,
    ) -> SearchResponse:
        """A composed query from a reference *vector* (one photo's, or what several photos share); ``views``:
        the reference photo's views' vectors (:func:`fusion.views`)."""
        if fusion not in fusion_mod.FUSIONS:
            raise QueryError(f"unknown fusion {fusion!r}; choose one of {', '.join(fusion_mod.FUSIONS)}")
        if not 0.0 <= weight <= 1.0:
            raise QueryError("the image/text balance must be between 0 and 1")
        v = fusion_mod.normalize(np.asarray(v, dtype=np.float32))
        t = self.text_vector(text.strip())
        scorer = self.composed_scorer(v, t, weight, fusion, views)
        results = self.run(scorer, k, filters, set(exclude or ()), pool=pool, same_as=v)
        return self._respond(
            results,
            scorer,
            "composed",
            cutoff,
            text.strip(),
            {**(extra or {}), "weight": weight, "fusion": fusion, "pool": self.last_pool},
            strictness,
        )

    def _respond(
        self,
        results: list[Result],
        scorer: Scorer,
        kind: str,
        use_cutoff: bool,
        what: str,
        extra: dict[str, Any],
        strictness: int = DEFAULT_STRICTNESS,
    ) -> SearchResponse:
        stats = self._apply_cutoff(results, scorer, kind, use_cutoff, strictness)
        n = self._cached_count("visible", self.catalog.visible_count)
        info = self.line_info(kind, strictness, use_cutoff)
        extra = {**extra, "cutoff": {**info, "median": stats.centre, "scale": stats.scale, "sample": stats.n}}
        resp = SearchResponse(results, kind, n, extra=extra)
        if resp.no_good_matches:
            resp.message = f"Nothing close to {what!r} in {n:,} photos"
        return resp


def _unchanged_on_disk(f: FileRow) -> bool:
    try:
        st = os.stat(f.path)
    except OSError:
        return False
    return st.st_size == f.size and st.st_mtime_ns == f.mtime_ns


def _catalog_key(path: str) -> bool:
    """Whether ``path`` can be a photo's path in the catalog (which stores text: a name whose bytes are not
    UTF-8 decodes to lone surrogates, and the scan never files such a name as a photo)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
