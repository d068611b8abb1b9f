"""Finding the app's resource files (icon, style sheet) in a source checkout or an installed package.

The canonical files live in ``resources/`` at the repository root; an installed package ships them as
``photosearch.resources`` package data (see ``[tool.setuptools]`` in pyproject.toml)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def resource_dir() -> Path:
    """The folder holding icon.svg, icon.png and style.qss."""
    spec = importlib.util.find_spec("photosearch.resources")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            if (Path(loc) / "icon.svg").is_file():
                return Path(loc)
    checkout = Path(__file__).resolve().parents[2] / "resources"
    return checkout


def resource_path(name: str) -> Path | None:
    p = resource_dir() / name
    return p if p.is_file() else None


def style_sheet() -> str:
    p = resource_path("style.qss")
    return p.read_text(encoding="utf-8") if p else ""
