"""iPhone-like HEIC files for the HEIC benchmark, made from the real photographs in ``_inputs/ocr-corpus``
(``plain_*.jpg``, 4000×3000): 4032×3024 HEVC as a grid of 512 px tiles, a 320×240 embedded thumbnail, EXIF
orientation 6 (the sensor's landscape pixels, shown portrait) — as an iPhone writes them.

    python benchmarks/build_heic.py [--n 40]

Written to ``_inputs/corpus/heic-iphone/`` (git-ignored), once.
"""

from __future__ import annotations

import argparse
import os
import sys
from multiprocessing import Pool
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPUS, INPUTS

if TYPE_CHECKING:
    from PIL import Image

OUT = CORPUS / "heic-iphone"


def save_heic(img: Image.Image, dest: str, exif: bytes, **options: Any) -> str:
    """Write ``img`` to ``dest`` as HEIC the way an iPhone does (HEVC main image, a 320 px embedded
    thumbnail; ``options``: more of pillow-heif's, e.g. ``tile_size``), via a temporary file renamed into
    place. Both HEIC corpora are saved by it (this one and ``build_inputs.py``'s ``corpus/heic``); ultrafast
    x265 keeps building bearable."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    tmp = dest + ".tmp.heic"
    img.save(
        tmp,
        format="HEIF",
        quality=80,
        thumbnails=[320],
        exif=exif,
        enc_params={"preset": "ultrafast"},
        **options,
    )
    os.replace(tmp, dest)
    return dest


def _one(args: tuple[str, str]) -> str:
    from PIL import Image

    src, dest = args
    img = Image.open(src).convert("RGB").resize((4032, 3024), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone (benchmark)"
    exif[0x0112] = 6
    return save_heic(img, dest, exif.tobytes(), tile_size=512)


def build(n: int) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    photos = sorted((INPUTS / "ocr-corpus").glob("plain_*.jpg"))[-n:]
    jobs = [(str(p), str(OUT / f"IMG_{i:04d}.HEIC")) for i, p in enumerate(photos)]
    jobs = [j for j in jobs if not Path(j[1]).exists()]
    with Pool(2) as pool:
        for _ in pool.imap_unordered(_one, jobs):
            pass
    return OUT


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=40)
    print(build(ap.parse_args().n))
