"""Photo makers for tests and benchmarks: small distinct JPEG/PNG files written to real folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

_SEED = iter(range(10_000, 10**9))


def make_photos(
    folder: Path, n: int, seed: int = 0, size: tuple[int, int] = (64, 48), fmt: str = "jpg", start: int = 0
) -> list[Path]:
    """n distinct random photos ``photo_NNNN.fmt`` (blocky colour fields, so they stay distinct after JPEG)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(start, start + n):
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize(size, Image.Resampling.NEAREST)
        p = folder / f"photo_{i:04d}.{fmt}"
        img.save(p, quality=92) if fmt == "jpg" else img.save(p)
        out.append(p)
    return out


def make_image(path: Path, size: tuple[int, int] = (64, 48), seed: int | None = None) -> Path:
    """One random-noise image at ``path`` (format from the suffix); a fresh seed each call unless given."""
    rng = np.random.default_rng(next(_SEED) if seed is None else seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def make_images(folder: Path, n: int, prefix: str = "p") -> list[Path]:
    return [make_image(folder / f"{prefix}{i:03}.jpg") for i in range(n)]


def disk_images(*roots: Path) -> set[str]:
    """The image files (.jpg/.png, not hidden) under ``roots``, as the library would see them."""
    out = set()
    for root in roots:
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if not x.startswith(".")]
            out |= {
                os.path.join(d, f)
                for f in files
                if f.lower().endswith((".jpg", ".png")) and not f.startswith(".")
            }
    return out
