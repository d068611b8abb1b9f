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
import io
import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

QUANTISED_OPS = ["MatMul", "Gemm", "Conv"]


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


class _Reader:
    """ONNX Runtime's CalibrationDataReader over batches of preprocessed pixels, read one batch per
    ``set_range`` so that the calibrator folds each batch into its histograms at once (held as float16)."""

    def __init__(self, input_name: str, batches: Iterable[np.ndarray]) -> None:
        self.input_name = input_name
        self._batches = [np.asarray(b, dtype=np.float16) for b in batches]
        self._pos = self._end = 0
        self.count = 0

    def __len__(self) -> int:
        return len(self._batches)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._pos, self._end = start_index, min(end_index, len(self._batches))

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._pos >= self._end:
            return None
        batch = self._batches[self._pos]
        self._pos += 1
        self.count += len(batch)
        return {self.input_name: np.ascontiguousarray(batch, dtype=np.float32)}

    def rewind(self) -> None:  # part of the reader protocol; one pass is all calibration needs
        self._pos = 0


def quantize_image_tower(
    fp32_path: Path,
    out_path: Path,
    input_name: str,
    batches: Iterable[np.ndarray],
    per_channel: bool = True,
    preprocess: bool = True,
) -> QuantReport:
    """Write an int8 QDQ copy of ``fp32_path`` to ``out_path`` (atomically), calibrated on ``batches``
    (float32 NCHW, preprocessed exactly as the fp32 model expects)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    keep = _nodes_to_keep(fp32_path)
    reader = _Reader(input_name, batches)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_path.parent) as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        try:
            if not preprocess:
                raise RuntimeError("not asked for")
            quant_pre_process(str(fp32_path), str(prepared), skip_symbolic_shape=True)
        except Exception as e:  # pre-processing is an optimisation; quantise the graph as it is
            log.info("quantisation pre-processing skipped: %s", e)
            prepared = fp32_path
        partial = Path(tmp) / "int8.onnx"
        with contextlib.redirect_stdout(io.StringIO()):  # the calibrator prints its percentile settings
            quantize_static(
                str(prepared),
                str(partial),
                reader,
                quant_format=QuantFormat.QDQ,
                op_types_to_quantize=QUANTISED_OPS,
                per_channel=per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.Percentile,
                nodes_to_exclude=keep,
                # one batch at a time ("strided" collection works for every calibrator): ONNX Runtime's
                # histogram calibrators otherwise keep every batch's intermediate tensors until the end
                # (a ViT-B/32 over 128 photos peaked at 8.5 GB RSS)
                extra_options={
                    "CalibPercentile": 99.99,
                    "CalibTensorRangeSymmetric": False,
                    "CalibStridedMinMax": 1,
                },  # fmt: skip
            )
        partial.replace(out_path)
    return QuantReport(out_path, reader.count, tuple(keep))


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
