"""Making the int8 image tower at a model's first index writes a copy of the model beside it: when that write
fails (a full disk, a file-size limit), indexing goes on in fp32 instead of stopping with a traceback."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from photosearch.indexing import variant_step
from photosearch.indexing.variant_step import library_variant
from photosearch.library.library import Library
from photosearch.models.manifest import load_package
from photosearch.models.variants import int8_record
from tests.unit.test_int8_variant import MODEL, _index, _library


def test_a_tower_that_cannot_be_written_leaves_the_library_in_fp32(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths, folder = _library(tmp_path, shapes_model, 60, seed=6)
    model_files = sorted(p.name for p in (paths.models_dir / MODEL).iterdir())
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, limit[1]))
    try:
        calls, seen = _index(paths, folder)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
    assert variant_step.MAKING_MESSAGE in seen  # it was tried
    assert seen[-2:] == ["fp32", "visual.onnx"] and calls == 60
    assert any(variant_step.NOT_MADE in m for m in seen), seen
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(variant_step.NOT_MADE in w for w in warned), warned
    assert not any("Wire format" in w or "Error" in w for w in warned), warned  # the decoder's words: INFO
    assert int8_record(load_package(paths.models_dir / MODEL)) is None  # tried again in another library
    assert sorted(p.name for p in (paths.models_dir / MODEL).iterdir()) == model_files  # nothing half-made
    with Library(paths) as lib:
        assert library_variant(lib, MODEL) == "fp32"
        assert lib.catalog.counts_by_status()["indexed"] == 60
