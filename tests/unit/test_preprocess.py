from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.errors import UnreadableImage
from photosearch.library.imaging import NEUTRAL_BACKGROUND, open_image
from photosearch.models.encoders import ModelRuntime
from photosearch.models.manifest import load_package
from photosearch.models.preprocess import Preprocessor
from tests.photos import make_photo_set


@pytest.fixture(scope="module")
def photo_set(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_photo_set(tmp_path_factory.mktemp("photos"))


def _pre(model: Path) -> Preprocessor:
    return Preprocessor(load_package(model).manifest.vision)


def test_exact_path_is_the_reference_pipeline(tiny_model: Path, tmp_path: Path) -> None:
    """resize shortest side (bicubic, long side truncated) → centre crop (floor) → /255 → mean/std."""
    pre = _pre(tiny_model)
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (90, 151, 3), dtype=np.uint8))
    p = tmp_path / "x.png"
    img.save(p)
    got = pre.exact(p)
    resized = img.resize((int(32 * 151 / 90), 32), Image.Resampling.BICUBIC)
    left = (resized.width - 32) // 2
    crop = np.asarray(resized.crop((left, 0, left + 32, 32)), dtype=np.float32) / 255.0
    spec = pre.spec
    want = ((crop - np.array(spec.mean, np.float32)) / np.array(spec.std, np.float32)).transpose(2, 0, 1)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert got.shape == (3, 32, 32) and got.dtype == np.float32


def test_exif_orientation_applied(tmp_path: Path) -> None:
    img = Image.new("RGB", (40, 20), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 10, 20))  # blue on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    p = tmp_path / "o.jpg"
    img.save(p, quality=95, exif=exif.tobytes())
    d = open_image(p)
    assert d.image.size == (20, 40) and (d.width, d.height) == (20, 40)
    top = np.asarray(d.image)[2, 10]
    assert top[2] > 200 and top[0] < 60  # the blue band is now on top


@pytest.mark.parametrize("kind", ["palette_alpha", "rgba", "la", "16bit", "cmyk", "float", "gif_anim"])
def test_colour_modes_become_rgb(tmp_path: Path, kind: str) -> None:
    p = tmp_path / f"{kind}.png"
    if kind == "palette_alpha":
        im = Image.new("P", (16, 16), 0)
        im.putpalette([255, 0, 0] + [0, 255, 0] * 255)
        im.info["transparency"] = 0
        im.save(p, transparency=0)
        expect = NEUTRAL_BACKGROUND
    elif kind == "rgba":
        Image.new("RGBA", (16, 16), (255, 0, 0, 0)).save(p)
        expect = NEUTRAL_BACKGROUND
    elif kind == "la":
        Image.new("LA", (16, 16), (0, 0)).save(p)
        expect = NEUTRAL_BACKGROUND
    elif kind == "16bit":
        arr = np.full((16, 16), 32768, dtype=np.uint16)
        Image.fromarray(arr).save(p)  # I;16 PNG, mid grey
        expect = (127, 127, 127)
    elif kind == "cmyk":
        p = tmp_path / "c.jpg"
        Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(p, quality=95)  # red
        expect = (255, 0, 0)
    elif kind == "float":
        p = tmp_path / "f.tif"
        Image.fromarray(np.linspace(0, 1, 256, dtype=np.float32).reshape(16, 16), "F").save(p)
        expect = None
    else:
        p = tmp_path / "a.gif"
        frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 0, 255))]
        frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
        expect = (255, 0, 0)
    d = open_image(p)
    assert d.image.mode == "RGB"
    if expect is not None:
        px = np.asarray(d.image)[8, 8].astype(int)
        assert np.abs(px - np.array(expect)).max() <= 8, (kind, px)


def test_unreadable_files_give_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "junk.jpg").write_bytes(b"\x00garbage" * 100)
    good = tmp_path / "good.jpg"
    Image.new("RGB", (64, 64), (1, 2, 3)).save(good)
    (tmp_path / "trunc.jpg").write_bytes(good.read_bytes()[:200])
    reasons = {}
    for name in ("empty.jpg", "junk.jpg", "trunc.jpg", "missing.jpg"):
        with pytest.raises(UnreadableImage) as e:
            open_image(tmp_path / name)
        reasons[name] = e.value.reason
    assert "empty" in reasons["empty.jpg"]
    assert "not an image" in reasons["junk.jpg"]
    assert "truncated" in reasons["trunc.jpg"] or "corrupt" in reasons["trunc.jpg"]
    assert "disappeared" in reasons["missing.jpg"]


def test_declared_size_checked_before_decoding(tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 100))
        + chunk(b"IEND", b"")
    )
    p = tmp_path / "bomb.png"
    p.write_bytes(png)
    with pytest.raises(UnreadableImage, match="too large"):
        open_image(p)


def test_extreme_aspect_ratio_has_no_giant_intermediate(tiny_model: Path, tmp_path: Path) -> None:
    p = tmp_path / "strip.png"
    Image.new("RGB", (1, 20000), (10, 200, 10)).save(p)
    pre = _pre(tiny_model)
    assert pre.resize_crop(open_image(p).image).size == (32, 32)
    assert pre.exact(p).shape == (3, 32, 32)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_fast_path_matches_exact_on_real_photos(
    photo_set: list[Path], tiny_model: Path, request: pytest.FixtureRequest
) -> None:
    """Reduced-size JPEG decoding must keep embedding cosine ≥ 0.995 to the exact path on every photo."""
    from tests.conftest import SHAPES_MODEL

    models = [tiny_model] + ([SHAPES_MODEL] if (SHAPES_MODEL / "manifest.json").exists() else [])
    for model in models:
        rt = ModelRuntime.from_path(model)
        exact = rt.image.encode_paths(photo_set, exact=True)
        fast = rt.image.encode_paths(photo_set, exact=False)
        cos = _cos(exact, fast)
        assert cos.min() >= 0.995, (
            model.name,
            dict(zip([p.name for p in photo_set], cos.round(5), strict=True)),
        )
    # the camera-size photos really took the reduced path
    d = rt.preprocessor.decode_fast(photo_set[-1])
    assert d.reduced and max(d.image.size) < 4000 and (d.width, d.height) == (4000, 3000)
