"""The int8 image tower made at a model's first index, from the library's own first photos: recorded with its
measured quality in the installed manifest, used for every photo of that library (none embedded in fp32), not
made again, and never mixed into a library that was embedded in fp32; `models list` and `doctor` say which
variant runs and why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from models.tools import shapes
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.indexing.variant_step import library_variant
from photosearch.library.library import Library
from photosearch.models.manifest import load_package
from photosearch.models.variants import GOAL_OVERLAP, GOAL_RECALL, int8_record

MODEL = "shapes-tiny"


def _library(
    tmp: Path, shapes_model: Path, photos: int, seed: int, own_queries: bool = True
) -> tuple[Paths, Path]:
    paths = Paths.resolve(tmp / "data")
    paths.ensure()
    shutil.copytree(shapes_model, paths.models_dir / MODEL)
    if own_queries:  # the shapes model understands drawn shapes only: it names queries it understands
        mpath = paths.models_dir / MODEL / "manifest.json"
        m = json.loads(mpath.read_text())
        m.setdefault("extra", {})["probe_queries"] = [
            shapes.caption(s) for s in shapes.balanced_specs(60, seed=11)
        ]
        mpath.write_text(json.dumps(m))
    folder = tmp / f"photos-{seed}"
    shapes.make_library(folder, photos, seed=seed, fmt="jpg")
    return paths, folder


def _index(paths: Paths, folder: Path) -> tuple[int, list[str]]:
    with Library(paths, write=True) as lib:
        lib.set_active_model(MODEL)
        lib.add_folder(folder)
        indexer = Indexer(lib)
        messages = [p.message for p in indexer.run() if p.message]
        rt = indexer.runtime
        return rt.image.calls, [*messages, rt.image.variant, rt.image.path.name]


def test_first_index_makes_the_int8_tower_and_embeds_everything_with_it(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path
) -> None:
    paths, folder = _library(tmp_path, shapes_model, 240, seed=5)
    calls, seen = _index(paths, folder)
    rec = int8_record(load_package(paths.models_dir / MODEL))
    assert (
        rec is not None
        and rec.judged_photos == 240
        and rec.calibration_photos == 200
        and rec.held_out_photos == 40
    )
    assert rec.held_out_overlap_10 is not None and rec.held_out_recall_10 is not None
    assert rec.made_on.startswith("test CPU")
    assert rec.accepted == (rec.neighbour_overlap_10 >= GOAL_OVERLAP and rec.text_recall_10 >= GOAL_RECALL)
    assert rec.accepted, rec.summary  # the shapes model quantises well (tests/unit/test_quantize.py)
    assert any("int8 image encoder" in m for m in seen)
    assert seen[-2:] == ["int8", "visual.int8.onnx"]
    assert calls == 240  # every photo embedded once, by the int8 tower: no fp32 vector was stored
    manifest = json.loads((paths.models_dir / MODEL / "manifest.json").read_text())
    assert manifest["extra"]["variants"]["int8"]["file"] == "visual.int8.onnx"
    assert "visual.int8.onnx" in manifest["files"]  # verified like every other model file
    load_package(paths.models_dir / MODEL, verify="sha256")
    with Library(paths) as lib:
        assert library_variant(lib, MODEL) == "int8"
        assert lib.catalog.count_embeddings(MODEL) == 240
        from photosearch.app.models import list_models

        row = list_models(paths, lib).installed[0]
        assert row.runs.startswith("int8 on CPU") and "VNNI" in row.runs and "overlap" in row.runs
        assert row.int8 is not None and row.int8["accepted"]
    # the next index adds photos with the same tower and does not make it again
    more = tmp_path / "photos-5" / "more"
    shapes.make_library(more, 4, seed=6, fmt="jpg")
    stamp = (paths.models_dir / MODEL / "visual.int8.onnx").stat().st_mtime_ns
    calls, seen = _index(paths, tmp_path / "photos-5")
    assert calls == 4 and seen[-1] == "visual.int8.onnx" and not any("int8 image" in m for m in seen)
    assert (paths.models_dir / MODEL / "visual.int8.onnx").stat().st_mtime_ns == stamp


def test_a_tower_that_fails_the_quality_goals_is_refused_and_fp32_runs(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path
) -> None:
    # everyday queries ("a photo of a dog") all look alike to the shapes model: their top 10 hang on tiny
    # differences, which int8 rounding reorders — recall@10 falls under the goal
    paths, folder = _library(tmp_path, shapes_model, 240, seed=5, own_queries=False)
    calls, seen = _index(paths, folder)
    rec = int8_record(load_package(paths.models_dir / MODEL))
    assert rec is not None and not rec.accepted and rec.text_recall_10 < GOAL_RECALL and rec.file is None
    assert seen[-2:] == ["fp32", "visual.onnx"] and calls == 240
    assert not (paths.models_dir / MODEL / "visual.int8.onnx").exists()
    with Library(paths) as lib:
        from photosearch.app.models import list_models

        runs = list_models(paths, lib).installed[0].runs
        assert runs.startswith("fp32 on CPU") and "refused" in runs and f"{rec.text_recall_10:.3f}" in runs


def test_a_library_embedded_in_fp32_stays_fp32(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, folder = _library(tmp_path, shapes_model, 12, seed=7)  # too few photos to judge an int8 tower
    calls, seen = _index(paths, folder)
    assert (
        seen[-2:] == ["fp32", "visual.onnx"] and int8_record(load_package(paths.models_dir / MODEL)) is None
    )
    shapes.make_library(folder / "more", 60, seed=8, fmt="jpg")
    calls, seen = _index(paths, folder)
    assert calls == 60 and seen[-2:] == ["fp32", "visual.onnx"]  # never mixed into this library's index
    with Library(paths) as lib:
        assert library_variant(lib, MODEL) == "fp32"
        from photosearch.app.models import list_models

        assert "embedded in fp32" in list_models(paths, lib).installed[0].runs


def test_doctor_prints_the_choice_and_a_speed_self_test(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path
) -> None:
    from photosearch.app.doctor import machine as doctor_machine

    paths, _folder = _library(tmp_path, shapes_model, 1, seed=9)
    with Library(paths, write=True) as lib:
        lib.set_active_model(MODEL)
    plain = doctor_machine(paths)
    text = "\n".join(plain.lines())
    assert (
        "test CPU" in text and "AVX-512 VNNI" in text and "image encoder (shapes-tiny): fp32 on CPU" in text
    )
    assert plain.photos_per_s is None
    timed = doctor_machine(paths, speed_seconds=0.5)
    assert timed.photos_per_s is not None and timed.photos_per_s > 0 and timed.photos >= 16
    assert "speed self-test" in "\n".join(timed.lines()) and timed.ran == "fp32 on onnxruntime"
    assert not any(p.name.startswith(".speed-test-") for p in paths.data_dir.iterdir())  # cleaned up
    assert np.isfinite(timed.photos_per_s)


def test_the_tower_is_not_made_when_memory_is_short(
    ordinary_cpu: None, shapes_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Making the tower needs memory for a copy of the model: with less than 1.5 GB free, the library stays fp32."""
    from photosearch.indexing import variant_step

    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:  4000000 kB\nMemAvailable:  1500000 kB\n")
    assert variant_step.memory_available(str(meminfo)) == 1500000 * 1024
    monkeypatch.setattr(variant_step, "memory_available", lambda: 1500000 * 1024)
    paths, folder = _library(tmp_path, shapes_model, 60, seed=6)
    _calls, seen = _index(paths, folder)
    assert int8_record(load_package(paths.models_dir / MODEL)) is None
    assert variant_step.MAKING_MESSAGE not in seen and "visual.onnx" in seen
