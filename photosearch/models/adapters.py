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

from photosearch.errors import ManifestError
from photosearch.models.bpe import CLIP_BOS, CLIP_EOS, bytes_to_unicode, clip_tokenizer_from_bpe, text_special
from photosearch.models.manifest import MANIFEST_NAME
from photosearch.models.onnx_graph import (
    IO,
    batch_equivalence,
    graph_io,
    make_batch_dynamic,
)
from photosearch.models.onnx_refs import check_onnx_complete
from photosearch.models.probe import finish

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
    if _rclip_model(f) is not None:
        return "rclip"
    raise ManifestError(
        f"{f}: not a model folder PhotoSearch knows. Expected one of: a PhotoSearch package (manifest.json); "
        "the Immich layout (config.json, visual/model.onnx, textual/model.onnx, textual/tokenizer.json); "
        "the transformers.js layout (onnx/vision_model.onnx, onnx/text_model.onnx, tokenizer.json, "
        "preprocessor_config.json); or rclip's (visual.onnx, textual.onnx, tokenizer/, or its data folder)"
    )


def _rclip_model(folder: Path) -> Path | None:
    """The folder holding rclip's ``visual.onnx`` and ``textual.onnx``: ``folder`` itself, or the one model
    folder inside rclip's data folder (``~/.local/share/rclip``: ``ViT-B-32-256-…/``, ``tokenizer/``, its
    database). Several model folders inside: ManifestError naming them (which one is meant is not known)."""

    def holds(d: Path) -> bool:
        return (d / "visual.onnx").is_file() and (d / "textual.onnx").is_file()

    if holds(folder):
        return folder
    try:
        inside = sorted(d for d in folder.iterdir() if d.is_dir() and holds(d))
    except OSError:
        return None
    if len(inside) > 1:
        raise ManifestError(
            f"{folder}: holds {len(inside)} rclip model folders ({', '.join(d.name for d in inside)}); "
            "import the one you mean"
        )
    return inside[0] if inside else None


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
    finish(out, manifest, make_dynamic)
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
    src = _rclip_model(src) or src  # rclip's data folder: its model folder
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
