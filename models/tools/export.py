"""Export CLIP architectures to ONNX model packages (the one exporter; torch is needed here only).

Random-initialised exports of real architectures built from Hugging Face transformers' ``CLIPConfig``
(speed does not depend on the weights), with dynamic batch and sequence axes, in our package format
(``docs/model-package.md``) or in the layout rclip 3.3.0 reads, plus an int8 variant of the image
encoder (``onnxruntime.quantization.quantize_dynamic``, QInt8) whose cosine to fp32 is recorded in
the manifest's ``extra``.

    python models/tools/export.py --arch vit-b-32-256 --out /tmp/pkg [--int8] [--layout rclip]

Library use::

    from models.tools.export import CONFIGS, export_clip, quantize_package
    pkg = export_clip(CONFIGS["vit-b-32-256"](), "/tmp/b32-256")
    q = quantize_package(pkg, "/tmp/b32-256-int8")

The tokenizer is a small byte-level BPE trained here on generated captions and laid out exactly like
OpenAI CLIP's (256 byte tokens, 256 byte+``</w>`` tokens, the merges, then ``<|startoftext|>`` and
``<|endoftext|>``), so our ``tokenizer.json`` and rclip's ``bpe_simple_vocab_16e6.txt.gz`` give the
same ids, the end token has the largest id, and the text graph pools at the first end token.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from models.tools.manifest_parts import clip_text_section

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

log = logging.getLogger("export")

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
RCLIP_SUBDIR = "ViT-B-32-256-datacomp_s34b_b86k"
CONTEXT = 77
TEXT_VOCAB = 49408  # the architecture's embedding table (real CLIP size), whatever the tokenizer uses


# ---------------------------------------------------------------------------------------------------
# architectures


def _clip_config(image_size: int, act: str, projection_dim: int = 512, eos_token_id: int = 49407) -> Any:
    from transformers import CLIPConfig

    text = {
        "vocab_size": TEXT_VOCAB,
        "hidden_size": 512,
        "intermediate_size": 2048,
        "num_hidden_layers": 12,
        "num_attention_heads": 8,
        "max_position_embeddings": CONTEXT,
        "hidden_act": act,
        "bos_token_id": eos_token_id - 1,
        "eos_token_id": eos_token_id,
        "pad_token_id": 0,
    }
    vision = {
        "hidden_size": 768,
        "intermediate_size": 3072,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "image_size": image_size,
        "patch_size": 32,
        "hidden_act": act,
        "num_channels": 3,
    }
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=projection_dim)


def vit_b32_224() -> Any:
    """OpenAI ViT-B/32 at 224 (quick_gelu)."""
    return _clip_config(224, "quick_gelu")


def vit_b32_256() -> Any:
    """OpenCLIP ViT-B-32-256 (datacomp_s34b_b86k: gelu, 256 px) — the model rclip 3.3.0 ships."""
    return _clip_config(256, "gelu")


CONFIGS: dict[str, Callable[[], Any]] = {"vit-b-32-224": vit_b32_224, "vit-b-32-256": vit_b32_256}


# ---------------------------------------------------------------------------------------------------
# tokenizer (CLIP layout)

_WORDS = (
    "a an the of on in at with by near under over beside behind and two three four five many some old young "
    "small large tiny huge bright dark red green blue yellow orange purple pink white black brown grey golden "
    "silver dog dogs cat cats puppy kitten horse bird birds cow sheep fish duck child children kid kids baby "
    "man woman men women people person family friends couple girl boy grandmother grandfather crowd beach sea "
    "ocean lake river mountain mountains forest tree trees flower flowers garden park field street road city "
    "town village house building bridge car cars bike bicycle boat train plane sky cloud clouds sun sunset "
    "sunrise moon night evening morning snow rain fog winter summer spring autumn birthday cake party wedding "
    "dinner lunch breakfast food pizza coffee table kitchen room bed sofa window door wall beach picnic "
    "playing running walking sitting standing swimming eating drinking sleeping smiling laughing dancing "
    "reading looking holding riding jumping climbing cooking photo picture portrait selfie view close up "
    "background foreground landscape shot indoor outdoor christmas halloween holiday vacation trip camping "
    "hiking skiing surfing fireworks candles lights ball toy toys book books phone laptop screen museum "
    "church castle tower statue fountain market shop restaurant cafe station airport harbour island desert "
    "waterfall cliff rocks sand waves grass leaves hat glasses dress shirt jacket umbrella bag shoes"
).split()


def _caption_corpus(n: int = 40_000, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(3, 12)
        out.append(" ".join(rng.choice(_WORDS) for _ in range(k)) + rng.choice(["", ".", "!", " 2019", " 3"]))
    return out


_CLIP_SPLIT = (
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
)


def train_clip_bpe(out_dir: str | Path, vocab_size: int = 8192, seed: int = 0) -> tuple[Path, list[str]]:
    """Train a small BPE in CLIP's layout. Writes ``tokenizer.json``; returns (path, merges as "a b")."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    def pipeline(tok: Tokenizer) -> Tokenizer:
        tok.normalizer = normalizers.Sequence(
            [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
        )
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(_CLIP_SPLIT), behavior="removed", invert=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
        tok.decoder = decoders.ByteLevel()
        return tok

    trainer_tok = pipeline(Tokenizer(models.BPE(end_of_word_suffix="</w>", continuing_subword_prefix="")))
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        end_of_word_suffix="</w>",
    )
    trainer_tok.train_from_iterator(_caption_corpus(seed=seed), trainer=trainer)
    trained = json.loads(trainer_tok.to_str())
    merges = [m if isinstance(m, str) else " ".join(m) for m in trained["model"]["merges"]]
    # CLIP layout: bytes, bytes + </w>, merges in rank order, then the two special tokens
    from photosearch.models.adapters import bytes_to_unicode

    byte_chars = list(bytes_to_unicode().values())
    vocab_list = byte_chars + [c + "</w>" for c in byte_chars]
    seen = set(vocab_list)
    kept: list[str] = []
    for m in merges:
        tok = m.replace(" ", "")
        if tok in seen:
            continue
        seen.add(tok)
        kept.append(m)
        vocab_list.append(tok)
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(vocab_list)}
    bpe = models.BPE(
        vocab=vocab,
        merges=[tuple(m.split(" ")) for m in kept],
        unk_token="<|endoftext|>",
        end_of_word_suffix="</w>",
        continuing_subword_prefix="",
        fuse_unk=False,
    )
    tok = pipeline(Tokenizer(bpe))
    tok.add_special_tokens(["<|startoftext|>", "<|endoftext|>"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    return out / "tokenizer.json", kept


def write_rclip_vocab(merges: list[str], dest: Path) -> None:
    """rclip / OpenAI ``bpe_simple_vocab_16e6.txt.gz``: a header line, then one merge per line."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(dest, "wt", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "\n".join(merges) + "\n")


# ---------------------------------------------------------------------------------------------------
# ONNX export


def _torch_export(
    module: Any,
    args: tuple,
    path: Path,
    inputs: list[str],
    outputs: list[str],
    dynamic_axes: dict[str, dict[int, str]],
    opset: int,
) -> None:
    import torch

    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    # keep each graph in one file (our package lists single files)
    import onnx

    model = onnx.load(str(path), load_external_data=True)
    for extra in path.parent.glob(path.name + ".data"):
        extra.unlink()
    onnx.save_model(model, str(path), save_as_external_data=False)


def _build_torch_model(config: Any, seed: int) -> Any:
    import torch
    from transformers import CLIPModel

    torch.manual_seed(seed)
    model = CLIPModel(config).eval()
    return model


def tower(model: Any, forward: Any) -> Any:
    """One tower of a two-tower model as a module of its own, for ``torch.onnx.export``:
    ``forward(model, x)`` computes its output (the exporters name the inputs and outputs)."""
    import torch

    class Tower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return forward(self.m, x)

    return Tower().eval()


def export_onnx_pair(
    config: Any,
    out_dir: Path,
    *,
    seed: int = 0,
    opset: int = 17,
    names: tuple[str, str, str, str] = ("pixel_values", "image_embeds", "input_ids", "text_embeds"),
) -> tuple[Path, Path]:
    """Write ``visual.onnx`` and ``textual.onnx`` (dynamic batch; dynamic sequence for text)."""
    import torch

    model = _build_torch_model(config, seed)
    img_in, img_out, txt_in, txt_out = names

    visual = tower(model, lambda m, x: m.visual_projection(m.vision_model(pixel_values=x).pooler_output))
    textual = tower(model, lambda m, x: m.text_projection(m.text_model(input_ids=x).pooler_output))
    out_dir.mkdir(parents=True, exist_ok=True)
    s = config.vision_config.image_size
    vpath, tpath = out_dir / "visual.onnx", out_dir / "textual.onnx"
    _torch_export(
        visual,
        (torch.zeros(2, 3, s, s),),
        vpath,
        [img_in],
        [img_out],
        {img_in: {0: "batch"}, img_out: {0: "batch"}},
        opset,
    )
    eos = int(config.text_config.eos_token_id)
    ids = torch.tensor(
        [[eos - 1, 320, 1000, eos, 0, 0], [eos - 1, 400, 500, 600, 700, eos]], dtype=torch.int64
    )
    _torch_export(
        textual,
        (ids,),
        tpath,
        [txt_in],
        [txt_out],
        {txt_in: {0: "batch", 1: "sequence"}, txt_out: {0: "batch"}},
        opset,
    )
    return vpath, tpath


def _manifest(
    model_id: str, name: str, config: Any, tokenizer_ids: tuple[int, int], arch: str, extra: dict[str, Any]
) -> dict[str, Any]:
    bos, eos = tokenizer_ids
    return {
        "format": "photosearch-model/1",
        "id": model_id,
        "name": name,
        "family": "clip",
        "embedding_dim": int(config.projection_dim),
        "licence": "MIT",
        "commercial_use": True,
        "languages": ["en"],
        "description": f"{arch} architecture with RANDOM weights (speed benchmarks only; results are meaningless)",
        "source": "models/tools/export.py (transformers CLIPModel config, random init)",
        "vision": {
            "file": "visual.onnx",
            "input": {"name": "pixel_values", "dtype": "float32"},
            "output": {"name": "image_embeds", "normalized": False},
            "dynamic_batch": True,
            "image_size": int(config.vision_config.image_size),
            "resize_mode": "shortest",
            "interpolation": "bicubic",
            "crop": "center",
            "crop_rounding": "round" if arch.endswith("256") else "floor",
            "rescale": 1 / 255,
            "mean": CLIP_MEAN,
            "std": CLIP_STD,
            "fill_color": [0, 0, 0],
        },
        "text": clip_text_section(CONTEXT, bos, eos),
        "extra": extra,
    }


def _write_manifest(root: Path, data: dict[str, Any]) -> None:
    from photosearch.models.manifest import file_entries, load_package

    data["files"] = file_entries(
        root, [data["vision"]["file"], data["text"]["file"], data["text"]["tokenizer"]]
    )
    (root / "manifest.json").write_text(json.dumps(data, indent=2))
    load_package(root, verify="checksum")  # fails loudly if what we wrote is not a valid package


def _arch_name(config: Any) -> str:
    return f"vit-b-32-{int(config.vision_config.image_size)}"


def export_clip(
    config: Any,
    out_dir: str | Path,
    layout: str = "photosearch",
    int8: bool = False,
    *,
    model_id: str | None = None,
    name: str | None = None,
    seed: int = 0,
    opset: int = 17,
    vocab_size: int = 8192,
) -> Path:
    """Export ``config`` (a ``transformers.CLIPConfig``) with random weights.

    ``layout="photosearch"``: a model package in ``out_dir`` (manifest, visual.onnx, textual.onnx,
    tokenizer.json). ``int8=True``: the image encoder is dynamically quantised (QInt8) and the cosine
    to fp32 is recorded in ``manifest["extra"]``. ``layout="rclip"``: ``out_dir`` becomes an rclip
    data dir (``RCLIP_DATADIR``): ``ViT-B-32-256-datacomp_s34b_b86k/{visual,textual}.onnx`` with
    rclip's input/output names and ``tokenizer/bpe_simple_vocab_16e6.txt.gz``. Returns ``out_dir``.
    """
    out = Path(out_dir)
    arch = _arch_name(config)
    if layout == "rclip":
        with tempfile.TemporaryDirectory() as tmp:
            pkg = export_clip(
                config, Path(tmp) / "pkg", "photosearch", int8, seed=seed, opset=opset, vocab_size=vocab_size
            )
            return package_to_rclip(pkg, out, merges=None, seed=seed, vocab_size=vocab_size)
    if layout != "photosearch":
        raise ValueError(f"unknown layout {layout!r} (photosearch | rclip)")
    tok_path, merges = train_clip_bpe(out, vocab_size=vocab_size, seed=seed)
    n_vocab = 512 + len(merges) + 2
    bos, eos = n_vocab - 2, n_vocab - 1
    config.text_config.eos_token_id = eos
    config.text_config.bos_token_id = bos
    export_onnx_pair(config, out, seed=seed, opset=opset)
    model_id = model_id or f"{arch}-random"
    data = _manifest(
        model_id,
        name or f"{arch.upper()} (random weights)",
        config,
        (bos, eos),
        arch,
        {"architecture": arch, "weights": "random", "seed": seed, "precision": "fp32"},
    )
    _write_manifest(out, data)
    if int8:
        with tempfile.TemporaryDirectory() as tmp:
            fp32 = Path(tmp) / "fp32"
            shutil.copytree(out, fp32)
            shutil.rmtree(out)
            quantize_package(fp32, out, model_id=model_id)
    return out


def calibration_batch(size: int, n: int = 8, seed: int = 0) -> np.ndarray:
    """Photo-like normalised inputs (smooth colour fields + texture) for comparing encoders."""
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC)
        arr = np.asarray(img, np.float32) + rng.normal(0, 12, (size, size, 3))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7))
        x = (np.asarray(img, np.float32) / 255.0 - np.array(CLIP_MEAN, np.float32)) / np.array(
            CLIP_STD, np.float32
        )
        out.append(x.transpose(2, 0, 1))
    return np.stack(out).astype(np.float32)


def onnx_cosine(a: Path, b: Path, batch: np.ndarray) -> float:
    """Smallest cosine between two image encoders' outputs over ``batch``."""
    import onnxruntime as ort

    def run(p: Path) -> np.ndarray:
        s = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        x = s.run(None, {s.get_inputs()[0].name: batch})[0]
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return float(np.min(np.sum(run(a) * run(b), axis=1)))


def quantize_package(
    src: str | Path, dst: str | Path, *, model_id: str | None = None, cosine_inputs: np.ndarray | None = None
) -> Path:
    """Copy package ``src`` to ``dst`` with the image encoder dynamically quantised to int8 (QInt8)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src, dst = Path(src), Path(dst)
    data = json.loads((src / "manifest.json").read_text())
    dst.mkdir(parents=True, exist_ok=True)
    for key in ("file",):
        shutil.copy2(src / data["text"][key], dst / data["text"][key])
    shutil.copy2(src / data["text"]["tokenizer"], dst / data["text"]["tokenizer"])
    vis = data["vision"]["file"]
    quantize_dynamic(str(src / vis), str(dst / vis), weight_type=QuantType.QInt8)
    batch = (
        cosine_inputs if cosine_inputs is not None else calibration_batch(int(data["vision"]["image_size"]))
    )
    cos = onnx_cosine(src / vis, dst / vis, batch)
    data["id"] = model_id or (data["id"] + "-int8")
    data["name"] = data["name"] + " int8"
    extra = dict(data.get("extra", {}))
    extra.update(
        {
            "precision": "int8 image encoder (quantize_dynamic QInt8), fp32 text encoder",
            "int8_min_cosine_to_fp32": round(cos, 6),
            "int8_cosine_inputs": f"{len(batch)} photo-like images",
        }
    )
    data["extra"] = extra
    data.pop("files", None)
    _write_manifest(dst, data)
    log.info("int8 image encoder: min cosine to fp32 %.5f", cos)
    return dst


def package_to_rclip(
    pkg: str | Path,
    datadir: str | Path,
    merges: list[str] | None = None,
    *,
    seed: int = 0,
    vocab_size: int = 8192,
) -> Path:
    """Lay a package out where rclip 3.3.0 reads its model (same weights; IO renamed input/output)."""
    import onnx

    pkg, datadir = Path(pkg), Path(datadir)
    data = json.loads((pkg / "manifest.json").read_text())
    target = datadir / RCLIP_SUBDIR
    target.mkdir(parents=True, exist_ok=True)
    for src_name, dst_name in (
        (data["vision"]["file"], "visual.onnx"),
        (data["text"]["file"], "textual.onnx"),
    ):
        m = onnx.load(str(pkg / src_name))
        _rename_io(m, m.graph.input[0].name, "input")
        _rename_io(m, m.graph.output[0].name, "output")
        onnx.save_model(m, str(target / dst_name))
    if merges is None:
        merges = merges_from_tokenizer(pkg / data["text"]["tokenizer"])
    write_rclip_vocab(merges, datadir / "tokenizer" / "bpe_simple_vocab_16e6.txt.gz")
    return datadir


def merges_from_tokenizer(path: Path) -> list[str]:
    model = json.loads(Path(path).read_text())["model"]
    return [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]


def _rename_io(model: Any, old: str, new: str) -> None:
    if old == new:
        return
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=sorted(CONFIGS), default="vit-b-32-256")
    ap.add_argument("--out", required=True)
    ap.add_argument("--layout", choices=("photosearch", "rclip"), default="photosearch")
    ap.add_argument("--int8", action="store_true")
    ap.add_argument("--id", default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = export_clip(
        CONFIGS[args.arch](), args.out, args.layout, args.int8, model_id=args.id, seed=args.seed
    )
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
