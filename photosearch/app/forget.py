"""Forget a library: delete everything PhotoSearch derived from the photos (catalog and its backups, index,
thumbnails, logs, folder list); the photos and the installed models stay."""

from __future__ import annotations

from pathlib import Path

from photosearch.config import Paths
from photosearch.store.forget import Forgotten, derived_paths, forget_library


def what_would_go(paths: Paths) -> list[Path]:
    return derived_paths(paths)


def forget(paths: Paths) -> Forgotten:
    """Refuses (IndexLocked) while another process is writing to the library."""
    return forget_library(paths)
