"""Path helpers every floor may use."""

from __future__ import annotations

import os


def path_inside(path: str, root: str) -> bool:
    """``path`` is ``root`` or lies under it (plain string paths, already normalised; no file-system access)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
