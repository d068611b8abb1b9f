"""An int8 image tower made here from the shapes test model, calibrated on photos of its own kind: as good as
fp32 for retrieval on photos calibration never saw (10 nearest neighbours and text queries' top 10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from models.tools import shapes
from photosearch.models.encoders import ModelRuntime
from photosearch.models.quantize import batches_of, neighbour_overlap, quantize_image_tower, query_recall


def _norm(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_int8_tower_keeps_neighbours_and_query_results(shapes_model: Path, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(shapes_model, pkg)
    rt = ModelRuntime.from_path(pkg)
    photos = np.stack(
        [rt.preprocessor.to_tensor(shapes.render(s, 128)) for s in shapes.balanced_specs(600, seed=3)]
    )
    calib, held = photos[:240], photos[240:]
    report = quantize_image_tower(
        pkg / "visual.onnx", pkg / "visual.int8.onnx", "pixel_values", batches_of(list(calib))
    )
    assert report.calibration_photos == 240 and len(report.kept_fp32) == 2
    ops = {n.op_type for n in onnx.load(str(report.path)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops

    fp32 = _norm(rt.image.encode_tensors(held))
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    int8 = _norm(
        np.concatenate(
            [session.run(None, {"pixel_values": held[i : i + 60]})[0] for i in range(0, len(held), 60)]
        )
    )
    texts = _norm(rt.text.encode([shapes.caption(s) for s in shapes.balanced_specs(120, seed=9)]))
    assert neighbour_overlap(fp32, int8) >= 0.95
    assert query_recall(fp32, int8, texts) >= 0.95
    assert neighbour_overlap(fp32, fp32) == 1.0 and query_recall(fp32, fp32, texts) == 1.0


def test_overlap_measures() -> None:
    rng = np.random.default_rng(0)
    a = _norm(rng.normal(size=(50, 8)))
    noise = _norm(a + rng.normal(scale=5.0, size=a.shape))
    assert neighbour_overlap(a, noise) < 0.6
    assert list(map(len, batches_of([np.zeros(2)] * 19, size=8))) == [8, 8]
    assert list(map(len, batches_of([np.zeros(2)] * 5, size=8))) == [5]
