"""Photo makers for tests and benchmarks: small distinct JPEG/PNG files written to real folders."""

from __future__ import annotations

import os
import random
import shutil
import time
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


def churn(roots: list[Path], n: int, seed: int = 0, duration: float = 10.0) -> float:
    """Create ``n`` photos across the roots in bursts, renaming, moving (files and folders, also between
    roots) and deleting some as it goes. Returns the monotonic time of the last change."""
    rnd = random.Random(seed)
    src = roots[0].parent / "churn-src"
    templates = [make_image(src / f"t{i}.png", size=(24, 16)) for i in range(n)]
    live: list[Path] = []
    bursts = 10
    per = n // bursts
    t0 = time.monotonic()
    for b in range(bursts):
        sub = rnd.choice(roots) / f"burst{b}"
        sub.mkdir(parents=True, exist_ok=True)
        for i in range(per):
            dest = sub / f"f{b}-{i}.png"
            shutil.copyfile(templates[b * per + i], dest)
            live.append(dest)
        for _ in range(per // 5):  # renames
            p = live.pop(rnd.randrange(len(live)))
            q = p.with_name("r-" + p.name)
            os.rename(p, q)
            live.append(q)
        for _ in range(per // 5):  # moves, often to another root
            p = live.pop(rnd.randrange(len(live)))
            d = rnd.choice(roots) / f"moved{b % 3}"
            d.mkdir(exist_ok=True)
            q = d / p.name
            os.rename(p, q)
            live.append(q)
        for _ in range(per // 10):  # deletions
            os.remove(live.pop(rnd.randrange(len(live))))
        if b % 4 == 3:  # a whole folder moved to the other root
            dirs = [d for r in roots for d in r.iterdir() if d.is_dir() and d.name.startswith("burst")]
            if dirs:
                d = rnd.choice(dirs)
                other = roots[1] if d.parent == roots[0] else roots[0]
                target = other / (d.name + "-m")
                if not target.exists():
                    os.rename(d, target)
                    live = [target / q.relative_to(d) if d in q.parents else q for q in live]
        time.sleep(
            max(0.0, t0 + (b + 1) * duration / bursts - time.monotonic())
        )  # pace the bursts over ~10 s
    shutil.rmtree(src)
    return time.monotonic()
