"""Tokenizers for the import adapters: OpenAI CLIP's BPE merges file as a ``tokenizers.Tokenizer`` (rclip
ships only the merges), and the special-token ids of a family's ``tokenizer.json``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from photosearch.errors import ManifestError

CLIP_PATTERN = (
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
)
CLIP_BOS, CLIP_EOS = "<|startoftext|>", "<|endoftext|>"


def bytes_to_unicode() -> dict[int, str]:
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def clip_tokenizer_from_bpe(merges_path: str | Path) -> Any:  # a tokenizers.Tokenizer
    """OpenAI CLIP's tokenizer (``bpe_simple_vocab_16e6.txt.gz``, as open_clip ships it) as a
    ``tokenizers.Tokenizer``: same vocabulary and ids (49406 start, 49407 end), same pre-tokenization
    regex and byte mapping. Text cleaning (ftfy, HTML unescape, whitespace, lower) is done by the
    manifest's ``clip`` normalization, not by the tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    p = Path(merges_path)
    raw = gzip.open(p).read() if p.suffix == ".gz" else p.read_bytes()
    lines = raw.decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
    merges: list[tuple[str, str]] = [(a, b) for a, b in (m.split() for m in lines if m.strip())]
    base = list(bytes_to_unicode().values())
    # open_clip's names for the two special tokens (ids 49406, 49407) and its split pattern
    bos, eos = "<start_of_text>", "<end_of_text>"
    pattern = CLIP_PATTERN.replace(r"<\|startoftext\|>|<\|endoftext\|>", f"{bos}|{eos}")
    vocab_list = base + [v + "</w>" for v in base] + ["".join(m) for m in merges] + [bos, eos]
    vocab = {v: i for i, v in enumerate(vocab_list)}
    tok = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            end_of_word_suffix="</w>",
            continuing_subword_prefix="",
            fuse_unk=False,
        )
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(pattern), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    tok.add_special_tokens([bos, eos])
    return tok


def _tok_id(tok: Any, *names: str) -> int | None:
    for n in names:
        i = tok.token_to_id(n)
        if i is not None:
            return int(i)
    return None


def text_special(tokenizer_path: Path, family: str) -> dict[str, Any]:
    """bos/eos/pad ids and whether the tokenizer's own post-processor adds the special tokens."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path))
    data = json.loads(tokenizer_path.read_text(encoding="utf-8"))
    pad_cfg = data.get("padding") or {}
    if family == "clip":
        bos = _tok_id(tok, CLIP_BOS, "<start_of_text>")
        eos = _tok_id(tok, CLIP_EOS, "<end_of_text>")
        if bos is None or eos is None:
            raise ManifestError(f"{tokenizer_path}: no CLIP start/end tokens")
        return {"bos_id": bos, "eos_id": eos, "pad_id": 0, "add_special_tokens": False}
    # SigLIP / XLM-R: the tokenizer's post-processor knows the family's special tokens
    probe = tok.encode("a", add_special_tokens=True).ids
    plain = tok.encode("a", add_special_tokens=False).ids
    bos = probe[0] if len(probe) > len(plain) and probe[: len(plain)] != plain else None
    eos = probe[-1] if len(probe) > len(plain) and probe[-len(plain) :] != plain else None
    pad = pad_cfg.get("pad_id")
    if pad is None and family == "siglip":
        pad = eos  # transformers' SiglipTokenizer pads with </s>
    if pad is None:
        pad = _tok_id(tok, "<pad>", "[PAD]")
    if pad is None:
        pad = eos if eos is not None else 0
    return {"bos_id": bos, "eos_id": eos, "pad_id": int(pad), "add_special_tokens": len(probe) > len(plain)}
