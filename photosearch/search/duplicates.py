"""Near-duplicate photos: exact copies, resized, re-encoded and slightly cropped versions.

No all-pairs scan: every photo asks the vector index for its few nearest neighbours (``k``); a pair is
a candidate when its embeddings are close (cosine ≥ ``threshold``) and their 64-bit perceptual hashes
(DCT hash of a 32×32 grey version) differ in at most ``max_distance`` bits (a cheap pre-filter), and it
is confirmed when the pixels agree: the mean absolute RGB difference of small versions, minimised over
the slight crops one could be of the other, is at most ``pixel_max`` (copies measure 0–5 of 255,
another shot of the same scene 6 and far more). Confirmed pairs are joined into groups with union-find.
Files with the same content are one embedding and always one group.

Embeddings alone can't tell a copy from a look-alike (another shot of the same scene, which a semantic
model is trained to find close), and a perceptual hash alone doesn't survive crops well; the index
proposes, the hash filters, the pixel check decides — only for the few proposed pairs. The hash is
computed while indexing (``files.phash``); a library indexed before that gets it lazily here, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from photosearch.errors import UnreadableImage
from photosearch.library.fingerprint import hamming, phash_file
from photosearch.library.folders import distinct_files
from photosearch.search.duplicate_defaults import DEFAULT_MAX_DISTANCE, DEFAULT_THRESHOLD
from photosearch.store.catalog import FileRow

if TYPE_CHECKING:
    from photosearch.search.engine import SearchEngine

log = logging.getLogger(__name__)

#: the most mean absolute RGB difference (0–255, after the best crop alignment) two copies may show
DEFAULT_PIXEL_MAX = 5.5
DEFAULT_NEIGHBOURS = 8


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class DuplicateGroup:
    files: list[FileRow]
    pairs: list[dict[str, Any]] = field(default_factory=list)  # the evidence: {a, b, cosine, distance}

    @property
    def identical(self) -> bool:
        return len({f.content_hash for f in self.files}) == 1

    def to_json(self) -> dict[str, Any]:
        return {
            "size": len(self.files),
            "identical": self.identical,
            "files": [
                {"path": f.path, "size": f.size, "width": f.width, "height": f.height, "format": f.format}
                for f in self.files
            ],
            "pairs": self.pairs,
        }


def ensure_phashes(
    engine: SearchEngine,
    files: Sequence[FileRow],
    *,
    store: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, int]:
    """{file id: phash} for ``files``, computing (and, with ``store``, recording) missing ones."""
    out: dict[int, int] = {}
    missing = [f for f in files if f.phash is None]
    for f in files:
        if f.phash is not None:
            out[f.id] = int(f.phash)
    for i, f in enumerate(missing, 1):
        try:
            h = phash_file(f.path)
        except (UnreadableImage, OSError) as e:
            log.info("no perceptual hash for %s: %s", f.path, e)
            continue
        out[f.id] = h
        if store:
            engine.catalog.set_file_phash(f.id, h)
        if progress:
            progress(i, len(missing))
    return out


def find_duplicates(
    engine: SearchEngine,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_distance: int = DEFAULT_MAX_DISTANCE,
    k: int = DEFAULT_NEIGHBOURS,
    pixel_max: float | None = DEFAULT_PIXEL_MAX,
    store_hashes: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[DuplicateGroup]:
    """Groups of near-identical photos in the library, largest first.

    ``threshold``: the least embedding cosine for a pair to be considered; ``max_distance``: the most
    perceptual-hash bits two copies may differ in (``max_distance >= 64`` ignores the hash);
    ``pixel_max``: the pixel check's limit (None skips the check).
    """
    cache: dict[int, np.ndarray | None] = {}

    def pix(f: FileRow) -> np.ndarray | None:
        if f.id not in cache:
            try:
                from photosearch.library.imaging import open_image

                cache[f.id] = pixels(open_image(f.path, draft_short_side=2 * PIX_SIDE).image)
            except (UnreadableImage, OSError) as e:
                log.info("no pixel check for %s: %s", f.path, e)
                cache[f.id] = None
        return cache[f.id]

    cat = engine.catalog
    ids, vecs = cat.embeddings(engine.runtime.id, dim=engine.runtime.dim)
    by_label: dict[int, list[FileRow]] = {}
    for label, f in cat.visible_files_for_labels(ids.tolist()):
        by_label.setdefault(label, []).append(f)
    for label, fs in by_label.items():  # one file under two names (hard link, alias) is not two copies
        if len(fs) > 1:
            by_label[label] = distinct_files(fs)
    keep = np.fromiter((int(x) in by_label for x in ids), bool, count=len(ids))
    ids, vecs = ids[keep], vecs[keep]
    files = {f.id: f for fs in by_label.values() for f in fs}
    uf = _UnionFind()
    evidence: list[tuple[int, int, float, int | None]] = []
    for fs in by_label.values():  # same content: one embedding, always duplicates
        for f in fs[1:]:
            uf.union(fs[0].id, f.id)
            evidence.append((fs[0].id, f.id, 1.0, 0))
    if len(ids) > 1:
        hashes = (
            ensure_phashes(engine, list(files.values()), store=store_hashes, progress=progress)
            if max_distance < 64
            else {}
        )
        nn_labels, nn_scores = engine.knn(vecs, min(k + 1, len(ids)))
        seen: set[tuple[int, int]] = set()
        for row, label in enumerate(ids.tolist()):
            for other, s in zip(nn_labels[row].tolist(), nn_scores[row].tolist(), strict=True):
                if other == label or s < threshold or other not in by_label:
                    continue
                key = (min(label, other), max(label, other))
                if key in seen:
                    continue
                seen.add(key)
                a, b = by_label[label][0], by_label[other][0]
                dist = None
                if max_distance < 64:
                    ha, hb = hashes.get(a.id), hashes.get(b.id)
                    if ha is None or hb is None:
                        continue
                    dist = hamming(ha, hb)
                    if dist > max_distance:
                        continue
                if pixel_max is not None:
                    pa, pb = pix(a), pix(b)
                    if pa is None or pb is None or not pixels_match(pa, pb, pixel_max):
                        continue
                uf.union(a.id, b.id)
                evidence.append((a.id, b.id, float(s), dist))
    groups: dict[int, list[FileRow]] = {}
    for fid in list(uf.parent):
        groups.setdefault(uf.find(fid), []).append(files[fid])
    pairs_by_root: dict[int, list[dict[str, Any]]] = {}
    for ida, idb, s, dist in evidence:
        pairs_by_root.setdefault(uf.find(ida), []).append(
            {"a": files[ida].path, "b": files[idb].path, "cosine": round(s, 6), "distance": dist}
        )
    out = [
        DuplicateGroup(sorted(fs, key=lambda f: f.path), pairs_by_root.get(root, []))
        for root, fs in groups.items()
        if len(fs) > 1
    ]
    out.sort(key=lambda g: (-len(g.files), g.files[0].path))
    return out


# -- pixel check ------------------------------------------------------------------------------------

PIX_SIDE = 96  # the side a photo is held at for the pixel check
CMP_SIDE = 32  # the side windows are compared at
CROP_KEEP = (1.0, 0.97, 0.94, 0.91)  # share of the side a slightly cropped copy may keep


def pixels(image: Image.Image) -> np.ndarray:
    """A photo as a PIX_SIDE² RGB array (squashed: a crop's small aspect change doesn't matter)."""
    return np.asarray(image.convert("RGB").resize((PIX_SIDE, PIX_SIDE), Image.Resampling.BOX), dtype=np.uint8)


def _windows(a: np.ndarray) -> list[np.ndarray]:
    """``a`` and its sub-windows a slightly cropped copy could show, each at CMP_SIDE²."""
    img = Image.fromarray(a)
    out = []
    for keep in CROP_KEEP:
        side = keep * PIX_SIDE
        steps = 1 if keep == 1.0 else 3
        for oy in np.linspace(0, PIX_SIDE - side, steps):
            for ox in np.linspace(0, PIX_SIDE - side, steps):
                win = img.resize(
                    (CMP_SIDE, CMP_SIDE),
                    Image.Resampling.BOX,
                    box=(float(ox), float(oy), float(ox + side), float(oy + side)),
                )
                out.append(np.asarray(win, dtype=np.float32))
    return out


def pixels_match(a: np.ndarray, b: np.ndarray, limit: float = DEFAULT_PIXEL_MAX) -> bool:
    """Whether ``pixel_distance(a, b) <= limit``, stopping at the first alignment that is close enough."""
    return pixel_distance(a, b, stop_below=limit) <= limit


def pixel_distance(a: np.ndarray, b: np.ndarray, stop_below: float = -1.0) -> float:
    """Mean absolute RGB difference (0–255) between two photos, minimised over the crops one could be of
    the other: small for copies (resized, re-encoded, slightly cropped), large for another shot."""
    small = {
        k: np.asarray(Image.fromarray(x).resize((CMP_SIDE, CMP_SIDE), Image.Resampling.BOX), np.float32)
        for k, x in (("a", a), ("b", b))
    }
    best = float(np.abs(small["a"] - small["b"]).mean())
    if best <= stop_below or best > 80.0:  # close enough already / far beyond what a slight crop explains
        return best
    for src, other in ((a, small["b"]), (b, small["a"])):
        for w in _windows(src)[1:]:
            best = min(best, float(np.abs(w - other).mean()))
            if best <= stop_below:
                return best
    return best
