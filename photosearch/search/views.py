"""A photo seen in several views — its mirror image, the picture moved by a quarter of its side along each
diagonal, magnified by 4/3 and shrunk to 3/4 (what comes in is the preprocessor's mean colour) — made from its own
preprocessed pixels and encoded in one batch through the image tower (test-time augmentation: no training,
nothing specific to a model or a kind of photo). The views say "this subject, wherever it sits in the frame and
however big": a composed query's reference uses them (:mod:`photosearch.search.fusion`), and so does an album's
fit, whose liked examples count with their views (:mod:`photosearch.search.albums`).

Decoding goes through the preprocessor (:mod:`photosearch.library.imaging`'s safe decode); a file that cannot be
read has no views (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from photosearch.errors import UnreadableImage

if TYPE_CHECKING:
    from photosearch.models.encoders import ImageEncoder

#: The views (:func:`view_tensors`): moved by this fraction of the side along each diagonal, magnified by
#: VIEW_ZOOM_IN, shrunk to VIEW_ZOOM_OUT.
VIEW_SHIFT = 0.25
VIEW_ZOOM_IN = 4 / 3
VIEW_ZOOM_OUT = 0.75
#: How many views a photo has (one batch through the image tower): the mirror, 4 moves, 2 zooms.
N_VIEWS = 7
#: Where each kind of view sits among a photo's :data:`N_VIEWS` (rows of :func:`view_tensors`).
MIRROR = (0,)
MOVES = (1, 2, 3, 4)
ZOOMS = (5, 6)


def moved(t: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``t`` (C, S, S) moved by (dx, dy) pixels; what comes in is 0, the preprocessor's mean colour."""
    out = np.zeros_like(t)
    s = t.shape[-1]
    src_x, dst_x = (slice(0, s - dx), slice(dx, s)) if dx >= 0 else (slice(-dx, s), slice(0, s + dx))
    src_y, dst_y = (slice(0, s - dy), slice(dy, s)) if dy >= 0 else (slice(-dy, s), slice(0, s + dy))
    out[:, dst_y, dst_x] = t[:, src_y, src_x]
    return out


def _resize(t: np.ndarray, n: int) -> np.ndarray:
    return np.stack(
        [np.asarray(Image.fromarray(c, mode="F").resize((n, n), Image.Resampling.BILINEAR)) for c in t]
    )


def zoomed(t: np.ndarray, factor: float) -> np.ndarray:
    """``t`` magnified about its centre (``factor`` > 1: the middle crop enlarged) or shrunk into the middle
    (``factor`` < 1, the border filled with 0, the preprocessor's mean colour)."""
    s = t.shape[-1]
    n = max(1, min(s, int(round(s / factor if factor >= 1 else s * factor))))
    o = (s - n) // 2
    if factor >= 1:
        return _resize(t[:, o : o + n, o : o + n], s)
    out = np.zeros_like(t)
    out[:, o : o + n, o : o + n] = _resize(t, n)
    return out


def view_tensors(t: np.ndarray) -> np.ndarray:
    """The views of one preprocessed image (C, S, S): its mirror image first, then the image moved by
    :data:`VIEW_SHIFT` of its side along each diagonal, magnified by :data:`VIEW_ZOOM_IN` and shrunk to
    :data:`VIEW_ZOOM_OUT` — (:data:`N_VIEWS`, C, S, S)."""
    t = np.asarray(t, dtype=np.float32)
    d = int(round(VIEW_SHIFT * t.shape[-1]))
    out = [t[:, :, ::-1]]
    out += [moved(t, sx * d, sy * d) for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1))]
    out += [zoomed(t, VIEW_ZOOM_IN), zoomed(t, VIEW_ZOOM_OUT)]
    return np.ascontiguousarray(np.stack(out))


def _tensor(encoder: ImageEncoder, image: str | Path | Image.Image) -> np.ndarray | None:
    pre = encoder.preprocessor
    try:
        return pre.to_tensor(image.convert("RGB")) if isinstance(image, Image.Image) else pre.fast(image)
    except (UnreadableImage, OSError):
        return None


def views(encoder: ImageEncoder, image: str | Path | Image.Image) -> np.ndarray | None:
    """The embeddings of ``image``'s views (:func:`view_tensors`: one decode, one batch through the image
    tower), or None when the file cannot be read."""
    return views_of_many(encoder, [image])[0]


def views_of_many(
    encoder: ImageEncoder, images: Sequence[str | Path | Image.Image], which: Sequence[int] | None = None
) -> list[np.ndarray | None]:
    """:func:`views` of several photos, all their views in one batch through the image tower: (views, dim) per
    photo, None for one that cannot be read. ``which``: only these views (rows of :func:`view_tensors`; all
    :data:`N_VIEWS` by default) are encoded."""
    pick = list(range(N_VIEWS)) if which is None else list(which)
    tensors = [_tensor(encoder, im) for im in images]
    ok = [t for t in tensors if t is not None]
    if not ok or not pick:
        return [None if t is None else np.zeros((0, 0), np.float32) for t in tensors]
    dtype = encoder.preprocessor.dtype
    vecs = encoder.encode_tensors(
        np.concatenate([view_tensors(t)[pick].astype(dtype, copy=False) for t in ok])
    )
    out: list[np.ndarray | None] = []
    i = 0
    for t in tensors:
        if t is None:
            out.append(None)
        else:
            out.append(vecs[i : i + len(pick)])
            i += len(pick)
    return out


def mirrored(encoder: ImageEncoder, image: str | Path | Image.Image) -> np.ndarray | None:
    """The embedding of ``image`` mirrored left to right (its preprocessed tensor flipped: one encoder call), or
    None when the file cannot be read."""
    t = _tensor(encoder, image)
    if t is None:
        return None
    return encoder.encode_tensors(np.ascontiguousarray(t[None, :, :, ::-1]))[0]
