"""Path helpers every floor may use."""

from __future__ import annotations

import os
from pathlib import Path


def path_inside(path: str, root: str) -> bool:
    """``path`` is ``root`` or lies under it (plain string paths, already normalised; no file-system access)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def disk_size(root: Path) -> int:
    """Bytes of every file under ``root`` (a model package's size on disk)."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
