"""A tiny random model package built with onnx.helper (no torch): for tests of the machinery
(manifest, encoders, catalog, index, CLI) that don't need real semantics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.tools.manifest_parts import clip_text_section

VOCAB = ["<pad>", "<bos>", "<eos>", "<unk>"] + [
    "a",
    "the",
    "photo",
    "of",
    "red",
    "green",
    "blue",
    "yellow",
    "circle",
    "square",
    "triangle",
    "dog",
    "cat",
    "beach",
    "sunset",
    "night",
    "at",
    "small",
    "large",
    "top",
    "left",
    "right",
    "bottom",
]


def _tokenizer_json() -> dict:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(VOCAB)}, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return json.loads(tok.to_str())


def build_tiny_model(
    out: Path,
    *,
    size: int = 32,
    dim: int = 16,
    seed: int = 0,
    model_id: str = "tiny-random",
    dynamic_batch: bool = True,
    dynamic_sequence: bool = True,
    context: int = 16,
    normalized: bool = False,
) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from photosearch.models.manifest import file_entries

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    batch = "batch" if dynamic_batch else 1
    seq = "seq" if dynamic_sequence else context

    # vision: flatten → matmul
    w = (rng.standard_normal((3 * size * size, dim)) / np.sqrt(3 * size * size)).astype(np.float32)
    nodes = [
        helper.make_node("Flatten", ["pixel_values"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["image_embeds" if not normalized else "raw"]),
    ]
    if normalized:
        nodes += [helper.make_node("LpNormalization", ["raw"], ["image_embeds"], axis=-1, p=2)]
    g = helper.make_graph(
        nodes,
        "vision",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, [batch, 3, size, size])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, [batch, dim])],
        [numpy_helper.from_array(w, "W")],
    )
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), out / "visual.onnx")

    # text: embed → cumulative sum → take the EOS position (argmax id: EOS is the largest special id
    # among bos/eos/pad and words are looked up past it, so use the position of the first EOS) → matmul
    emb = rng.standard_normal((len(VOCAB), dim)).astype(np.float32)
    proj = (rng.standard_normal((dim, dim)) / np.sqrt(dim)).astype(np.float32)
    # pooled = cumulative sum of token embeddings at the first EOS position (padding-invariant)
    t_nodes = [
        helper.make_node("Gather", ["E", "input_ids"], ["x"]),
        helper.make_node("CumSum", ["x", "axis1"], ["cs"]),
        helper.make_node("Equal", ["input_ids", "eos"], ["is_eos"]),
        helper.make_node("Cast", ["is_eos"], ["is_eos_i"], to=TensorProto.INT32),
        helper.make_node("ArgMax", ["is_eos_i"], ["pos"], axis=1, keepdims=1),
        helper.make_node("Unsqueeze", ["pos", "axis2_list"], ["pos3"]),
        helper.make_node("Shape", ["cs"], ["shape3"]),
        helper.make_node("Mul", ["shape3", "mask101"], ["masked"]),
        helper.make_node("Add", ["masked", "add010"], ["idx_shape"]),
        helper.make_node("Expand", ["pos3", "idx_shape"], ["idx"]),
        helper.make_node("GatherElements", ["cs", "idx"], ["pooled3"], axis=1),
        helper.make_node("Squeeze", ["pooled3", "axis1_list"], ["pooled"]),
        helper.make_node("MatMul", ["pooled", "P"], ["text_embeds"]),
    ]
    inits = [
        numpy_helper.from_array(emb, "E"),
        numpy_helper.from_array(proj, "P"),
        numpy_helper.from_array(np.array(1, np.int64), "axis1"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1_list"),
        numpy_helper.from_array(np.array([2], np.int64), "axis2_list"),
        numpy_helper.from_array(np.array(2, np.int64), "eos"),
        numpy_helper.from_array(np.array([1, 0, 1], np.int64), "mask101"),
        numpy_helper.from_array(np.array([0, 1, 0], np.int64), "add010"),
    ]
    tg = helper.make_graph(
        t_nodes,
        "text",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [batch, seq])],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, [batch, dim])],
        inits,
    )
    onnx.save(helper.make_model(tg, opset_imports=[helper.make_opsetid("", 17)]), out / "textual.onnx")
    (out / "tokenizer.json").write_text(json.dumps(_tokenizer_json()))

    manifest = {
        "format": "photosearch-model/1",
        "id": model_id,
        "name": "Tiny random test model",
        "family": "clip",
        "embedding_dim": dim,
        "licence": "MIT",
        "vision": {
            "file": "visual.onnx",
            "input": {"name": "pixel_values", "dtype": "float32"},
            "output": {"name": "image_embeds", "normalized": normalized},
            "dynamic_batch": dynamic_batch,
            "image_size": size,
            "resize_mode": "shortest",
            "interpolation": "bicubic",
            "crop": "center",
            "crop_rounding": "floor",
            "rescale": 1 / 255,
            "mean": [0.48145466, 0.4578275, 0.40821073],
            "std": [0.26862954, 0.26130258, 0.27577711],
        },
        "text": clip_text_section(
            context,
            1,
            2,
            dynamic_batch=dynamic_batch,
            dynamic_sequence=dynamic_sequence,
            add_special_tokens=None,
        ),
        "files": file_entries(out, ["visual.onnx", "textual.onnx", "tokenizer.json"]),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return out
