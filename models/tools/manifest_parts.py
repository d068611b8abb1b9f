"""The ``text`` section of a CLIP package manifest, as every tool here writes it (the export of real
architectures, the shapes model's training, the tests' tiny model): a CLIP tokenizer, token ids in, unnormalised
text embeddings out."""

from __future__ import annotations

from typing import Any


def clip_text_section(
    context: int,
    bos: int,
    eos: int,
    pad: int = 0,
    *,
    dynamic_batch: bool = True,
    dynamic_sequence: bool = True,
    add_special_tokens: bool | None = False,
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "file": "textual.onnx",
        "tokenizer": "tokenizer.json",
        "input_ids": {"name": "input_ids", "dtype": "int64"},
        "attention_mask": None,
        "output": {"name": "text_embeds", "normalized": False},
        "dynamic_batch": dynamic_batch,
        "dynamic_sequence": dynamic_sequence,
        "context_length": context,
        "bos_id": bos,
        "eos_id": eos,
        "pad_id": pad,
        "normalization": "clip",
    }
    if add_special_tokens is not None:
        section["add_special_tokens"] = add_special_tokens
    return section
