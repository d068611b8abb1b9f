"""ONNX graph inspection and batch-axis surgery for the import adapters: input/output names, dtypes and
fixed or symbolic axes read from the graph; a fixed batch axis made dynamic only when batch-8 output provably
equals batch-1 output."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

BATCH_CHECK = 8
BATCH_TOLERANCE = 1e-4  # max |batch-8 − batch-1| relative to the output scale
_ONNX_DTYPES = {1: "float32", 10: "float16", 6: "int32", 7: "int64"}


@dataclass(frozen=True)
class IO:
    name: str
    dtype: str
    dims: tuple[int | str | None, ...]


def graph_io(path: Path) -> tuple[list[IO], list[IO]]:
    from photosearch.models.onnx_refs import load_graph

    model = load_graph(path)
    init = {i.name for i in model.graph.initializer}

    def conv(vi: Any) -> IO:
        t = vi.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim)
        return IO(vi.name, _ONNX_DTYPES.get(t.elem_type, str(t.elem_type)), dims)

    return [conv(i) for i in model.graph.input if i.name not in init], [conv(o) for o in model.graph.output]


def make_batch_dynamic(src: Path, dst: Path) -> bool:
    """Write a copy of ``src`` whose inputs' and outputs' first axis is symbolic ('batch'). False when
    the graph has no fixed batch axis to change."""
    import onnx

    model = onnx.load(str(src))
    changed = False
    for vi in list(model.graph.input) + list(model.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) and dims[0].HasField("dim_value"):
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "batch"
            changed = True
    if not changed:
        return False
    del model.graph.value_info[:]  # stale intermediate shapes would pin the batch again
    onnx.save(model, str(dst))
    return True


def session(path: Path) -> Any:  # an onnxruntime.InferenceSession
    """A CPU session; a model onnxruntime cannot load gives a plain one-line ManifestError."""
    import onnxruntime as ort

    from photosearch.errors import ManifestError

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 2
    try:
        return ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own types
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ManifestError(
            f"{Path(path).name} cannot be loaded as a model (truncated or damaged?): {first}"
        ) from None


def run_rows(sess: Any, output: str, feeds: dict[str, np.ndarray], batch: int) -> np.ndarray:
    n = len(next(iter(feeds.values())))
    outs = []
    for s in range(0, n, batch):
        outs.append(
            np.asarray(
                sess.run([output], {k: v[s : s + batch] for k, v in feeds.items()})[0], dtype=np.float32
            ).reshape(min(batch, n - s), -1)
        )
    return np.concatenate(outs)


def batch_equivalence(path: Path, output: str, feeds: dict[str, np.ndarray]) -> float:
    """Max |batched − one-at-a-time| over the rows of ``feeds``, relative to the output's scale
    (raises on a graph that can't run batched)."""
    sess = session(path)
    one = run_rows(sess, output, feeds, 1)
    many = run_rows(sess, output, feeds, len(one))
    scale = max(float(np.abs(one).max()), 1e-6)
    return float(np.abs(one - many).max()) / scale


def try_dynamic_batch(path: Path, output: str, feeds: dict[str, np.ndarray]) -> tuple[bool, str]:
    """Make ``path``'s batch axis dynamic in place if that provably works. Returns (dynamic, note)."""
    ins, _ = graph_io(path)
    if ins and ins[0].dims and not isinstance(ins[0].dims[0], int):
        try:
            diff = batch_equivalence(path, output, feeds)
        except Exception as e:  # onnxruntime raises its own types
            return False, f"declared dynamic batch fails to run batched ({e}); fed one at a time"
        if diff <= BATCH_TOLERANCE:
            return True, f"dynamic batch (batch-{BATCH_CHECK} vs batch-1 max rel diff {diff:.2e})"
        return (
            False,
            f"declared dynamic batch gives different results batched ({diff:.2e}); fed one at a time",
        )
    tmp = path.with_name(path.name + ".dyn")
    try:
        if not make_batch_dynamic(path, tmp):
            return False, "fixed batch"
        diff = batch_equivalence(tmp, output, feeds)
    except Exception as e:
        tmp.unlink(missing_ok=True)
        log.info("%s: batch axis can't be made dynamic: %s", path.name, e)
        return False, f"fixed batch 1 (graph doesn't allow a dynamic batch: {str(e)[:200]})"
    if diff > BATCH_TOLERANCE:
        tmp.unlink(missing_ok=True)
        return False, f"fixed batch 1 (batched output differs: {diff:.2e})"
    tmp.replace(path)
    return True, f"batch axis made dynamic; batch-{BATCH_CHECK} vs batch-1 max rel diff {diff:.2e}"
