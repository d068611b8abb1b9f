"""The real-photo set: scikit-image's bundled sample photographs (as JPEGs at their own size) plus
camera-size JPEGs made from them (4000×3000 / 3000×4000, quality 90, with EXIF orientation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SAMPLES = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "camera",
)


def sample_photo(name: str) -> Image.Image:
    import skimage.data

    arr = getattr(skimage.data, name)()
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    return Image.fromarray(arr[..., :3].astype(np.uint8), "RGB")


def make_photo_set(folder: Path, camera_size: int = 3, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths: list[Path] = []
    for name in SAMPLES:
        p = folder / f"{name}.jpg"
        sample_photo(name).save(p, "JPEG", quality=92)
        paths.append(p)
    for i, name in enumerate(SAMPLES[:camera_size]):
        img = sample_photo(name)
        big = img.resize((4000, 3000), Image.Resampling.BICUBIC)
        arr = np.asarray(big, dtype=np.int16) + rng.integers(-6, 7, (3000, 4000, 3), dtype=np.int16)
        big = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        exif = Image.Exif()
        exif[0x0112] = 6 if i == 1 else 1  # one stored sideways, as phones do
        exif[0x0132] = "2024:07:14 18:30:00"
        p = folder / f"camera_{name}.jpg"
        big.save(p, "JPEG", quality=90, exif=exif.tobytes())
        paths.append(p)
    return paths
