"""Tiny random-initialised models per family, exported in the published layouts (torch needed here only).

* ``export_xenova_clip``   — transformers ``CLIPModel`` in the transformers.js/Xenova layout
  (``onnx/vision_model.onnx``, ``onnx/text_model.onnx``, ``preprocessor_config.json``, ``tokenizer.json``).
* ``export_xenova_siglip`` — ``SiglipModel`` in the Xenova layout, SentencePiece tokenizer trained here.
* ``export_immich_clip``   — ``CLIPModel`` in the Immich layout (``visual/model.onnx`` input ``image``
  [1,3,S,S] → ``embedding`` L2-normalised; ``textual/model.onnx`` input ``text`` int32 [1,77]).
* ``export_xlmr_package``  — an XLM-R text tower (``input_ids`` + ``attention_mask``, mean pooling +
  projection, as open_clip's HF text encoder) with a CLIP vision tower, as a PhotoSearch package.

Each returns the torch modules (for reference outputs) and writes the folder. Used by
``models/tools/make_family_fixtures.py`` and the layout import tests' fixtures.
"""

from __future__ import annotations

import io
import json
import random
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.tools.export import _caption_corpus, tower, train_clip_bpe  # shared with the speed work

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def _export(
    module: Any,
    args: tuple,
    path: Path,
    inputs: list[str],
    outputs: list[str],
    dynamic_axes: dict[str, dict[int, str]] | None,
    opset: int = 17,
) -> None:
    import onnx
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=dynamic_axes or {},
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    model = onnx.load(str(path), load_external_data=True)
    for extra in path.parent.glob(path.name + ".data"):
        extra.unlink()
    onnx.save_model(model, str(path), save_as_external_data=False)


# ---------------------------------------------------------------------------------------------------
# CLIP


def tiny_clip(
    vocab_size: int, bos: int, eos: int, seed: int = 0, image_size: int = 224, patch: int = 32
) -> Any:
    import torch
    from transformers import CLIPConfig, CLIPModel

    cfg = CLIPConfig(
        text_config={
            "vocab_size": vocab_size,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "max_position_embeddings": 77,
            "bos_token_id": bos,
            "eos_token_id": eos,
            "pad_token_id": 0,
        },
        vision_config={
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": image_size,
            "patch_size": patch,
        },
        projection_dim=32,
    )
    torch.manual_seed(seed)
    model = CLIPModel(cfg).eval()
    with torch.no_grad():  # random init leaves LayerNorms at identity: perturb them so every op matters
        for name, p in model.named_parameters():
            if "layer_norm" in name or "layrnorm" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def clip_vision_tower(model: Any, normalize: bool = False) -> Any:
    import torch

    def forward(m: Any, x: Any) -> Any:
        e = m.visual_projection(m.vision_model(pixel_values=x).pooler_output)
        return torch.nn.functional.normalize(e, dim=-1) if normalize else e

    return tower(model, forward)


def clip_text_tower(model: Any, normalize: bool = False, cast: bool = False) -> Any:
    import torch

    def forward(m: Any, x: Any) -> Any:
        e = m.text_projection(m.text_model(input_ids=x.long() if cast else x).pooler_output)
        return torch.nn.functional.normalize(e, dim=-1) if normalize else e

    return tower(model, forward)


def clip_tokenizer(out: Path, vocab_size: int = 1000, seed: int = 0) -> tuple[Path, int, int, int]:
    """A CLIP-layout BPE trained here; returns (tokenizer.json, n_vocab, bos, eos)."""
    from tokenizers import Tokenizer

    path, _ = train_clip_bpe(out, vocab_size=vocab_size, seed=seed)
    tok = Tokenizer.from_file(str(path))
    return path, tok.get_vocab_size(), tok.token_to_id("<|startoftext|>"), tok.token_to_id("<|endoftext|>")


def write_clip_vocab_merges(tokenizer_json: Path, out: Path) -> None:
    """vocab.json + merges.txt for transformers' CLIPTokenizer (the reference tokenizer)."""
    data = json.loads(tokenizer_json.read_text())
    (out / "vocab.json").write_text(json.dumps(data["model"]["vocab"]))
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    (out / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")


def export_xenova_clip(out: str | Path, seed: int = 0) -> dict[str, Any]:
    import torch
    from transformers import CLIPImageProcessorPil

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tok_path, n_vocab, bos, eos = clip_tokenizer(out, seed=seed)
    model = tiny_clip(n_vocab, bos, eos, seed)
    s = model.config.vision_config.image_size
    _export(
        clip_vision_tower(model),
        (torch.zeros(2, 3, s, s),),
        out / "onnx" / "vision_model.onnx",
        ["pixel_values"],
        ["image_embeds"],
        {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
    )
    ids = torch.tensor([[bos, 5, 6, eos, 0, 0], [bos, 7, 8, 9, 10, eos]])
    _export(
        clip_text_tower(model),
        (ids,),
        out / "onnx" / "text_model.onnx",
        ["input_ids"],
        ["text_embeds"],
        {"input_ids": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}},
    )
    proc = CLIPImageProcessorPil(
        size={"shortest_edge": s},
        crop_size={"height": s, "width": s},
        image_mean=CLIP_MEAN,
        image_std=CLIP_STD,
        resample=3,
    )
    proc.save_pretrained(str(out))
    model.config.save_pretrained(str(out))
    return {"model": model, "processor": proc, "bos": bos, "eos": eos, "tokenizer": tok_path}


def pin_batch(path: Path, batch: int = 1) -> None:
    """Declare a fixed batch size on a graph's inputs and outputs (as fixed-shape exports do)."""
    import onnx

    m = onnx.load(str(path))
    for vi in list(m.graph.input) + list(m.graph.output):
        d = vi.type.tensor_type.shape.dim[0]
        d.ClearField("dim_param")
        d.dim_value = batch
    onnx.save(m, str(path))


def export_immich_clip(
    out: str | Path, seed: int = 0, image_size: int = 64, patch: int = 16
) -> dict[str, Any]:
    """CLIP in Immich's layout: fixed batch 1, 77 int32 tokens, normalised ``embedding`` outputs."""
    import torch

    out = Path(out)
    (out / "textual").mkdir(parents=True, exist_ok=True)
    tok_path, n_vocab, bos, eos = clip_tokenizer(out / "textual", seed=seed)
    model = tiny_clip(n_vocab, bos, eos, seed, image_size=image_size, patch=patch)
    s = model.config.vision_config.image_size
    # Traced with a symbolic batch (so the graph itself is batch-generic), then the inputs/outputs are
    # declared with batch 1 and 77 tokens, as Immich publishes them.
    _export(
        clip_vision_tower(model, normalize=True),
        (torch.zeros(2, 3, s, s),),
        out / "visual" / "model.onnx",
        ["image"],
        ["embedding"],
        {"image": {0: "batch"}, "embedding": {0: "batch"}},
    )
    ids = torch.zeros(2, 77, dtype=torch.int32)
    ids[:, :3] = torch.tensor([bos, 5, eos])
    _export(
        clip_text_tower(model, normalize=True, cast=True),
        (ids,),
        out / "textual" / "model.onnx",
        ["text"],
        ["embedding"],
        {"text": {0: "batch"}, "embedding": {0: "batch"}},
    )
    for f in (out / "visual" / "model.onnx", out / "textual" / "model.onnx"):
        pin_batch(f, 1)
    (out / "visual" / "preprocess_cfg.json").write_text(
        json.dumps(
            {
                "size": [s, s],
                "mode": "RGB",
                "mean": CLIP_MEAN,
                "std": CLIP_STD,
                "interpolation": "bicubic",
                "resize_mode": "shortest",
                "fill_color": 0,
            },
            indent=2,
        )
    )
    (out / "config.json").write_text(
        json.dumps(
            {
                "embed_dim": 32,
                "vision_cfg": {"image_size": s, "layers": 2, "width": 64, "patch_size": 32},
                "text_cfg": {
                    "context_length": 77,
                    "vocab_size": n_vocab,
                    "width": 64,
                    "heads": 4,
                    "layers": 2,
                },
            },
            indent=2,
        )
    )
    assert tok_path == out / "textual" / "tokenizer.json"
    return {"model": model, "bos": bos, "eos": eos}


# ---------------------------------------------------------------------------------------------------
# SentencePiece tokenizers (SigLIP, XLM-R)


def _spm_corpus(seed: int) -> list[str]:
    rng = random.Random(seed)
    extra = (
        "hund katze strand sonnenuntergang berg haus auto chien chat plage coucher soleil montagne maison "
        "voiture perro gato playa atardecer montaña casa coche cane gatto spiaggia tramonto montagna"
    ).split()
    corpus = _caption_corpus(n=8000, seed=seed)
    corpus += [" ".join(rng.choice(extra) for _ in range(rng.randint(2, 8))) for _ in range(3000)]
    return corpus


def train_spm(kind: str, vocab_size: int = 400, seed: int = 0) -> bytes:
    """A small unigram SentencePiece model: ``siglip`` ids (pad 0, eos 1, unk 2) or ``xlmr`` (fairseq order)."""
    import sentencepiece as spm

    buf = io.BytesIO()
    ids = {
        "siglip": dict(pad_id=0, eos_id=1, unk_id=2, bos_id=-1),
        "xlmr": dict(bos_id=0, pad_id=1, eos_id=2, unk_id=3),
    }[kind]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_spm_corpus(seed)),
        model_writer=buf,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        byte_fallback=False,
        minloglevel=2,
        num_threads=1,
        hard_vocab_limit=False,
        **ids,
    )
    return buf.getvalue()


def spm_tokenizer(spm_bytes: bytes, template: str, specials: list[tuple[str, int]]):
    """A ``tokenizers.Tokenizer`` equivalent to a SentencePiece unigram model: same pieces and scores,
    the model's own normalisation (precompiled charsmap, extra whitespace removed), Metaspace with a
    dummy prefix, and ``template`` (e.g. "$A </s>") adding the family's special tokens."""
    from sentencepiece import sentencepiece_model_pb2 as pb
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    proto = pb.ModelProto()
    proto.ParseFromString(spm_bytes)
    vocab = [(p.piece, p.score) for p in proto.pieces]
    unk = next(i for i, p in enumerate(proto.pieces) if p.type == 2)
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk, byte_fallback=False))
    norm = [normalizers.Replace(Regex(" {2,}"), " "), normalizers.Strip()]
    if proto.normalizer_spec.precompiled_charsmap:
        norm.insert(0, normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap))
    tok.normalizer = normalizers.Sequence(norm)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(single=template, special_tokens=specials)
    tok.add_special_tokens([p.piece for p in proto.pieces if p.type == 3])
    return tok


# ---------------------------------------------------------------------------------------------------
# SigLIP


def tiny_siglip(vocab_size: int, pad: int, eos: int, seed: int = 0) -> Any:
    import torch
    from transformers import SiglipConfig, SiglipModel

    cfg = SiglipConfig(
        text_config={
            "vocab_size": vocab_size,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "max_position_embeddings": 64,
            "pad_token_id": pad,
            "eos_token_id": eos,
            "projection_size": 64,
        },
        vision_config={
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": 224,
            "patch_size": 32,
        },
    )
    torch.manual_seed(seed)
    model = SiglipModel(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name or "layernorm" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def export_xenova_siglip(out: str | Path, seed: int = 0) -> dict[str, Any]:
    import torch
    from transformers import SiglipImageProcessorPil, SiglipTokenizer

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spm_path = out / "spiece.model"
    spm_bytes = train_spm("siglip", seed=seed)
    spm_path.write_bytes(spm_bytes)
    ref_tok = SiglipTokenizer(vocab_file=str(spm_path), model_max_length=64)
    spm_tokenizer(spm_bytes, "$A </s>", [("</s>", ref_tok.eos_token_id)]).save(str(out / "tokenizer.json"))
    model = tiny_siglip(ref_tok.vocab_size, ref_tok.pad_token_id, ref_tok.eos_token_id, seed)

    _export(
        tower(model, lambda m, x: m.vision_model(pixel_values=x).pooler_output),
        (torch.zeros(2, 3, 224, 224),),
        out / "onnx" / "vision_model.onnx",
        ["pixel_values"],
        ["image_embeds"],
        {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
    )
    _export(
        tower(model, lambda m, x: m.text_model(input_ids=x).pooler_output),
        (torch.ones(2, 64, dtype=torch.int64),),
        out / "onnx" / "text_model.onnx",
        ["input_ids"],
        ["text_embeds"],
        {"input_ids": {0: "batch"}, "text_embeds": {0: "batch"}},
    )
    proc = SiglipImageProcessorPil(
        size={"height": 224, "width": 224}, resample=3, image_mean=[0.5] * 3, image_std=[0.5] * 3
    )
    proc.save_pretrained(str(out))
    model.config.save_pretrained(str(out))
    spm_path.unlink()  # the reference tokenizer is rebuilt by the fixture script from its own copy
    return {"model": model, "processor": proc, "ref_tokenizer": ref_tok, "spm": spm_bytes}


# ---------------------------------------------------------------------------------------------------
# XLM-R text tower + CLIP vision tower (open_clip's "xlm-roberta-base-ViT-B-32" design, tiny)


def export_xlmr_package(out: str | Path, seed: int = 0, spm_bytes: bytes | None = None) -> dict[str, Any]:
    import torch
    from transformers import CLIPImageProcessorPil, XLMRobertaConfig, XLMRobertaModel

    from photosearch.models.manifest import file_entries

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    import sentencepiece as spm

    spm_bytes = spm_bytes or train_spm("xlmr", seed=seed)
    ref_tok = spm.SentencePieceProcessor(model_proto=spm_bytes)  # reference: SentencePiece itself
    bos, pad, eos = ref_tok.bos_id(), ref_tok.pad_id(), ref_tok.eos_id()
    spm_tokenizer(spm_bytes, "<s> $A </s>", [("<s>", bos), ("</s>", eos)]).save(str(out / "tokenizer.json"))
    torch.manual_seed(seed)
    text = XLMRobertaModel(
        XLMRobertaConfig(
            vocab_size=ref_tok.get_piece_size(),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=82,
            pad_token_id=pad,
            bos_token_id=bos,
            eos_token_id=eos,
        ),
        add_pooling_layer=False,
    ).eval()
    proj = torch.nn.Linear(64, 32, bias=False)
    clip = tiny_clip(100, 98, 99, seed + 1)

    class TextTower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.text, self.proj = text, proj

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            h = self.text(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1)  # open_clip MeanPooler
            return self.proj(pooled)

    tower = TextTower().eval()
    _export(
        clip_vision_tower(clip),
        (torch.zeros(2, 3, 224, 224),),
        out / "visual.onnx",
        ["pixel_values"],
        ["image_embeds"],
        {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
    )
    ids = torch.tensor([[0, 5, 6, 2, 1, 1], [0, 7, 8, 9, 10, 2]])
    mask = (ids != 1).long()
    _export(
        tower,
        (ids, mask),
        out / "textual.onnx",
        ["input_ids", "attention_mask"],
        ["text_embeds"],
        {
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "text_embeds": {0: "batch"},
        },
    )
    proc = CLIPImageProcessorPil(
        size={"shortest_edge": 224},
        crop_size={"height": 224, "width": 224},
        image_mean=CLIP_MEAN,
        image_std=CLIP_STD,
        resample=3,
    )
    manifest = {
        "format": "photosearch-model/1",
        "id": "family-xlmr-tiny",
        "name": "Tiny XLM-R + ViT (random weights)",
        "family": "xlmr-clip",
        "embedding_dim": 32,
        "licence": "MIT",
        "languages": ["multilingual"],
        "source": "models/tools/export_layouts.py (random init)",
        "vision": {
            "file": "visual.onnx",
            "input": {"name": "pixel_values", "dtype": "float32"},
            "output": {"name": "image_embeds", "normalized": False},
            "dynamic_batch": True,
            "image_size": 224,
            "resize_mode": "shortest",
            "interpolation": "bicubic",
            "crop": "center",
            "crop_rounding": "floor",
            "rescale": 1 / 255,
            "mean": CLIP_MEAN,
            "std": CLIP_STD,
        },
        "text": {
            "file": "textual.onnx",
            "tokenizer": "tokenizer.json",
            "input_ids": {"name": "input_ids", "dtype": "int64"},
            "attention_mask": {"name": "attention_mask", "dtype": "int64"},
            "output": {"name": "text_embeds", "normalized": False},
            "dynamic_batch": True,
            "dynamic_sequence": True,
            "context_length": 77,
            "bos_id": bos,
            "eos_id": eos,
            "pad_id": pad,
            "normalization": "none",
            "add_special_tokens": True,
        },
        "files": file_entries(out, ["visual.onnx", "textual.onnx", "tokenizer.json"]),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return {"clip": clip, "tower": tower, "processor": proc, "ref_tokenizer": ref_tok}


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="tiny random models in published layouts")
    ap.add_argument("layout", choices=["immich-clip", "xenova-clip", "xenova-siglip", "xlmr-package"])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    fn = {
        "immich-clip": export_immich_clip,
        "xenova-clip": export_xenova_clip,
        "xenova-siglip": export_xenova_siglip,
        "xlmr-package": export_xlmr_package,
    }[args.layout]
    fn(args.out, seed=args.seed)
    for extra in ("vocab.json", "merges.txt"):
        (Path(args.out) / extra).unlink(missing_ok=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
