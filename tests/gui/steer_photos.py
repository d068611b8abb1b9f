"""Photos for the window's bursts and albums (tests and ``tools/screenshots.py``): a burst of near-identical
shots a second apart, and a library with a run of red circles among other drawn shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.tools import shapes


def make_burst(
    folder: Path, n: int = 10, *, seed: int = 5, name: str = "burst", base: Any = None
) -> list[str]:
    """``n`` shots of one scene a second apart (JPEG, dated in EXIF): a little sensor noise and exposure drift,
    as a camera's burst mode gives. The scene: ``base`` (a PIL image), else a yellow star. Returns the paths."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    scene = (
        base.convert("RGB")
        if base is not None
        else shapes.render(shapes.Spec("star", "yellow", "large", "centre", bg_seed=42), 128)
    )
    base = np.asarray(scene, np.float32)
    out = []
    for i in range(n):
        shot = np.clip(base * rng.uniform(0.97, 1.03) + rng.normal(0, 2.0, base.shape), 0, 255)
        img = Image.fromarray(shot.astype(np.uint8))
        exif = img.getexif()
        exif[0x0132] = f"2024:05:01 10:00:{i:02d}"  # DateTime
        path = folder / f"{name}{i}.jpg"
        img.save(path, quality=93, exif=exif)
        out.append(str(path))
    return out


def make_others(
    folder: Path, n: int, *, seed: int = 3, reds: int = 0, prefix: str = "other"
) -> dict[str, Any]:
    """``n`` drawn shapes (PNG); the first ``reds`` are red circles of every size and place, the rest never are.
    Returns path → ``shapes.Spec``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    combos = shapes.all_combos()
    specs: dict[str, Any] = {}
    for i in range(n):
        if i < reds:
            spec = shapes.Spec(
                "circle", "red", shapes.SIZES[i % 3], shapes.POSITIONS[i % 5], bg_seed=seed * 1000 + i
            )
        else:
            c = combos[int(rng.integers(len(combos)))]
            if c[:2] == ("circle", "red"):
                c = ("square", *c[1:])
            spec = shapes.Spec(*c, bg_seed=seed * 1000 + i)
        path = folder / f"{prefix}{i:03d}.png"
        shapes.render(spec, 96).save(path)
        specs[str(path)] = spec
    return specs
