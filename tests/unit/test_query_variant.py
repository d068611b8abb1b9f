"""A query's photos are encoded by the image tower that embedded the library (catalog meta
``image_variant:<model>``), in a fresh process's runtime: an outside reference photo and a composed query's
views of its reference go through the int8 tower in an int8 library — the published fp32 graph never loads —
and through fp32 in a library embedded in fp32, even once the model has an int8 tower. An int8 library whose
tower went missing (the model reinstalled) falls back to fp32 with the indexer's message."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from models.tools import shapes
from photosearch.app.query import Query
from photosearch.app.search import open_engine, search
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.indexing.variant_step import library_variant
from photosearch.library.library import Library
from photosearch.models.session import LazySession

MODEL = "shapes-tiny"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The image model files loaded from now on, in order (each session's first use), on either backend."""
    seen: list[str] = []
    for name in ("_load_onnxruntime", "_load_openvino"):
        real = getattr(LazySession, name)

        def spy(self: LazySession, _real: Any = real) -> Any:
            if self.path.name.startswith("visual"):
                seen.append(self.path.name)
            return _real(self)

        monkeypatch.setattr(LazySession, name, spy)
    return seen


def _library(tmp: Path, shapes_model: Path, photos: int, seed: int) -> tuple[Paths, Path]:
    """A library of ``photos`` shape photos, indexed (the first index decides its variant)."""
    paths = Paths.resolve(tmp / f"data-{seed}")
    paths.ensure()
    shutil.copytree(shapes_model, paths.models_dir / MODEL)
    mpath = paths.models_dir / MODEL / "manifest.json"
    m = json.loads(
        mpath.read_text()
    )  # the shapes model understands drawn shapes only: queries it understands
    m.setdefault("extra", {})["probe_queries"] = [
        shapes.caption(s) for s in shapes.balanced_specs(60, seed=11)
    ]
    mpath.write_text(json.dumps(m))
    folder = tmp / f"photos-{seed}"
    shapes.make_library(folder, photos, seed=seed, fmt="jpg")
    with Library(paths, write=True) as lib:
        lib.set_active_model(MODEL)
        lib.add_folder(folder)
        for _ in Indexer(lib).run():
            pass
    return paths, folder


def _outside(tmp: Path) -> Path:
    """A photo that is not in the library."""
    shapes.make_library(tmp / "elsewhere", 1, seed=99, fmt="jpg")
    return next((tmp / "elsewhere").glob("*.jpg"))


def _query(paths: Paths, query: Query) -> tuple[str, str]:
    """Run ``query`` as a fresh ``photosearch search`` does (a new read-only library and runtime); returns the
    image tower's (variant, file) after it."""
    with Library(paths) as lib:
        eng = open_engine(lib)
        resp = search(query, eng)
        assert resp.results
        return eng.runtime.image.variant, eng.runtime.image.path.name


def test_an_int8_library_encodes_outside_photos_and_composed_views_with_the_int8_tower(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path, loads: list[str]
) -> None:
    paths, folder = _library(tmp_path, shapes_model, 240, seed=5)
    with Library(paths) as lib:
        assert library_variant(lib, MODEL) == "int8"
    outside = _outside(tmp_path)
    inside = sorted(folder.glob("*.jpg"))[7]
    loads.clear()  # what indexing loaded does not count
    assert _query(paths, Query.of(images=[outside])) == ("int8", "visual.int8.onnx")
    assert loads == ["visual.int8.onnx"]
    for ref in (outside, inside):  # composed: the reference's views are encoded (a library photo's too)
        loads.clear()
        assert _query(paths, Query.of("a red circle", images=[ref])) == ("int8", "visual.int8.onnx")
        assert loads == ["visual.int8.onnx"], ref
    # a PIL image (a pasted picture) as well
    from PIL import Image

    loads.clear()
    with Image.open(outside) as im:
        assert _query(paths, Query.of("a red circle", images=[im.copy()])) == ("int8", "visual.int8.onnx")
    assert loads == ["visual.int8.onnx"]


def test_an_fp32_library_keeps_fp32_when_the_model_has_an_int8_tower(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path, loads: list[str]
) -> None:
    int8_paths, _ = _library(tmp_path, shapes_model, 240, seed=5)  # makes the model's int8 tower
    paths, _folder = _library(tmp_path, shapes_model, 12, seed=7)  # too few photos for one: fp32
    with Library(paths) as lib:
        assert library_variant(lib, MODEL) == "fp32"
    # the same model, now with its int8 tower (as if made later, or the model folder copied in)
    shutil.rmtree(paths.models_dir / MODEL)
    shutil.copytree(int8_paths.models_dir / MODEL, paths.models_dir / MODEL)
    assert (paths.models_dir / MODEL / "visual.int8.onnx").is_file()
    outside = _outside(tmp_path)
    loads.clear()
    assert _query(paths, Query.of(images=[outside])) == ("fp32", "visual.onnx")
    assert _query(paths, Query.of("a red circle", images=[outside])) == ("fp32", "visual.onnx")
    assert loads == ["visual.onnx", "visual.onnx"]


def test_an_int8_library_whose_tower_is_gone_falls_back_to_fp32_with_the_indexers_message(
    ordinary_cpu: None,
    shapes_model: Path,
    tmp_path: Path,
    loads: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    paths, folder = _library(tmp_path, shapes_model, 240, seed=5)
    # the model reinstalled: its files as published, the int8 tower and its record gone (a file deleted by hand
    # while the manifest still lists it stops the model loading at all, with the manifest's message)
    shutil.rmtree(paths.models_dir / MODEL)
    shutil.copytree(shapes_model, paths.models_dir / MODEL)
    outside = _outside(tmp_path)
    loads.clear()
    with caplog.at_level(logging.WARNING):
        assert _query(paths, Query.of("a red circle", images=[outside])) == ("fp32", "visual.onnx")
    gone = [r.getMessage() for r in caplog.records if "which is gone; using fp32" in r.getMessage()]
    assert gone == [f"this library was embedded with the int8 tower of {MODEL}, which is gone; using fp32"]
    assert loads == ["visual.onnx"]
    # the indexer says the same and does the same
    caplog.clear()
    shapes.make_library(folder / "more", 2, seed=8, fmt="jpg")
    with caplog.at_level(logging.WARNING), Library(paths, write=True) as lib:
        indexer = Indexer(lib)
        for _ in indexer.run():
            pass
        assert indexer.runtime.image.path.name == "visual.onnx"
    assert any("which is gone; using fp32" in r.getMessage() for r in caplog.records)


def test_the_background_indexer_preloads_the_librarys_tower(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path, loads: list[str]
) -> None:
    """The window's indexing service loads the image tower on its low-priority thread before any work: the one
    that embedded the library (not the fp32 graph, loaded for nothing and then replaced)."""
    from photosearch.indexing.service import IndexingService

    paths, _folder = _library(tmp_path, shapes_model, 240, seed=5)
    loads.clear()
    with Library(paths, write=True) as lib:
        svc = IndexingService(lib, watch=False, read_text=False, pause_on_battery=False)
        svc.start()
        try:
            assert svc.wait_idle(30)
        finally:
            svc.stop()
        assert lib.runtime().image.path.name == "visual.int8.onnx"
    assert loads == ["visual.int8.onnx"]
