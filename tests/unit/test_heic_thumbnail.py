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


def test_an_iphone_like_heic_serves_a_256_px_model_from_its_320x240_thumbnail(
    tmp_path: Path, tiny_model: Path
) -> None:
    """A grid of 512 px HEVC tiles, a 320×240 thumbnail, EXIF orientation 6, as an iPhone writes them: the
    thumbnail's short side (240) is ≥ 0.9 of a 256 px model input, so it is decoded instead of the grid."""
    import dataclasses

    from photosearch.models.manifest import load_package
    from photosearch.models.preprocess import HEIC_THUMB_SHARE, Preprocessor

    rng = np.random.default_rng(2)
    img = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((1536, 1152))
    exif = Image.Exif()
    exif[0x0112] = 6
    p = tmp_path / "IMG_0001.HEIC"
    img.save(p, format="HEIF", quality=80, thumbnails=[320], tile_size=512, exif=exif.tobytes())
    spec = dataclasses.replace(load_package(tiny_model).manifest.vision, image_size=256)
    pre = Preprocessor(spec)
    assert 240 >= HEIC_THUMB_SHARE * 256
    fast = pre.decode_fast(p)
    assert fast.reduced and fast.image.size == (240, 320)  # the thumbnail, turned upright
    assert (fast.width, fast.height) == (1152, 1536)  # the photo's real (upright) size is recorded
    exact = pre.decode_exact(p)
    assert not exact.reduced and exact.image.size == (1152, 1536)
    # a 384 px model needs more than the thumbnail has: the full image
    big = Preprocessor(dataclasses.replace(spec, image_size=384))
    assert not big.decode_fast(p).reduced
