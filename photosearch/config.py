"""Where PhotoSearch keeps its data, and the settings the core reads — the one place that reads the
environment (``setting``; ``tests/unit/test_architecture.py`` checks that nothing else does).

The data directory comes from platformdirs, overridable by ``--data-dir`` or ``PHOTOSEARCH_DATA_DIR``.
Settings (environment variables): ``PHOTOSEARCH_DATA_DIR``, ``PHOTOSEARCH_CACHE_DIR``, ``PHOTOSEARCH_THREADS``,
``PHOTOSEARCH_IMAGE_BACKEND``, ``PHOTOSEARCH_MAX_WATCHES``, ``PHOTOSEARCH_REGISTRY``, ``PHOTOSEARCH_HUB_URL``,
``PHOTOSEARCH_SAVE_INTERVAL``, ``PHOTOSEARCH_FILE_BUDGET``, ``PHOTOSEARCH_GUI_SHOWN_FILE`` (benchmarks),
``PHOTOSEARCH_READ_TEXT`` (``0``: the indexing service does not read text in photos; on by default).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "PhotoSearch"
ENV_DATA_DIR = "PHOTOSEARCH_DATA_DIR"
ENV_CACHE_DIR = "PHOTOSEARCH_CACHE_DIR"


def setting(name: str, default: str | None = None) -> str | None:
    """The setting ``name`` (an environment variable), or ``default`` when unset or empty."""
    value = os.environ.get(name)
    return value if value else default


def environment() -> Mapping[str, str]:
    """The whole environment, for code that must look at the desktop's own variables (DISPLAY, XDG_*)."""
    return os.environ


def export_setting(name: str, value: str) -> None:
    """Set an environment variable for this process and its libraries (the telemetry opt-outs)."""
    os.environ[name] = value


def read_text_default() -> bool:
    """Whether the indexing service reads the text in photos (the second pass) unless told otherwise."""
    return (setting("PHOTOSEARCH_READ_TEXT") or "1").strip() != "0"


def setting_int(name: str) -> int | None:
    """An integer setting; None when unset or not a whole number."""
    value = (setting(name) or "").strip()
    return int(value) if value.isdigit() else None


def setting_float(name: str, default: float) -> float:
    """A number setting; ``default`` when unset or not a number."""
    try:
        return float(setting(name) or default)
    except ValueError:
        return default


def default_data_dir() -> Path:
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_cache_dir() -> Path:
    """Where rebuildable per-user caches live (compiled models): platformdirs' user cache dir, or
    ``PHOTOSEARCH_CACHE_DIR``. Deleting it loses nothing but time."""
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def openvino_cache_dir(model_id: str) -> Path:
    """OpenVINO's compiled-model cache for one model (≈ the model's size; see models.encoders)."""
    return default_cache_dir() / "openvino" / model_id


@dataclass(frozen=True)
class Paths:
    """Every file and folder under one data directory."""

    data_dir: Path

    @classmethod
    def resolve(cls, data_dir: str | Path | None = None) -> Paths:
        return cls(Path(data_dir).expanduser().absolute() if data_dir else default_data_dir().absolute())

    @property
    def catalog(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def downloads_dir(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def thumbs_dir(self) -> Path:
        return self.data_dir / "thumbs"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "writer.lock"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def ensure(self) -> None:
        for d in (self.data_dir, self.index_dir, self.models_dir, self.thumbs_dir):
            if d.exists() and not d.is_dir():
                from photosearch.errors import CatalogError

                raise CatalogError(
                    f"{d} is a file, but PhotoSearch keeps a folder of that name there: move or "
                    "rename the file (or choose another data folder with --data-dir)"
                )
            d.mkdir(parents=True, exist_ok=True)
