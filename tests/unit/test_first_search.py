"""`photosearch index` takes the relevance line's one-time work off the query path: the caption embeddings are
stored in the catalog when indexing ends, so the first search after it encodes only its own words; the
image and text sessions are freed before the OCR pass."""

from __future__ import annotations

import shutil
from pathlib import Path

from models.tools import shapes
from photosearch.app.index import run_index
from photosearch.app.search import open_engine
from photosearch.config import Paths
from photosearch.library.library import Library


def test_the_first_search_after_index_encodes_only_the_query(shapes_model: Path, tmp_path: Path) -> None:
    paths = Paths.resolve(tmp_path / "data")
    paths.ensure()
    shutil.copytree(shapes_model, paths.models_dir / "shapes-tiny")
    shapes.make_library(tmp_path / "photos", 12, seed=3, fmt="jpg")
    with Library(paths, write=True) as lib:
        lib.set_active_model("shapes-tiny")
        lib.add_folder(tmp_path / "photos")
        out = run_index(lib, read_text=False)
        assert out["counts"]["indexed"] == 12
        rt = lib.runtime()
        assert not rt.text.loaded and not rt.image.loaded  # freed after indexing
        assert lib.catalog.get_meta("text_background:shapes-tiny")
    with Library(paths) as lib:  # a fresh process's first search
        engine = open_engine(lib)
        engine.search_text("a red circle", k=3)
        assert lib.runtime().text.calls == 1  # the query alone: no caption was encoded
