"""Perceptual image fingerprints: a 64-bit DCT hash of a 32×32 grey version of a photo.

The pipeline records it for every photo it decodes (``files.phash``); the duplicate finder
(``search/duplicates.py``) uses it as a cheap pre-filter. It sits beside the safe decoder so that both
floors above take it from here, never from each other.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

HASH_SIDE = 32
HASH_LOW = 8


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


_DCT = _dct_matrix(HASH_SIDE)


def phash(image: Image.Image) -> int:
    """64-bit perceptual hash (as a signed 64-bit int, how SQLite stores it): the signs of the 8×8
    lowest DCT frequencies of a 32×32 grey version, against their median."""
    g = image.convert("L").resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
    a = np.asarray(g, dtype=np.float64)
    d = (_DCT @ a @ _DCT.T)[:HASH_LOW, :HASH_LOW].ravel()
    bits = d > np.median(d[1:])
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return value - (1 << 64) if value >= (1 << 63) else value


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits two hashes differ in."""
    return int(((a ^ b) & ((1 << 64) - 1)).bit_count())


def phash_file(path: str) -> int:
    """The hash of the photo at ``path`` (decoded small, through the safe decoder)."""
    from photosearch.library.imaging import open_image

    return phash(open_image(path, draft_short_side=2 * HASH_SIDE).image)
