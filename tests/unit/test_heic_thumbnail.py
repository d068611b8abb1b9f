"""HEIC fast path: the embedded thumbnail is decoded instead of the full image when it is big enough for
the model (like reduced JPEG decoding); the exact path always decodes the full image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from photosearch.library.imaging import HEIF_AVAILABLE, open_image
from photosearch.models.encoders import ModelRuntime

pytestmark = pytest.mark.skipif(not HEIF_AVAILABLE, reason="pillow-heif is not installed")


def _heic(path: Path, size: tuple[int, int], thumbs: list[int]) -> Path:
    rng = np.random.default_rng(1)
    small = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    img = small.resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    img.save(path, format="HEIF", quality=90, thumbnails=thumbs)
    return path


def test_thumbnail_used_when_big_enough(tmp_path: Path) -> None:
    p = _heic(tmp_path / "a.heic", (640, 480), [160])
    d = open_image(p, draft_short_side=64, thumb_short_side=100)
    assert d.reduced and d.image.size == (160, 120)
    assert (d.width, d.height) == (640, 480)  # the catalog records the real size
    # too small for the model → the full image
    d = open_image(p, draft_short_side=64, thumb_short_side=128)
    assert not d.reduced and d.image.size == (640, 480)
    # the exact path never uses it
    d = open_image(p)
    assert not d.reduced and d.image.size == (640, 480)


def test_fast_path_uses_thumbnail_and_stays_close_to_exact(tmp_path: Path, tiny_model: Path) -> None:
    p = _heic(tmp_path / "b.heic", (640, 480), [160])
    rt = ModelRuntime.from_path(tiny_model)
    assert rt.preprocessor.decode_fast(p).reduced
    fast = rt.image.encode_paths([p])
    exact = rt.image.encode_paths([p], exact=True)
    assert float(np.sum(fast * exact)) >= 0.995
