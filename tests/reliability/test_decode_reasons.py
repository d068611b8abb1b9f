"""Every reason a damaged photo is listed with is in plain words: truncated and corrupted files of every format
PhotoSearch reads, cut at many places. Before, decoders' own messages reached the skipped-files list —
"corrupt image data (Invalid input: Unexpected end of file: Extent in iloc box references data outside of
file bounds (points to file position 378)\\n)" for a HEIC cut short, "decoder error: RuntimeError: Failed to
decode frame 0: Decoding of color planes failed" for an AVIF, "cannot open: could not create decoder object"
for a WebP, "corrupt image data (decoder error -2)" for a TIFF."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.errors import UnreadableImage
from photosearch.library.imaging import open_image
from tests.reliability._util import install_model, run_cli

PLAIN = re.compile(
    r"file is truncated or incomplete"
    r"|damaged or incomplete ((JPEG|PNG|WebP|HEIC/HEIF|AVIF|TIFF|GIF|BMP) )?image \(its pixels cannot be decoded\)"
    r"|a link that leads back to itself \(a loop of links\)"
    r"|a TIFF PhotoSearch cannot decode \(damaged, or a layout it does not read: [a-z ,-]+\)"
    r"|not an image PhotoSearch can read \(unknown or damaged format; it opens [A-Za-z/, ]+\)"
)

FORMATS = [
    ("JPEG", "jpg", {}),
    ("JPEG", "jpg", {"progressive": True}),
    ("PNG", "png", {}),
    ("WEBP", "webp", {}),
    ("WEBP", "webp", {"lossless": True}),
    ("TIFF", "tif", {}),
    ("TIFF", "tif", {"compression": "tiff_deflate"}),
    ("GIF", "gif", {}),
    ("BMP", "bmp", {}),
    ("HEIF", "heic", {}),
    ("AVIF", "avif", {}),
]


def _photo_bytes(fmt: str, kw: dict) -> bytes | None:
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((320, 240))
    if fmt == "HEIF":
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:
            return None
    buf = io.BytesIO()
    try:
        img.save(buf, fmt, **kw)
    except (KeyError, OSError):  # no encoder for it here
        return None
    return buf.getvalue()


def damaged_files(folder: Path) -> list[Path]:
    """Each format cut at 12 places and corrupted at 8 (bytes changed after its first quarter)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, (fmt, ext, kw) in enumerate(FORMATS):
        data = _photo_bytes(fmt, kw)
        if data is None:
            continue
        for k, frac in enumerate(np.linspace(0.05, 0.98, 12)):
            p = folder / f"{n:02d}_cut_{k:02d}.{ext}"
            p.write_bytes(data[: max(1, int(len(data) * frac))])
            out.append(p)
        for k in range(8):
            b = bytearray(data)
            r = np.random.default_rng(k)
            for _ in range(8):
                b[int(r.integers(len(b) // 4, len(b)))] = int(r.integers(256))
            p = folder / f"{n:02d}_corrupt_{k:02d}.{ext}"
            p.write_bytes(bytes(b))
            out.append(p)
    return out


def test_every_damaged_photo_has_a_plain_reason(tmp_path: Path) -> None:
    files = damaged_files(tmp_path / "damaged")
    assert len(files) >= 9 * 20
    bad = []
    for p in files:
        try:
            open_image(str(p), draft_short_side=224)
        except UnreadableImage as e:
            if not PLAIN.fullmatch(e.reason):
                bad.append(f"{p.name}: {e.reason!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("frac", [0.3, 0.6, 0.9])
def test_a_heic_cut_short_is_called_truncated(tmp_path: Path, frac: float) -> None:
    data = _photo_bytes("HEIF", {})
    if data is None:
        pytest.skip("no HEIF encoder here")
    p = tmp_path / "cut.heic"
    p.write_bytes(data[: int(len(data) * frac)])
    with pytest.raises(UnreadableImage) as e:
        open_image(str(p), draft_short_side=224)
    assert e.value.reason == "file is truncated or incomplete"


def test_the_skipped_list_shows_the_plain_reasons(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    install_model(data_dir, tiny_model)
    files = damaged_files(tmp_path / "photos")
    os.symlink("loop.jpg", tmp_path / "photos" / "loop.jpg")  # was "cannot read file information: Too many
    files.append(tmp_path / "photos" / "loop.jpg")  # levels of symbolic links"
    r = run_cli(data_dir, "index", "-q", "--add", str(tmp_path / "photos"), timeout=240)
    assert r.returncode == 0, r.stderr
    status = json.loads(run_cli(data_dir, "status", "--json").stdout)
    reasons = [s["reason"] for s in status["skipped"]]
    loop = [s["reason"] for s in status["skipped"] if s["path"].endswith("loop.jpg")]
    assert loop == ["a link that leads back to itself (a loop of links)"], loop
    assert reasons and all(PLAIN.fullmatch(x) for x in reasons), [
        x for x in reasons if not PLAIN.fullmatch(x)
    ]
    assert status["counts"]["indexed"] + len(reasons) == len(files)


@pytest.mark.parametrize("layout", ["planar", "float"])
def test_a_valid_tiff_pillow_cannot_decode_is_not_called_unknown(tmp_path: Path, layout: str) -> None:
    """A TIFF with its colour planes stored separately, or in floating point (scanners and image tools write
    both), was listed as 'not an image PhotoSearch can read (unknown or damaged format...)': the format is
    known; the reason now says it is a TIFF whose layout PhotoSearch does not read."""
    tifffile = pytest.importorskip("tifffile")
    from photosearch.library.imaging import TIFF_NOT_DECODED

    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    p = tmp_path / f"{layout}.tif"
    if layout == "planar":
        tifffile.imwrite(p, rgb, planarconfig="separate")
    else:
        tifffile.imwrite(p, rgb.astype(np.float32) / 255)
    with pytest.raises(UnreadableImage) as e:
        open_image(str(p), draft_short_side=224)
    assert e.value.reason == TIFF_NOT_DECODED
