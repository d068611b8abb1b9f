"""Text tokenization from the package's ``tokenizer.json`` plus the family's text normalisation and text
conventions: NLLB-CLIP text towers expect the query prefixed with the FLORES-200 code of its language
(``eng_Latn``, as Immich sends it; manifest ``text.query_prefix: "flores200"``). The query language is
:func:`query_language` — set by the front end (CLI ``--lang``, the GUI's setting), else from the locale.
"""

from __future__ import annotations

import html
import locale
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


# ISO 639-1 (the locale's language) -> FLORES-200 (NLLB's language codes)
FLORES200 = {
    "af": "afr_Latn",
    "ar": "arb_Arab",
    "bg": "bul_Cyrl",
    "bn": "ben_Beng",
    "ca": "cat_Latn",
    "cs": "ces_Latn",
    "cy": "cym_Latn",
    "da": "dan_Latn",
    "de": "deu_Latn",
    "el": "ell_Grek",
    "en": "eng_Latn",
    "es": "spa_Latn",
    "et": "est_Latn",
    "eu": "eus_Latn",
    "fa": "pes_Arab",
    "fi": "fin_Latn",
    "fr": "fra_Latn",
    "ga": "gle_Latn",
    "gl": "glg_Latn",
    "he": "heb_Hebr",
    "hi": "hin_Deva",
    "hr": "hrv_Latn",
    "hu": "hun_Latn",
    "hy": "hye_Armn",
    "id": "ind_Latn",
    "is": "isl_Latn",
    "it": "ita_Latn",
    "ja": "jpn_Jpan",
    "ka": "kat_Geor",
    "kk": "kaz_Cyrl",
    "ko": "kor_Hang",
    "lt": "lit_Latn",
    "lv": "lvs_Latn",
    "mk": "mkd_Cyrl",
    "ms": "zsm_Latn",
    "nb": "nob_Latn",
    "nl": "nld_Latn",
    "nn": "nno_Latn",
    "no": "nob_Latn",
    "pl": "pol_Latn",
    "pt": "por_Latn",
    "ro": "ron_Latn",
    "ru": "rus_Cyrl",
    "sk": "slk_Latn",
    "sl": "slv_Latn",
    "sr": "srp_Cyrl",
    "sv": "swe_Latn",
    "sw": "swh_Latn",
    "ta": "tam_Taml",
    "th": "tha_Thai",
    "tl": "tgl_Latn",
    "tr": "tur_Latn",
    "uk": "ukr_Cyrl",
    "ur": "urd_Arab",
    "vi": "vie_Latn",
    "zh": "zho_Hans",
    "zh-tw": "zho_Hant",
    "zh-hk": "zho_Hant",
    "zh-hant": "zho_Hant",
}
DEFAULT_FLORES = "eng_Latn"
_FLORES_RE = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
_query_language: str | None = None


def flores_code(language: str | None) -> str:
    """A FLORES-200 code for a language given as a FLORES code, ``de``, ``de_DE.UTF-8``, ``zh-TW``…
    (unknown: ``eng_Latn``, as Immich does)."""
    if not language:
        return DEFAULT_FLORES
    lang = language.strip()
    if _FLORES_RE.match(lang):
        return lang
    lang = lang.split(".")[0].split("@")[0].replace("_", "-").lower()
    return FLORES200.get(lang) or FLORES200.get(lang.split("-")[0]) or DEFAULT_FLORES


def locale_language() -> str | None:
    try:
        lang = locale.getlocale(locale.LC_MESSAGES)[0] if hasattr(locale, "LC_MESSAGES") else None
        return lang or locale.getlocale()[0]
    except (ValueError, TypeError):
        return None


def set_query_language(language: str | None) -> None:
    """The language queries are written in (None: the locale's). Process-wide: the CLI's ``--lang`` and the
    GUI's setting set it."""
    global _query_language
    _query_language = flores_code(language) if language else None


def query_language() -> str:
    """FLORES-200 code of the query language: the chosen one, else the locale's, else ``eng_Latn``."""
    return _query_language or flores_code(locale_language())


NORMALIZERS = {
    "clip": clip_normalize,
    "siglip": siglip_normalize,
    "none": lambda t: t,
}


class TextTokenizer:
    """Normalise, tokenize, add the family's special tokens, truncate and pad, per the manifest."""

    def __init__(self, spec: TextSpec, tokenizer_path: str | Path, language: str | None = None) -> None:
        from tokenizers import Tokenizer

        self.spec = spec
        self.language = language  # None: query_language() at each call
        try:
            self._tok = Tokenizer.from_file(str(tokenizer_path))
        except Exception as e:  # tokenizers raises plain Exception
            raise ManifestError(f"cannot load tokenizer {tokenizer_path}: {e}") from e
        self._tok.no_padding()
        self._tok.no_truncation()
        self._normalize = NORMALIZERS[spec.normalization]
        self._lock = threading.Lock()

    def normalize(self, text: str) -> str:
        text = self._normalize(text)
        if self.spec.query_prefix == "flores200":  # NLLB: "eng_Latn" + text, as Immich does
            text = flores_code(self.language or query_language()) + text
        return text

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
