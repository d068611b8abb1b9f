"""Settings that belong to a library, kept in its data directory (``library-settings.json``) so they follow
the library and never leak into another: the last query and the image ↔ text balance. (Its folders, their
exclusions and the active model are in the catalog.) Settings that belong to the person — window geometry,
panel widths, thumbnail size, theme — stay in the front end's per-user settings."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from photosearch.config import Paths

log = logging.getLogger(__name__)

FILE_NAME = "library-settings.json"


@dataclass
class LibrarySettings:
    last_query: str = ""
    weight: float = 0.5  # a composed query's balance: 0 follows the photo, 1 the words


def _path(paths: Paths) -> Path:
    return Path(paths.data_dir) / FILE_NAME


def load(paths: Paths) -> LibrarySettings:
    """This library's settings (defaults when there are none or the file is unreadable)."""
    try:
        raw = json.loads(_path(paths).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return LibrarySettings()
    except (OSError, ValueError) as e:
        log.info("library settings unreadable (%s): using defaults", e)
        return LibrarySettings()
    out = LibrarySettings()
    if isinstance(raw, dict):
        if isinstance(raw.get("last_query"), str):
            out.last_query = raw["last_query"][:1000]
        w = raw.get("weight")
        if isinstance(w, int | float) and 0.0 <= float(w) <= 1.0:
            out.weight = float(w)
    return out


def save(paths: Paths, settings: LibrarySettings) -> None:
    """Write them atomically (a crash never leaves half a file)."""
    path = _path(paths)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(asdict(settings), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        log.warning("cannot save this library's settings: %s", e)
        with contextlib.suppress(OSError):
            tmp.unlink()
