"""Helpers for end-to-end tests: run the real `photosearch` CLI in a subprocess, make photo folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def cli_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PHOTOSEARCH_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PHOTOSEARCH_THREADS", "2")
    return env


def run_cli(data_dir: Path, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "photosearch", *args], env=cli_env(data_dir), capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"photosearch {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def run_json(data_dir: Path, *args: str) -> Any:
    return json.loads(run_cli(data_dir, *args, "--json").stdout)


def popen_cli(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "photosearch", *args], env=cli_env(data_dir),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_photos(folder: Path, n: int, seed: int = 0, size: tuple[int, int] = (64, 48), fmt: str = "jpg",
                start: int = 0) -> list[Path]:
    """n distinct random photos (blocky colour fields, so they stay distinct after JPEG)."""
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
