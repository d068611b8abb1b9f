"""A library on disk for tests and benchmarks, made with the core (no GUI, no CLI)."""

from __future__ import annotations

from pathlib import Path

from photosearch.config import Paths


def prepare_library(data_dir: Path, *, model: Path | None, photos: Path | None, index: bool) -> Paths:
    """Install ``model``, add ``photos`` and index them with the core (no GUI)."""
    from photosearch.indexing.pipeline import Indexer
    from photosearch.library.library import Library
    from photosearch.models.install import install_package_dir

    paths = Paths.resolve(data_dir)
    with Library(paths, write=True, purpose="test") as lib:
        if model is not None:
            pkg = install_package_dir(model, paths.models_dir)
            lib.set_active_model(pkg.id)
        if photos is not None:
            lib.add_folder(photos)
            if index:
                for _ in Indexer(lib).run():
                    pass
    return paths
