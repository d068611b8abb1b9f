"""Manifest-driven image preprocessing: RGB image → model input tensor.

Two paths share one transform:

* **exact** — full decode, then the reference pipeline (resize shortest side with the manifest's
  interpolation, centre crop, rescale, normalise). Used for parity with reference implementations.
* **fast** — the indexing path: JPEGs decoded at reduced size with Pillow ``draft`` (never below
  ``FAST_DRAFT_FACTOR`` × the model's input size), then the same transform. Its drift from the exact
  path is measured by ``benchmarks/bench_preprocess.py`` and a test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from photosearch.library.imaging import Decoded, open_image
from photosearch.models.manifest import VisionSpec

_FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}

# Reduced JPEG decoding keeps the short side at least this multiple of the model input size.
# 1.25: a 12 MP JPEG decodes at 1/8 scale for 224/256 px models (375 px short side, ~2-4× faster than
# the 1/4 scale that 2.0 gave); benchmarks/bench_index.py measures the cosine to the exact path on every
# photo of its 12 MP corpus, tests/unit/test_preprocess.py on real photos with a pixel-sensitive model.
FAST_DRAFT_FACTOR = 1.25
# A HEIC's embedded thumbnail is decoded instead of its (HEVC grid) image when its short side is at least this
# share of the model input: an iPhone's 320×240 thumbnail serves a 256 px model (240 ≥ 0.9 × 256), ≈ 10× faster
# than decoding the 12 MP image; the neighbour overlap with the full decode is in benchmarks/README.md.
HEIC_THUMB_SHARE = 0.9
# Beyond this aspect ratio the image is centre-cropped before resizing (no giant intermediates).
MAX_ASPECT = 4.0


class Preprocessor:
    """Turns decoded RGB images into normalised NCHW float tensors, as the manifest says."""

    def __init__(self, spec: VisionSpec) -> None:
        self.spec = spec
        self.size = spec.image_size
        self.filter = _FILTERS[spec.interpolation]
        self._scale = (np.float32(spec.rescale) / np.asarray(spec.std, dtype=np.float32)).reshape(3, 1, 1)
        self._offset = (
            np.asarray(spec.mean, dtype=np.float32) / np.asarray(spec.std, dtype=np.float32)
        ).reshape(3, 1, 1)
        self.dtype = np.float16 if spec.input.dtype == "float16" else np.float32

    @property
    def draft_short_side(self) -> int:
        return int(math.ceil(self.size * FAST_DRAFT_FACTOR))

    # -- geometry ---------------------------------------------------------------------------
    def resize_crop(self, img: Image.Image) -> Image.Image:
        s = self.size
        mode = self.spec.resize_mode
        w, h = img.size
        if mode == "squash":
            return img.resize((s, s), self.filter) if (w, h) != (s, s) else img
        if mode == "longest":
            scale = s / max(w, h)
            nw, nh = max(1, int(w * scale)), max(1, int(h * scale))
            resized = img.resize((nw, nh), self.filter)
            canvas = Image.new("RGB", (s, s), tuple(self.spec.fill_color))
            canvas.paste(resized, ((s - nw) // 2, (s - nh) // 2))
            return canvas
        # shortest side to s (long side truncated, as transformers and torchvision do), then crop
        if max(w, h) > MAX_ASPECT * min(w, h):
            img = _precrop(img, MAX_ASPECT)
            w, h = img.size
        if w <= h:
            nw, nh = s, int(s * h / w)
        else:
            nw, nh = int(s * w / h), s
        nw, nh = max(nw, 1), max(nh, 1)
        if (nw, nh) != (w, h):
            img = img.resize((nw, nh), self.filter)
        if self.spec.crop == "none":
            return img if img.size == (s, s) else img.resize((s, s), self.filter)
        return self.center_crop(img, s)

    def center_crop(self, img: Image.Image, s: int) -> Image.Image:
        w, h = img.size
        if self.spec.crop_rounding == "round":
            left, top = int(round((w - s) / 2.0)), int(round((h - s) / 2.0))
        else:
            left, top = (w - s) // 2, (h - s) // 2
        if w < s or h < s:  # pad like the reference implementations do
            canvas = Image.new("RGB", (max(w, s), max(h, s)), (0, 0, 0))
            canvas.paste(img, ((max(w, s) - w) // 2, (max(h, s) - h) // 2))
            return self.center_crop(canvas, s)
        return img.crop((left, top, left + s, top + s))

    # -- tensors ------------------------------------------------------------------------------
    def to_tensor(self, img: Image.Image) -> np.ndarray:
        """(3, S, S) normalised tensor from an RGB image of any size."""
        arr = np.asarray(self.resize_crop(img), dtype=np.float32).transpose(2, 0, 1)
        out = arr * self._scale - self._offset
        return out.astype(self.dtype, copy=False)

    def batch(self, images: list[Image.Image]) -> np.ndarray:
        return (
            np.stack([self.to_tensor(im) for im in images])
            if images
            else np.zeros((0, 3, self.size, self.size), self.dtype)
        )

    # -- file paths -----------------------------------------------------------------------------
    def decode_exact(self, path: str | Path) -> Decoded:
        return open_image(path, draft_short_side=None)

    def decode_fast(self, path: str | Path, min_short_side: int = 0) -> Decoded:
        return open_image(
            path,
            draft_short_side=max(self.draft_short_side, min_short_side),
            thumb_short_side=math.ceil(HEIC_THUMB_SHARE * self.size),
        )

    def exact(self, path: str | Path) -> np.ndarray:
        return self.to_tensor(self.decode_exact(path).image)

    def fast(self, path: str | Path) -> np.ndarray:
        return self.to_tensor(self.decode_fast(path).image)


def _precrop(img: Image.Image, max_aspect: float) -> Image.Image:
    w, h = img.size
    if w > h:
        nw = int(h * max_aspect)
        left = (w - nw) // 2
        return img.crop((left, 0, left + nw, h))
    nh = int(w * max_aspect)
    top = (h - nh) // 2
    return img.crop((0, top, w, top + nh))
