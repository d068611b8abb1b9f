"""Import adapters: published ONNX layouts → a PhotoSearch model package (``manifest.json``).

* **Immich** (``immich-app/<Model>__<tag>``): ``config.json`` (open_clip config), ``visual/model.onnx``,
  ``visual/preprocess_cfg.json``, ``textual/model.onnx``, ``textual/tokenizer.json``. Batch fixed at 1,
  77 int32 tokens; outputs ``embedding``.
* **rclip** (``yurijmikhalevich/rclip-models``): ``visual.onnx``, ``textual.onnx`` (``input`` → ``output``,
  dynamic batch, int64 tokens), ``tokenizer/bpe_simple_vocab_16e6.txt.gz`` (OpenAI's BPE merges: converted
  here into an equivalent ``tokenizer.json``).
* **transformers.js / Xenova**: ``onnx/vision_model.onnx``, ``onnx/text_model.onnx``,
  ``preprocessor_config.json``, ``tokenizer.json`` (+ ``config.json``).

Input/output names, dtypes and fixed or dynamic axes are read from the ONNX graphs themselves. A fixed
batch axis is made dynamic when the graph allows it; the adapter proves batch-8 output equals batch-1
output (else keeps the original graph and feeds one item at a time). A dynamic sequence axis is kept
only when padding provably doesn't change the output.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from photosearch.errors import ManifestError
from photosearch.models.bpe import CLIP_BOS, CLIP_EOS, bytes_to_unicode, clip_tokenizer_from_bpe, text_special
from photosearch.models.manifest import MANIFEST_NAME, file_entries, load_package, parse_manifest
from photosearch.models.onnx_graph import (
    BATCH_CHECK,
    BATCH_TOLERANCE,
    IO,
    batch_equivalence,
    graph_io,
    make_batch_dynamic,
    session,
    try_dynamic_batch,
)
from photosearch.models.onnx_refs import check_onnx_complete

__all__ = [
    "CLIP_BOS",
    "CLIP_EOS",
    "IO",
    "adapt_folder",
    "batch_equivalence",
    "bytes_to_unicode",
    "clip_tokenizer_from_bpe",
    "detect_layout",
    "graph_io",
    "make_batch_dynamic",
]

log = logging.getLogger(__name__)

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]
PIL_RESAMPLE = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}


# ---------------------------------------------------------------------------------------------------
# layout detection


def detect_layout(folder: str | Path) -> str:
    """'photosearch' | 'immich' | 'xenova' | 'rclip', or ManifestError saying what was expected."""
    f = Path(folder)
    if not f.is_dir():
        raise ManifestError(f"{f}: not a folder")
    if (f / MANIFEST_NAME).is_file():
        return "photosearch"
    if (f / "visual" / "model.onnx").is_file() and (f / "textual" / "model.onnx").is_file():
        return "immich"
    if _xenova_file(f, "vision_model") and _xenova_file(f, "text_model"):
        return "xenova"
    if (f / "visual.onnx").is_file() and (f / "textual.onnx").is_file():
        return "rclip"
    raise ManifestError(
        f"{f}: not a model folder PhotoSearch knows. Expected one of: a PhotoSearch package (manifest.json); "
        "the Immich layout (config.json, visual/model.onnx, textual/model.onnx, textual/tokenizer.json); "
        "the transformers.js layout (onnx/vision_model.onnx, onnx/text_model.onnx, tokenizer.json, "
        "preprocessor_config.json); or rclip's (visual.onnx, textual.onnx, tokenizer/)"
    )


def _xenova_file(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.onnx", f"{stem}_quantized.onnx", f"{stem}_fp16.onnx"):
        p = folder / "onnx" / name
        if p.is_file():
            return p
    return None


# ---------------------------------------------------------------------------------------------------
# the adapters


def adapt_folder(
    src: str | Path,
    out: str | Path,
    *,
    layout: str | None = None,
    model_id: str | None = None,
    overrides: dict[str, Any] | None = None,
    make_dynamic: bool = True,
) -> Path:
    """Build a PhotoSearch package in ``out`` from a folder in a published layout. Returns ``out``."""
    src, out = Path(src), Path(out)
    layout = layout or detect_layout(src)
    if layout == "photosearch":
        return src
    out.mkdir(parents=True, exist_ok=True)
    builders: dict[str, Callable[[Path, Path], dict[str, Any]]] = {
        "immich": _immich,
        "xenova": _xenova,
        "rclip": _rclip,
    }
    if layout not in builders:
        raise ManifestError(f"unknown model folder layout {layout!r}")
    manifest = builders[layout](src, out)
    manifest["id"] = model_id or manifest["id"]
    for k, v in (overrides or {}).items():
        if k == "text" and isinstance(v, dict):
            manifest["text"].update(v)
        elif v not in (None, ""):
            manifest[k] = v
    _finish(out, manifest, make_dynamic)
    return out


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower()
    return s or "imported-model"


def _copy_model(src: Path, out: Path, name: str) -> str:
    """Copy an ONNX model as ``name``; one with external-data files goes, with them, into its own folder
    (``visual/model.onnx`` + ``visual/<data>``) so that two towers' weights files cannot collide."""
    refs = check_onnx_complete(src)
    if not refs:
        return _copy(src, out, name)
    folder = Path(name).stem
    for r in refs:
        _copy(src.parent / r, out, f"{folder}/{r}")
    return _copy(src, out, f"{folder}/{src.name}")


def model_files(root: Path, name: str) -> list[str]:
    """An ONNX file and the external-data files it refers to (relative to ``root``)."""
    folder = Path(name).parent
    return [name, *[(folder / r).as_posix() for r in check_onnx_complete(root / name)]]


def _copy(src: Path, out: Path, name: str) -> str:
    (out / name).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, out / name)
    return name


def _vision_io(path: Path) -> tuple[IO, IO]:
    ins, outs = graph_io(path)
    if len(ins) != 1:
        raise ManifestError(f"{path.name}: expected one image input, found {[i.name for i in ins]}")
    out = next((o for o in outs if o.name in ("image_embeds", "embedding", "output")), outs[0])
    return ins[0], out


def _text_io(path: Path) -> tuple[IO, IO | None, IO]:
    ins, outs = graph_io(path)
    mask = next((i for i in ins if "mask" in i.name), None)
    ids = next((i for i in ins if i is not mask), None)
    if ids is None:
        raise ManifestError(f"{path.name}: no token input")
    extra = [i.name for i in ins if i not in (ids, mask)]
    if extra:
        raise ManifestError(f"{path.name}: unexpected text inputs {extra}")
    out = next((o for o in outs if o.name in ("text_embeds", "embedding", "output")), outs[0])
    return ids, mask, out


def _vision_spec(io_in: IO, io_out: IO, normalized: bool, **pre: Any) -> dict[str, Any]:
    return {
        "file": "visual.onnx",
        "input": {"name": io_in.name, "dtype": io_in.dtype},
        "output": {"name": io_out.name, "normalized": normalized},
        "dynamic_batch": not isinstance(io_in.dims[0], int) if io_in.dims else False,
        **pre,
    }


def _text_spec(
    ids: IO,
    mask: IO | None,
    out: IO,
    context: int,
    normalization: str,
    special: dict[str, Any],
    normalized: bool,
) -> dict[str, Any]:
    seq_dynamic = len(ids.dims) > 1 and not isinstance(ids.dims[1], int)
    return {
        "file": "textual.onnx",
        "tokenizer": "tokenizer.json",
        "input_ids": {"name": ids.name, "dtype": ids.dtype},
        "attention_mask": {"name": mask.name, "dtype": mask.dtype} if mask else None,
        "output": {"name": out.name, "normalized": normalized},
        "dynamic_batch": not isinstance(ids.dims[0], int) if ids.dims else False,
        "dynamic_sequence": seq_dynamic,
        "context_length": context,
        "normalization": normalization,
        **special,
    }


def _fixed_dim(io: IO, axis: int) -> int | None:
    d = io.dims[axis] if len(io.dims) > axis else None
    return d if isinstance(d, int) and d > 0 else None


def _immich(src: Path, out: Path) -> dict[str, Any]:
    cfg = _read_json(src / "config.json") if (src / "config.json").is_file() else {}
    pre = (
        _read_json(src / "visual" / "preprocess_cfg.json")
        if (src / "visual" / "preprocess_cfg.json").is_file()
        else {}
    )
    text_cfg = cfg.get("text_cfg", {}) or {}
    v_in, v_out = _vision_io(src / "visual" / "model.onnx")
    ids, mask, t_out = _text_io(src / "textual" / "model.onnx")
    hf_name = str(text_cfg.get("hf_tokenizer_name") or text_cfg.get("hf_model_name") or "").lower()
    clean = str((text_cfg.get("tokenizer_kwargs") or {}).get("clean", ""))
    if "siglip" in hf_name or "init_logit_bias" in cfg or clean == "canonicalize":
        family, normalization = "siglip", "siglip"
    elif mask is not None or "roberta" in hf_name or hf_name:
        family, normalization = "xlmr-clip", "none"
    else:
        family, normalization = "clip", "clip"
    size = pre.get("size", (cfg.get("vision_cfg") or {}).get("image_size") or _fixed_dim(v_in, 3) or 224)
    size = int(size[0] if isinstance(size, list | tuple) else size)
    mode = pre.get("resize_mode", "shortest")
    if mode not in ("shortest", "squash", "longest"):
        raise ManifestError(f"{src}/visual/preprocess_cfg.json: unknown resize_mode {mode!r}")
    fill = pre.get("fill_color", 0)
    fill = [int(fill)] * 3 if isinstance(fill, int | float) else [int(x) for x in fill]
    vision = _vision_spec(
        v_in,
        v_out,
        True,
        image_size=size,
        resize_mode=mode,
        interpolation=pre.get("interpolation", "bicubic"),
        crop="center" if mode == "shortest" else "none",
        crop_rounding="round",
        rescale=1 / 255,
        mean=list(pre.get("mean", OPENAI_MEAN)),
        std=list(pre.get("std", OPENAI_STD)),
        fill_color=fill,
    )
    vision["file"] = _copy_model(src / "visual" / "model.onnx", out, "visual.onnx")
    tfile = _copy_model(src / "textual" / "model.onnx", out, "textual.onnx")
    tok_src = src / "textual" / "tokenizer.json"
    if not tok_src.is_file():
        raise ManifestError(f"{src}: textual/tokenizer.json is missing")
    _copy(tok_src, out, "tokenizer.json")
    context = int(text_cfg.get("context_length") or _fixed_dim(ids, 1) or 77)
    text = _text_spec(
        ids, mask, t_out, context, normalization, text_special(out / "tokenizer.json", family), True
    )
    text["file"] = tfile
    if (
        "nllb" in hf_name or "nllb" in src.name.lower()
    ):  # NLLB-CLIP: "<FLORES-200 code><query>", as Immich does
        text["query_prefix"] = "flores200"
    return {
        "id": _slug(src.name),
        "name": src.name,
        "family": family,
        "embedding_dim": int(cfg.get("embed_dim") or _fixed_dim(v_out, 1) or 0),
        "licence": "unknown",
        "source": f"Immich layout: {src.name}",
        "vision": vision,
        "text": text,
    }


def _xenova(src: Path, out: Path) -> dict[str, Any]:
    cfg = _read_json(src / "config.json") if (src / "config.json").is_file() else {}
    pre = _read_json(src / "preprocessor_config.json") if (src / "preprocessor_config.json").is_file() else {}
    vpath, tpath = _xenova_file(src, "vision_model"), _xenova_file(src, "text_model")
    assert vpath is not None and tpath is not None
    v_in, v_out = _vision_io(vpath)
    ids, mask, t_out = _text_io(tpath)
    model_type = str(cfg.get("model_type", "")).lower()
    proc = str(pre.get("image_processor_type", "")).lower()
    if "siglip" in model_type or "siglip" in proc:
        family, normalization = "siglip", "siglip"
    elif "roberta" in str((cfg.get("text_config") or {}).get("model_type", "")) or mask is not None:
        family, normalization = "xlmr-clip", "none"
    else:
        family, normalization = "clip", "clip"
    size = pre.get("size", 224)
    crop_size = pre.get("crop_size", size)
    do_crop = bool(pre.get("do_center_crop", family == "clip"))
    if isinstance(size, dict) and "shortest_edge" in size:
        mode, side = "shortest", int(size["shortest_edge"])
    elif isinstance(size, dict):
        mode, side = "squash", int(size.get("height") or size.get("width") or 224)
    else:
        mode, side = ("shortest" if do_crop else "squash"), int(size)
    if isinstance(crop_size, dict):
        crop_size = crop_size.get("height") or crop_size.get("width")
    image_size = int(crop_size) if (do_crop and mode == "shortest") else side
    if mode == "shortest" and do_crop and side != image_size:
        log.warning(
            "%s: resize %d then crop %d is not supported; resizing to %d", src, side, image_size, image_size
        )
    vision = _vision_spec(
        v_in,
        v_out,
        False,
        image_size=image_size,
        resize_mode=mode,
        interpolation=PIL_RESAMPLE.get(int(pre.get("resample", 3)), "bicubic"),
        crop="center" if (do_crop and mode == "shortest") else "none",
        crop_rounding="floor",
        rescale=float(pre.get("rescale_factor", 1 / 255)) if pre.get("do_rescale", True) else 1.0,
        mean=list(pre.get("image_mean", OPENAI_MEAN)) if pre.get("do_normalize", True) else [0, 0, 0],
        std=list(pre.get("image_std", OPENAI_STD)) if pre.get("do_normalize", True) else [1, 1, 1],
    )
    vision["file"] = _copy_model(vpath, out, "visual.onnx")
    tfile = _copy_model(tpath, out, "textual.onnx")
    if not (src / "tokenizer.json").is_file():
        raise ManifestError(f"{src}: tokenizer.json is missing")
    _copy(src / "tokenizer.json", out, "tokenizer.json")
    tcfg = cfg.get("text_config") or {}
    context = int(tcfg.get("max_position_embeddings") or _fixed_dim(ids, 1) or 77)
    if family == "xlmr-clip":
        context = min(context - 2, 77) if context > 77 else context
    text = _text_spec(
        ids, mask, t_out, context, normalization, text_special(out / "tokenizer.json", family), False
    )
    text["file"] = tfile
    if family == "siglip":
        text["dynamic_sequence"] = False  # SigLIP pools the last position: always pad to the full length
    dim = cfg.get("projection_dim") or _fixed_dim(v_out, 1) or 0
    return {
        "id": _slug(src.name),
        "name": src.name,
        "family": family,
        "embedding_dim": int(dim),
        "licence": "unknown",
        "source": f"transformers.js layout: {src.name}",
        "vision": vision,
        "text": text,
    }


def _rclip(src: Path, out: Path) -> dict[str, Any]:
    v_in, v_out = _vision_io(src / "visual.onnx")
    ids, mask, t_out = _text_io(src / "textual.onnx")
    merges = None
    for where in (src / "tokenizer", src, src.parent / "tokenizer"):  # rclip keeps it beside the model folder
        merges = merges or next(iter(sorted(where.glob("*.txt.gz"))), None) if where.is_dir() else merges
    vfile = _copy_model(src / "visual.onnx", out, "visual.onnx")
    tfile = _copy_model(src / "textual.onnx", out, "textual.onnx")
    if (src / "tokenizer.json").is_file():
        _copy(src / "tokenizer.json", out, "tokenizer.json")
    elif merges is not None:
        clip_tokenizer_from_bpe(merges).save(str(out / "tokenizer.json"))
    else:
        raise ManifestError(f"{src}: no tokenizer (tokenizer/bpe_simple_vocab_16e6.txt.gz or tokenizer.json)")
    m = re.search(r"-(\d{3})(?:[-_]|$)", src.name)
    size = _fixed_dim(v_in, 3) or (int(m.group(1)) if m else 224)
    vision = _vision_spec(
        v_in,
        v_out,
        False,
        image_size=size,
        resize_mode="shortest",
        interpolation="bicubic",
        crop="center",
        crop_rounding="round",
        rescale=1 / 255,
        mean=OPENAI_MEAN,
        std=OPENAI_STD,
    )
    text = _text_spec(
        ids,
        mask,
        t_out,
        _fixed_dim(ids, 1) or 77,
        "clip",
        text_special(out / "tokenizer.json", "clip"),
        False,
    )
    vision["file"], text["file"] = vfile, tfile
    return {
        "id": _slug(src.name),
        "name": src.name,
        "family": "clip",
        "embedding_dim": int(_fixed_dim(v_out, 1) or 0),
        "licence": "unknown",
        "source": f"rclip layout: {src.name}",
        "vision": vision,
        "text": text,
    }


def _read_json(p: Path) -> dict[str, Any]:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ManifestError(f"{p}: cannot read: {e}") from e
    if not isinstance(data, dict):
        raise ManifestError(f"{p}: expected a JSON object")
    return data


# ---------------------------------------------------------------------------------------------------
# finishing: probe the graphs, fix the axes, write the manifest


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


def _finish(out: Path, m: dict[str, Any], make_dynamic: bool) -> None:
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
            except Exception as e:  # noqa: BLE001
                return False, f"fixed sequence (short input fails: {str(e)[:120]})"
        a, b = rows
        diffs.append(float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-6)))
    d = max(diffs)
    if d <= BATCH_TOLERANCE:
        return True, f"dynamic sequence (unpadded vs padded max rel diff {d:.2e})"
    return False, f"fixed sequence (padding changes the output by {d:.2e})"
