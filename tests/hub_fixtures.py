"""Fill the local test hub (``tests/hub_server.py``) from ``tests/fixtures/hub_trees.json``: every repository
of the real hub, file for file at its real path, holding small real models of the repository's layout.

* ``immich``: ``tests/fixtures/layouts/immich-clip`` (tiny CLIP in Immich's export: batch 1, int32 ``text``).
* ``immich-external``: the same with the text tower's weights in an ONNX external-data file
  (``textual/model.onnx_data``), as large Immich exports ship them.
* ``xenova``: ``tests/fixtures/families/clip/model`` (transformers.js layout).
* ``rclip``: the same tiny CLIP with rclip's IO names (``input`` → ``output``) and the REAL vocabulary
  (``tests/fixtures/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz``, the sha256 the registry pins); token ids
  beyond the tiny model's vocabulary are clamped inside the text graph so it runs.

Bytes are built once per process.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tests.hub_server import HubState, fake_commit

FIX = Path(__file__).resolve().parent / "fixtures"
TREES_PATH = FIX / "hub_trees.json"
IMMICH = FIX / "layouts" / "immich-clip"
XENOVA = FIX / "families" / "clip" / "model"
VOCAB = FIX / "clip-tokenizer" / "bpe_simple_vocab_16e6.txt.gz"

_cache: dict[str, dict[str, bytes]] = {}


def hub_trees() -> dict[str, Any]:
    return json.loads(TREES_PATH.read_text(encoding="utf-8"))


def _rename_io(model: Any, old: str, new: str) -> None:
    for v in list(model.graph.input) + list(model.graph.output):
        if v.name == old:
            v.name = new
    for node in model.graph.node:
        for i, n in enumerate(node.input):
            if n == old:
                node.input[i] = new
        for i, n in enumerate(node.output):
            if n == old:
                node.output[i] = new


def _rclip_tower(src: Path, vocab_size: int | None) -> bytes:
    import onnx
    from onnx import TensorProto, helper

    m = onnx.load(str(src))
    inp, out = m.graph.input[0].name, m.graph.output[0].name
    if vocab_size is not None:  # clamp the real vocabulary's ids into the tiny model's table
        _rename_io(m, inp, "clamped_ids")
        m.graph.input[0].name = "input"
        m.graph.initializer.append(helper.make_tensor("vocab_max", TensorProto.INT64, [], [vocab_size - 1]))
        m.graph.node.insert(0, helper.make_node("Min", ["input", "vocab_max"], ["clamped_ids"]))
    else:
        _rename_io(m, inp, "input")
    _rename_io(m, out, "output")
    return bytes(m.SerializeToString())


def _external(src: Path) -> dict[str, bytes]:
    import onnx

    tmp = Path(tempfile.mkdtemp(prefix="hub-ext-"))
    try:
        m = onnx.load(str(src))
        onnx.save_model(
            m,
            str(tmp / "model.onnx"),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location="model.onnx_data",
            size_threshold=0,
        )
        return {
            "model.onnx": (tmp / "model.onnx").read_bytes(),
            "model.onnx_data": (tmp / "model.onnx_data").read_bytes(),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fixture_files(kind: str) -> dict[str, bytes]:
    """{path suffix: bytes} for a fixture kind; a repository path takes the bytes of the longest suffix it ends with."""
    if kind in _cache:
        return _cache[kind]
    if kind == "immich":
        files = {p.relative_to(IMMICH).as_posix(): p.read_bytes() for p in IMMICH.rglob("*") if p.is_file()}
    elif kind == "immich-external":
        files = fixture_files("immich").copy()
        ext = _external(IMMICH / "textual" / "model.onnx")
        files["textual/model.onnx"] = ext["model.onnx"]
        files["textual/model.onnx_data"] = ext["model.onnx_data"]
    elif kind == "xenova":
        files = {p.relative_to(XENOVA).as_posix(): p.read_bytes() for p in XENOVA.rglob("*") if p.is_file()}
    elif kind == "rclip":
        vocab = json.loads((XENOVA / "config.json").read_text())["text_config"]["vocab_size"]
        files = {
            "visual.onnx": _rclip_tower(XENOVA / "onnx" / "vision_model.onnx", None),
            "textual.onnx": _rclip_tower(XENOVA / "onnx" / "text_model.onnx", int(vocab)),
            "tokenizer/bpe_simple_vocab_16e6.txt.gz": VOCAB.read_bytes(),
        }
    else:
        raise KeyError(kind)
    _cache[kind] = files
    return files


def bytes_for(kind: str, path: str) -> bytes:
    files = fixture_files(kind)
    best = max((s for s in files if path == s or path.endswith("/" + s)), key=len, default=None)
    if best is None:
        raise KeyError(f"fixture {kind!r} has nothing for {path!r}")
    return files[best]


def repo_files(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """What the test hub serves for one repository: the real file list, or the assumed one where unknown."""
    return tree["files"] if tree["files_known"] else tree["assumed_files"]


def fill_real_hub(state: HubState) -> None:
    trees = hub_trees()
    for name, tree in trees["repos"].items():
        commit = tree["commit"] or fake_commit(name, "main")
        for f in repo_files(tree):
            state.add(name, f["path"], bytes_for(tree["fixture"], f["path"]), revision=commit, lfs=f["lfs"])
        repo = state.repos[name]
        repo.refs["main"] = commit
        if tree.get("main_differs"):  # main moved on since the pinned commit: some files have other bytes
            head = fake_commit(name, "main", "re-export")
            repo.commits[head] = dict(repo.commits[commit])
            for p in tree["main_differs"]:
                old = repo.commits[commit][p]
                repo.commits[head][p] = type(old)(old.data + b"\n", old.lfs)
            repo.refs["main"] = head


def native_registry(
    tmp_path: Path, pkg: Path, model_id: str, repo: str, *, dim: int = 16, name: str = "Tiny served model"
) -> Path:
    """A registry file (``tmp_path/registry.json``) with one entry, ``model_id``: the photosearch package ``pkg``
    served from ``repo`` on the local hub under the folder ``model_id``, every file's size and sha256 pinned."""
    files = [
        {
            "path": f"{model_id}/{p.name}",
            "size": p.stat().st_size,
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
        }
        for p in sorted(pkg.iterdir())
    ]
    entry = {
        "id": model_id,
        "name": name,
        "family": "clip",
        "layout": "photosearch",
        "hub_repo": repo,
        "subfolder": model_id,
        "files": files,
        "licence": "MIT",
        "commercial_use": True,
        "languages": ["en"],
        "embedding_dim": dim,
    }
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"format": "photosearch-registry/1", "default": model_id, "models": [entry]}))
    return path
