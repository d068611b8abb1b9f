"""CLIP tokenizer parity: our path (``clip`` normalisation + a tokenizer.json built from OpenAI's BPE merges by
the rclip adapter) gives exactly the ids of OpenAI CLIP's tokenizer as open_clip ships it, on ≥ 1,000 hard
strings (BOMs, fullwidth forms, ligatures, curly quotes, HTML entities, mojibake, Greek final sigma, emoji,
CJK, over-long texts). Reference ids recorded by ``models/tools/make_tokenizer_fixture.py``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from photosearch.models.adapters import clip_tokenizer_from_bpe
from photosearch.models.manifest import OutputSpec, TensorSpec, TextSpec
from photosearch.models.tokenize import TextTokenizer

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "clip-tokenizer"


def _spec(tokenizer: str = "tokenizer.json") -> TextSpec:
    return TextSpec(
        file="textual.onnx",
        tokenizer=tokenizer,
        input_ids=TensorSpec("input_ids", "int64"),
        attention_mask=None,
        output=OutputSpec("text_embeds", False),
        dynamic_batch=True,
        dynamic_sequence=False,
        context_length=77,
        bos_id=49406,
        eos_id=49407,
        pad_id=0,
        normalization="clip",
        add_special_tokens=False,
    )


def test_clip_ids_identical_to_open_clip(tmp_path: Path) -> None:
    strings = json.loads((FIX / "strings.json").read_text(encoding="utf-8"))
    ref = np.load(FIX / "reference_ids.npz")["ids"]
    assert len(strings) >= 1000 and ref.shape == (len(strings), 77)
    tok_path = tmp_path / "tokenizer.json"
    clip_tokenizer_from_bpe(FIX / "bpe_simple_vocab_16e6.txt.gz").save(str(tok_path))
    tok = TextTokenizer(_spec(), tok_path)
    ours, _ = tok.encode(strings, pad_to_context=True)
    same = (ours == ref).all(axis=1)
    bad = [(strings[i], ours[i][:12].tolist(), ref[i][:12].tolist()) for i in np.flatnonzero(~same)[:5]]
    print(f"\nCLIP tokenizer parity vs open_clip SimpleTokenizer: {int(same.sum())}/{len(strings)} identical")
    assert same.all(), bad
    # the hard categories really are in the set
    joined = "".join(strings)
    for probe in ("\ufeff", "ＡＢ", "ﬁ", "“", "&amp;", "Ã©", "ΣΑΣ", "🐶", "東京", "ς"):
        assert probe in joined
    assert max(len(s.split()) for s in strings) > 77


def test_plain_tokenizer_json_disagrees_without_normalisation(tmp_path: Path) -> None:
    """Control: the same tokenizer.json without ftfy/HTML cleaning differs on the hard strings — the
    normalisation step is what makes the ids identical."""
    strings = json.loads((FIX / "strings.json").read_text(encoding="utf-8"))
    ref = np.load(FIX / "reference_ids.npz")["ids"]
    tok_path = tmp_path / "tokenizer.json"
    clip_tokenizer_from_bpe(FIX / "bpe_simple_vocab_16e6.txt.gz").save(str(tok_path))
    from dataclasses import replace

    plain = TextTokenizer(replace(_spec(), normalization="none"), tok_path)
    ours, _ = plain.encode([s.lower() for s in strings], pad_to_context=True)
    assert (ours != ref).any(axis=1).sum() > 50
