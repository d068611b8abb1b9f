"""Text tokenization from the package's ``tokenizer.json`` plus the family's text normalisation."""

from __future__ import annotations

import html
import re
import string
import threading
from pathlib import Path

import numpy as np

from photosearch.errors import ManifestError
from photosearch.models.manifest import TextSpec

_WS = re.compile(r"\s+")
_PUNCT = str.maketrans("", "", string.punctuation)


def _plain_ascii(text: str) -> bool:
    """Printable ASCII plus ordinary whitespace and no "&" (an HTML entity may decode to something ftfy
    fixes): ftfy has nothing to change there, so the common query skips importing and running it."""
    return text.isascii() and "&" not in text and all(" " <= c <= "~" or c in "\t\n\r" for c in text)


def clip_normalize(text: str) -> str:
    """OpenAI CLIP / open_clip cleaning: ftfy fix, HTML unescape (twice), whitespace clean, lower case."""
    if not _plain_ascii(text):
        import ftfy

        text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text))
    text = _WS.sub(" ", text.strip()).strip()
    return text.lower()


def siglip_normalize(text: str) -> str:
    """transformers' SiglipTokenizer canonicalisation: drop ASCII punctuation, collapse whitespace, lower."""
    text = text.translate(_PUNCT)
    text = _WS.sub(" ", text).strip()
    return text.lower()


NORMALIZERS = {
    "clip": clip_normalize,
    "siglip": siglip_normalize,
    "none": lambda t: t,
}


class TextTokenizer:
    """Normalise, tokenize, add the family's special tokens, truncate and pad, per the manifest."""

    def __init__(self, spec: TextSpec, tokenizer_path: str | Path) -> None:
        from tokenizers import Tokenizer

        self.spec = spec
        try:
            self._tok = Tokenizer.from_file(str(tokenizer_path))
        except Exception as e:  # noqa: BLE001 - tokenizers raises plain Exception
            raise ManifestError(f"cannot load tokenizer {tokenizer_path}: {e}") from e
        self._tok.no_padding()
        self._tok.no_truncation()
        self._normalize = NORMALIZERS[spec.normalization]
        self._lock = threading.Lock()

    def normalize(self, text: str) -> str:
        return self._normalize(text)

    def ids(self, text: str) -> list[int]:
        """Token ids for one text, with start/end tokens, truncated to the context length."""
        spec = self.spec
        with self._lock:
            enc = self._tok.encode(self.normalize(text), add_special_tokens=spec.add_special_tokens)
        ids = list(enc.ids)
        if spec.add_special_tokens:
            return _truncate_keep_end(ids, spec.context_length, spec.eos_id)
        room = spec.context_length - (spec.bos_id is not None) - (spec.eos_id is not None)
        ids = ids[:room]
        if spec.bos_id is not None:
            ids = [spec.bos_id, *ids]
        if spec.eos_id is not None:
            ids = [*ids, spec.eos_id]
        return ids

    def encode(self, texts: list[str], pad_to_context: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask) as int64 arrays of shape (batch, seq).

        Padding goes to the longest text in the batch when the model's sequence axis is dynamic,
        else (or when ``pad_to_context``) to the full context length.
        """
        spec = self.spec
        rows = [self.ids(t) for t in texts]
        pad_full = (not spec.dynamic_sequence) if pad_to_context is None else pad_to_context
        length = spec.context_length if pad_full else max((len(r) for r in rows), default=1)
        ids = np.full((len(rows), length), spec.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1
        return ids, mask


def _truncate_keep_end(ids: list[int], n: int, eos: int | None) -> list[int]:
    if len(ids) <= n:
        return ids
    ids = ids[:n]
    if eos is not None:
        ids[-1] = eos
    return ids
