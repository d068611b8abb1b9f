"""An int8 image tower made on this machine: static QDQ quantisation of a model's fp32 vision graph, calibrated
on the person's own photos, and the two figures that say whether it is as good as fp32 for retrieval.

Static quantisation (ONNX Runtime's ``quantize_static``): activations get fixed int8 ranges measured on the
calibration photos (percentile calibration, so one bright outlier does not stretch a range), weights are
int8 per output channel, and the layers most sensitive to rounding stay fp32 — the patch embedding (the first
Conv, whose inputs are raw pixels) and the final projection into the embedding space. On CPUs with VNNI (and
on any AVX2 CPU, more slowly) ONNX Runtime runs the int8 MatMuls with integer kernels.

Quality is judged on what retrieval uses, not on a raw cosine: ``neighbour_overlap`` (each photo's 10 nearest
neighbours under int8 against fp32) and ``query_recall`` (text queries' top 10 under int8 against fp32).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import logging
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

QUANTISED_OPS = ["MatMul", "Gemm", "Conv"]
PERCENTILE = 99.99  # activation ranges cut at the 0.005th and 99.995th percentiles


@dataclass(frozen=True)
class QuantReport:
    path: Path
    calibration_photos: int
    kept_fp32: tuple[str, ...]  # node names left in fp32


def _nodes_to_keep(model_path: Path) -> list[str]:
    """Nodes left in fp32: the first Conv/MatMul on the pixel path (the patch embedding), the last MatMul/Gemm
    (the projection into the embedding space), and every MatMul between two activations (attention's
    query·key and weights·value: both sides rounded, tiny compute) — on the random ViT-B-32-256 these took
    text recall@10 against fp32 from 0.957 to the figure in ``benchmarks/README.md``."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    weights = {t.name for t in graph.initializer}
    constants = {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    heavy = [n for n in graph.node if n.op_type in QUANTISED_OPS]
    keep: list[str] = []
    if heavy:
        keep.append(heavy[0].name)
        if heavy[-1].name != heavy[0].name:
            keep.append(heavy[-1].name)
    for n in heavy:
        if n.op_type == "MatMul" and not any(i in weights or i in constants for i in n.input):
            keep.append(n.name)
    return list(dict.fromkeys(k for k in keep if k))


def lean_session(path: Path) -> Any:
    """An ONNX Runtime CPU session that holds its weights once: no prepacked copies of the MatMul weights and
    no memory arena (the session's buffers go back to the allocator between runs). For the one-off runs of
    making the tower — the fp32 reference, judging — where memory matters more than a few percent of speed."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.enable_cpu_mem_arena = False
    so.add_session_config_entry("session.disable_prepacking", "1")
    return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the system (glibc's ``malloc_trim``): after a stage that
    held a copy of the model, the memory it freed would otherwise stay in this process's heap."""
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def pre_process(model_path: Path, workdir: Path) -> Path:
    """What ONNX Runtime's ``quant_pre_process`` makes of ``model_path`` (its basic graph optimisations, then
    ONNX shape inference, tagged as pre-processed) — the same graph, made with one copy of the weights in
    memory instead of three (≈ 1.1 GB peak for a ViT-B/32): the optimising session runs without prepacking
    and writes the weights to a side file, and shape inference works on the graph without them."""
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization.quant_utils import add_pre_process_metadata

    optimised = workdir / "optimised.onnx"
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.enable_cpu_mem_arena = False
    so.add_session_config_entry("session.disable_prepacking", "1")
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(optimised)
    so.add_session_config_entry("session.optimized_model_external_initializers_file_name", "weights.bin")
    ort.InferenceSession(str(model_path), sess_options=so, providers=["CPUExecutionProvider"])
    release_memory()
    model = onnx.shape_inference.infer_shapes(onnx.load(str(optimised), load_external_data=False))
    add_pre_process_metadata(model)
    out = workdir / "prepared.onnx"  # beside weights.bin, which its initializers name
    onnx.save(model, str(out))
    return out


def calibrate(
    model_path: Path, input_name: str, batches: Iterable[np.ndarray], workdir: Path
) -> tuple[Path, int]:
    """Activation ranges of ``model_path``'s quantisable tensors over ``batches``, written where
    ``quantize_static`` reads a calibration cache; returns (that file, photos seen).

    ONNX Runtime's own percentile calibrator, driven one batch at a time, so that memory stays bounded: the
    model copy it loads is dropped once the augmented graph (every tensor to calibrate made an output) is
    written with its weights in a side file; that graph runs without a memory arena; each batch's outputs
    are folded into the running histograms and dropped before the next batch is read (the batches themselves
    are produced lazily). The ranges are those ``quantize_static`` would compute over the same batches."""
    import onnxruntime as ort
    from onnxruntime.quantization.calibrate import PercentileCalibrater, save_tensors_data

    augmented = workdir / "augmented.onnx"
    calibrator = PercentileCalibrater(
        model_path,
        QUANTISED_OPS,
        augmented_model_path=str(augmented),
        use_external_data_format=True,
        symmetric=False,
        num_bins=2048,
        percentile=PERCENTILE,
    )
    calibrator.augment_graph()
    calibrator.model = None  # the in-memory copy of the weights: the session reads them from the side file
    release_memory()
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.enable_cpu_mem_arena = False  # prepacked weights kept: ONNX Runtime's own calibrator's arithmetic
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # every tensor stays as named
    calibrator.infer_session = ort.InferenceSession(
        str(augmented), sess_options=so, providers=["CPUExecutionProvider"]
    )
    seen = 0
    with contextlib.redirect_stdout(io.StringIO()):  # the collector prints its progress
        for batch in batches:
            feed = np.ascontiguousarray(batch, dtype=np.float32)
            calibrator.collect_data(_OneBatch(input_name, feed))
            seen += len(feed)
            del feed
        ranges = calibrator.compute_data()
    calibrator.infer_session = None
    del calibrator
    release_memory()
    out = workdir / "ranges.json"
    save_tensors_data(ranges, out)
    return out, seen


class _OneBatch:
    """ONNX Runtime's CalibrationDataReader protocol over one batch."""

    def __init__(self, input_name: str, batch: np.ndarray) -> None:
        self._feed: dict[str, np.ndarray] | None = {input_name: batch}

    def get_next(self) -> dict[str, np.ndarray] | None:
        feed, self._feed = self._feed, None
        return feed


def quantize_image_tower(
    fp32_path: Path,
    out_path: Path,
    input_name: str,
    batches: Iterable[np.ndarray],
    per_channel: bool = True,
    preprocess: bool = True,
) -> QuantReport:
    """Write an int8 QDQ copy of ``fp32_path`` to ``out_path`` (atomically), calibrated on ``batches``
    (float32 NCHW, preprocessed exactly as the fp32 model expects; read one at a time).

    In stages, each dropping its copy of the model before the next: calibration (:func:`calibrate`), then
    ``quantize_static`` reading those ranges from its calibration cache; before both, ONNX Runtime's
    pre-processing (:func:`pre_process`)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    keep = _nodes_to_keep(fp32_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
        prepared = fp32_path
        if preprocess:
            try:
                prepared = pre_process(fp32_path, Path(tmp))
            except Exception as e:  # pre-processing is an optimisation; quantise the graph as it is
                log.info("quantisation pre-processing skipped: %s", e)
        release_memory()
        ranges, seen = calibrate(prepared, input_name, batches, Path(tmp))
        partial = Path(tmp) / "int8.onnx"
        with contextlib.redirect_stdout(io.StringIO()):
            quantize_static(
                str(prepared),
                str(partial),
                None,  # the ranges come from the calibration cache written above
                quant_format=QuantFormat.QDQ,
                op_types_to_quantize=QUANTISED_OPS,
                per_channel=per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.Percentile,
                nodes_to_exclude=keep,
                calibration_cache_path=str(ranges),
                extra_options={"CalibPercentile": PERCENTILE, "CalibTensorRangeSymmetric": False},
            )
        release_memory()
        partial.replace(out_path)
    return QuantReport(out_path, seen, tuple(keep))


def _topk(sim: np.ndarray, k: int, exclude_self: bool) -> np.ndarray:
    if exclude_self:
        sim = sim.copy()
        np.fill_diagonal(sim, -np.inf)
    k = min(k, sim.shape[1] - (1 if exclude_self else 0))
    part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    return part


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    return (
        float(np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(a, b, strict=True)])) if len(a) else 1.0
    )


def neighbour_overlap(reference: np.ndarray, candidate: np.ndarray, k: int = 10) -> float:
    """Mean share of each photo's ``k`` nearest neighbours (itself left out) that ``candidate`` embeddings
    keep, against ``reference`` embeddings of the same photos (rows L2-normalised)."""
    ref = _topk(reference @ reference.T, k, exclude_self=True)
    cand = _topk(candidate @ candidate.T, k, exclude_self=True)
    return _overlap(ref, cand)


def query_recall(reference: np.ndarray, candidate: np.ndarray, queries: np.ndarray, k: int = 10) -> float:
    """Recall@k of ``candidate`` against ``reference`` for ``queries`` (e.g. text embeddings): the share of
    each query's top ``k`` under the reference that the candidate also ranks in its top ``k``."""
    return _overlap(_topk(queries @ reference.T, k, False), _topk(queries @ candidate.T, k, False))


def batches_of(items: Sequence[np.ndarray], size: int = 8) -> Iterator[np.ndarray]:
    """Equal batches (the calibrator stacks them; a short last batch is dropped unless it is the only one)."""
    full = len(items) - len(items) % size if len(items) >= size else len(items)
    for i in range(0, full, size):
        yield np.stack(items[i : i + size])
