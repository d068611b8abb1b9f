"""Pillow's warnings about a photo (a corrupt EXIF block: "UserWarning: Corrupt EXIF data…", "Tag data larger
than file") stay out of the terminal while indexing decodes on several threads. Before, each decode wrapped
``Image.open`` in ``warnings.catch_warnings()``, which swaps the process-wide filter list: with two decode
threads one restored the filters while the other was still opening, and the warning was printed with
Pillow's file and line among the command's output."""

from __future__ import annotations

import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from photosearch.library.imaging import open_image
from tests.hostile import exif_jpeg
from tests.reliability._util import cli_env, install_model, make_photos, run_cli


def _corrupt_exif_photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    out = []
    for k in range(n):  # each EXIF block a different length: damaged in a different place
        p = folder / f"corrupt_exif_{k:02d}.jpg"
        p.write_bytes(
            exif_jpeg(
                rng,
                {0x0112: 3, 0x0132: "2020:01:02 03:04:05" + " " * k},
                {0x9003: "2020:01:02 03:04:05"},
                corrupt=True,
            )
        )
        out.append(p)
    return out


def test_no_decoder_warning_reaches_the_terminal(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    make_photos(photos, 24)
    bad = _corrupt_exif_photos(photos / "exif", 24)
    r = run_cli(data_dir, "index", "-q", "--add", str(photos), env=cli_env(data_dir, PHOTOSEARCH_THREADS="2"))
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr and "PIL" not in r.stderr, r.stderr
    status = json.loads(run_cli(data_dir, "status", "--json").stdout)
    assert status["counts"]["indexed"] == 24 + len(bad)  # the pixels are fine: indexed, warning or not


def test_decoding_leaves_the_process_warning_filters_alone(tmp_path: Path) -> None:
    bad = _corrupt_exif_photos(tmp_path, 16)
    before = list(warnings.filters)

    def decode(p: Path) -> tuple[int, int]:
        return open_image(str(p)).image.size

    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            assert all(s == (96, 64) for s in pool.map(decode, bad * 2))
    assert warnings.filters == before


def test_libtiff_messages_stay_out_of_the_terminal(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    """libtiff prints its own errors on the process's stderr ("ZIPDecode: Decoding error at scanline 68,
    incorrect data check."): Pillow raises its error too, and the skipped-files list has the reason."""
    import io

    from PIL import Image

    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    make_photos(photos, 4)
    rng = np.random.default_rng(5)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)).save(
        buf, "TIFF", compression="tiff_deflate"
    )
    data = buf.getvalue()
    for k in range(6):  # deflate data damaged after the header: libtiff's ZIP decoder complains
        b = bytearray(data)
        r = np.random.default_rng(k)
        for _ in range(8):
            b[int(r.integers(len(b) // 4, len(b) * 3 // 4))] ^= 0xFF
        (photos / f"damaged_{k}.tif").write_bytes(bytes(b))
    r = run_cli(data_dir, "index", "-q", "--add", str(photos))
    assert r.returncode == 0, r.stderr
    assert "Decoding error" not in r.stderr and "ZIPDecode" not in r.stderr, r.stderr
    status = json.loads(run_cli(data_dir, "status", "--json").stdout)
    assert status["counts"]["indexed"] == 4 + 6 - len(status["skipped"]) and status["skipped"]
