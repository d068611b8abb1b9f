"""What an ONNX file holds, read without loading it: its operator types (straight from the protobuf wire
format) and whether it is a quantised graph. The encoders use it to choose a backend for the image tower."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Operators that only quantised (int8) ONNX graphs contain. OpenVINO runs such graphs several times
# slower than ONNX Runtime's int8 kernels here, so "auto" keeps them on ONNX Runtime.
_QUANTISED_OPS = frozenset(
    {
        "MatMulInteger",
        "DynamicQuantizeLinear",
        "QLinearMatMul",
        "QLinearConv",
        "ConvInteger",
        "QuantizeLinear",
        "DequantizeLinear",
        "MatMulNBits",
    }
)


def is_quantised_onnx(path: Path) -> bool:
    """Whether an ONNX graph contains quantised (int8/int4) operators."""
    try:
        return bool(onnx_op_types(path) & _QUANTISED_OPS)
    except (OSError, ValueError) as e:
        log.info("can't read the operators of %s (%s)", path, e)
        return False


def onnx_op_types(path: Path) -> set[str]:
    """The operator types of an ONNX model's main graph, read straight from the protobuf wire format.

    Walks ModelProto.graph (field 7) → GraphProto.node (1) → NodeProto.op_type (4), seeking over
    everything else (weights included): a few ms for a 350 MB model. (A byte scan of the whole file for
    operator names took ≈ 0.7 s and held the GIL, stalling the GUI.)"""
    ops: set[str] = set()
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        for field, start, length in _pb_fields(f, 0, end):
            if field != 7:
                continue
            for gfield, nstart, nlen in _pb_fields(f, start, start + length):
                if gfield != 1:
                    continue
                for nfield, ostart, olen in _pb_fields(f, nstart, nstart + nlen):
                    if nfield == 4:
                        f.seek(ostart)
                        ops.add(f.read(olen).decode("utf-8", "replace"))
    return ops


def _pb_varint(f: Any) -> int:
    shift = value = 0
    while True:
        b = f.read(1)
        if not b:
            raise ValueError("truncated ONNX file")
        value |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise ValueError("not an ONNX file (bad varint)")


def _pb_fields(f: Any, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(field number, payload offset, payload length) of each length-delimited field in [start, end)."""
    pos = start
    while pos < end:
        f.seek(pos)
        key = _pb_varint(f)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _pb_varint(f)
            pos = f.tell()
        elif wire == 1:
            pos = f.tell() + 8
        elif wire == 5:
            pos = f.tell() + 4
        elif wire == 2:
            n = _pb_varint(f)
            payload = f.tell()
            if payload + n > end:
                raise ValueError("not an ONNX file (field runs past its message)")
            yield field, payload, n
            pos = payload + n
        else:
            raise ValueError(f"not an ONNX file (wire type {wire})")
