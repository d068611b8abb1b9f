"""Photos with words on them, for the text pass's tests: Pillow's own font rendered onto a photo-like
background (a smooth random field), on a light label so that it reads as a sign or a receipt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def photo_with_words(path: Path, words: str, *, seed: int = 0, size: tuple[int, int] = (800, 600)) -> Path:
    rng = np.random.default_rng(seed)
    small = rng.integers(60, 200, (4, 5, 3), dtype=np.uint8)
    im = Image.fromarray(small, "RGB").resize(size, Image.Resampling.BILINEAR)
    if words:
        d = ImageDraw.Draw(im)
        w, h = size
        d.rectangle((w // 20, h // 3, w - w // 20, h // 3 + 130), fill=(250, 250, 245))
        d.text((w // 20 + 20, h // 3 + 20), words, font=ImageFont.load_default(size=64), fill=(10, 10, 10))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, quality=90)
    return path
