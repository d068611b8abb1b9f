"""What an ONNX file needs besides itself: its external-data files, read from the graph without loading
any weights. A reference that leaves the model's folder is refused; a truncated or damaged file gives a
plain one-line error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from photosearch.errors import ManifestError
from photosearch.models.registry import safe_relpath


def load_graph(path: Path) -> Any:
    """The graph of an ONNX file without its external weights; a plain one-line error when it is not one."""
    import onnx

    if not Path(path).is_file():
        raise ManifestError(f"{Path(path).name} is missing")

    try:
        return onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises DecodeError, onnx its own types
        raise ManifestError(
            f"{path.name} is not a complete ONNX model (truncated or damaged: {type(e).__name__})"
        ) from None


def _tensors(graph: Any) -> list[Any]:
    out = list(graph.initializer)
    for node in graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                out.append(a.t)
            out.extend(a.tensors)
            if a.HasField("g"):
                out.extend(_tensors(a.g))
            for g in a.graphs:
                out.extend(_tensors(g))
    return out


def external_data_refs(path: str | Path) -> list[str]:
    """The external-data files ``path`` refers to, relative to its folder (sorted, no duplicates)."""
    import onnx

    path = Path(path)
    model = load_graph(path)
    refs: set[str] = set()
    for t in _tensors(model.graph):
        if t.data_location != onnx.TensorProto.EXTERNAL:
            continue
        loc = next((e.value for e in t.external_data if e.key == "location"), None)
        if not loc:
            raise ManifestError(f"{path.name}: a tensor is stored outside the file but names no location")
        try:
            refs.add(safe_relpath(loc, "external-data file"))
        except ManifestError:
            raise ManifestError(
                f"{path.name} refers to weights outside its folder ({loc!r}): refused"
            ) from None
    return sorted(refs)


def check_onnx_complete(path: str | Path) -> list[str]:
    """Refuse a truncated ONNX file or one whose external-data files are missing; return the references."""
    path = Path(path)
    refs = external_data_refs(path)
    for r in refs:
        if not (path.parent / r).is_file():
            raise ManifestError(f"{path.name} needs its weights file {r}, which is not next to it")
    return refs
