"""Finishing an adapted model folder: probe both graphs on real inputs, make batch axes dynamic where that
provably changes nothing, check the output sizes agree, and write the validated manifest."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from photosearch.errors import ManifestError
from photosearch.models.manifest import MANIFEST_NAME, file_entries, load_package, parse_manifest
from photosearch.models.onnx_graph import BATCH_CHECK, BATCH_TOLERANCE, session, try_dynamic_batch
from photosearch.models.onnx_refs import check_onnx_complete

log = logging.getLogger(__name__)


def model_files(root: Path, name: str) -> list[str]:
    """An ONNX file and the external-data files it refers to (relative to ``root``)."""
    folder = Path(name).parent
    return [name, *[(folder / r).as_posix() for r in check_onnx_complete(root / name)]]


_PROBE_TEXTS = [
    "a photo of a dog",
    "kids on a beach at sunset",
    "a red car",
    "snow",
    "a bowl of soup on a wooden table next to a window",
    "Zwei Katzen",
    "night city lights",
    "x",
]


def finish(out: Path, m: dict[str, Any], make_dynamic: bool) -> None:
    from photosearch.models.manifest import TextSpec  # noqa: F401 - parse via parse_manifest below
    from photosearch.models.tokenize import TextTokenizer

    m.setdefault("format", "photosearch-model/1")
    m.setdefault("languages", ["en"])
    m.setdefault("commercial_use", True)
    notes: dict[str, str] = {}
    v, t = m["vision"], m["text"]
    rng = np.random.default_rng(0)

    # vision feeds: 8 random normalised images
    s = int(v["image_size"])
    vdtype = np.float16 if v["input"]["dtype"] == "float16" else np.float32
    vfeeds = {v["input"]["name"]: rng.standard_normal((BATCH_CHECK, 3, s, s)).astype(vdtype)}
    # text feeds from the real tokenizer
    files = [*model_files(out, v["file"]), *model_files(out, t["file"]), t["tokenizer"]]
    m["files"] = file_entries(out, files)
    spec = parse_manifest(m).text
    tok = TextTokenizer(spec, out / "tokenizer.json")
    ids, mask = tok.encode(_PROBE_TEXTS, pad_to_context=True)
    np_dt = {"int32": np.int32, "int64": np.int64}
    tfeeds = {t["input_ids"]["name"]: ids.astype(np_dt[t["input_ids"]["dtype"]])}
    if t["attention_mask"]:
        tfeeds[t["attention_mask"]["name"]] = mask.astype(np_dt[t["attention_mask"]["dtype"]])

    external = len(files) > 3
    if make_dynamic and not external:
        v["dynamic_batch"], notes["vision_batch"] = try_dynamic_batch(
            out / v["file"], v["output"]["name"], vfeeds
        )
        t["dynamic_batch"], notes["text_batch"] = try_dynamic_batch(
            out / t["file"], t["output"]["name"], tfeeds
        )
    else:
        if external:
            notes["external_data"] = "weights in ONNX external-data files: batch axes left as published"
        v["dynamic_batch"] = bool(v["dynamic_batch"])
        t["dynamic_batch"] = bool(t["dynamic_batch"])

    vsess = session(out / v["file"])
    emb = np.asarray(vsess.run([v["output"]["name"]], {k: x[:1] for k, x in vfeeds.items()})[0])
    dim = int(emb.reshape(1, -1).shape[1])
    if m.get("embedding_dim") and int(m["embedding_dim"]) != dim:
        raise ManifestError(
            f"{out}: config says embedding_dim {m['embedding_dim']}, the image model outputs {dim}"
        )
    tsess = session(out / t["file"])
    temb = np.asarray(tsess.run([t["output"]["name"]], {k: x[:1] for k, x in tfeeds.items()})[0])
    if int(temb.reshape(1, -1).shape[1]) != dim:
        raise ManifestError(
            f"{out}: the text model outputs {temb.reshape(1, -1).shape[1]} numbers per text, the "
            f"image model {dim}: they cannot be compared"
        )
    m["embedding_dim"] = dim

    if t["dynamic_sequence"]:
        t["dynamic_sequence"], notes["text_sequence"] = _check_padding(out / t["file"], t, tok)
    m["files"] = file_entries(out, files)
    extra = dict(m.get("extra") or {})
    extra["import_checks"] = notes
    m["extra"] = extra
    parse_manifest(m)  # validate before writing
    (out / MANIFEST_NAME).write_text(json.dumps(m, indent=2) + "\n", encoding="utf-8")
    load_package(out, verify="size")
    log.info("adapted %s: %s", m["id"], notes)


def _check_padding(path: Path, t: dict[str, Any], tok: Any) -> tuple[bool, str]:
    """Dynamic sequence only if outputs with padding to the longest text equal outputs padded fully."""
    np_dt = {"int32": np.int32, "int64": np.int64}
    sess = session(path)
    diffs = []
    for text in _PROBE_TEXTS[:4]:
        rows = []
        for full in (False, True):
            ids, mask = tok.encode([text], pad_to_context=full)
            feeds = {t["input_ids"]["name"]: ids.astype(np_dt[t["input_ids"]["dtype"]])}
            if t["attention_mask"]:
                feeds[t["attention_mask"]["name"]] = mask.astype(np_dt[t["attention_mask"]["dtype"]])
            try:
                rows.append(np.asarray(sess.run([t["output"]["name"]], feeds)[0], np.float32).ravel())
            except Exception as e:
                return False, f"fixed sequence (short input fails: {str(e)[:120]})"
        a, b = rows
        diffs.append(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-6)))
    d = max(diffs)
    if d <= BATCH_TOLERANCE:
        return True, f"dynamic sequence (unpadded vs padded max rel diff {d:.2e})"
    return False, f"fixed sequence (padding changes the output by {d:.2e})"
