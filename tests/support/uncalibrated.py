"""A model without a calibration (what every real model is on this machine) and a library of drawn shapes for
it: the shapes test model with its ``extra.relevance`` taken out, under another id."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from models.tools import shapes

MODEL_ID = "shapes-uncalibrated"


def uncalibrated_model(shapes_model: Path, dest: Path) -> Path:
    """A copy of the shapes model without its calibration, as ``shapes-uncalibrated``."""
    shutil.copytree(shapes_model, dest)
    manifest = json.loads((dest / "manifest.json").read_text())
    manifest["id"] = MODEL_ID
    manifest.get("extra", {}).pop("relevance", None)
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return dest


def shape_photos(folder: Path, n: int, seed: int = 11) -> dict[str, shapes.Spec]:
    """``n`` drawn shapes (the first four red circles; no purple: an absent colour) → {path: its shape}."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    combos = [c for c in shapes.all_combos() if c[1] != "purple"]
    specs: dict[str, shapes.Spec] = {}
    for i in range(n):
        spec = shapes.Spec(*combos[int(rng.integers(len(combos)))], bg_seed=2000 + i)
        if i < 4:
            spec = shapes.Spec(
                "circle", "red", shapes.SIZES[i % 3], shapes.POSITIONS[i % 5], bg_seed=2000 + i
            )
        path = folder / f"s{i:03d}.png"
        shapes.render(spec, 96).save(path)
        specs[str(path)] = spec
    return specs
