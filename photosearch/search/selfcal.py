"""Self-calibration: the text line of a model, set on the person's own library without labelled queries.

A labelled calibration (``benchmarks/eval_relevance.py``) needs queries known to have a match and queries known
to have none; a person's machine has neither. What it can have is the second kind by construction: queries
that *cannot* describe any photo — pronounceable nonsense, keyboard mashes, words glued from the pieces of the
model's own tokenizer vocabulary, random letters of other alphabets, non-pictorial emoji, file names, words
without meaning. Each runs through the same margin as a real query (:func:`photosearch.search.line.bank_margin`
over the query's top ``k`` photos by score, exactly as a search ranks them), and the line is set where at most
a small share of them would pass (Neyman–Pearson: the false-pass rate is what is controlled), never below 0
(:data:`FLOOR`), plus a :data:`GUARD`. The share and the guard were chosen on the calibration split of
``benchmarks/eval_relevance.py`` (``benchmarks/eval_selfcal.py``, which also reports the result).

What generated queries cannot stand for: queries that *mean* something the library lacks (an absent colour, an
everyday scene in a library without one). Telling "absent" from "present" needs to know the library's content,
which is what labels are. The guard stands in for them; it is one constant, chosen on one model (the shapes test
model), so how it carries to another model is an assumption. Nor is the match side seen (real queries with
matches): a line set from negatives can only be too strict where a model's matches sit near its nonsense. On the
shapes model the generated queries' margins sit near 0 (it was trained to read nonsense as "a photo"), so there
the floor and the guard carry the line; the generated part matters for a model whose nonsense reaches positive
margins in some library.

The generator here is the product's own, with its own alphabets and seed: the evaluation's no-match queries
(``models/tools/photo_negatives.py``) stay unseen by it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from photosearch.models.encoders import ModelRuntime
from photosearch.search.cutoff import CutoffRule, RuleSource
from photosearch.search.line import BANK_TOP
from photosearch.search.relevance import RelevanceCutoff
from photosearch.store.catalog import Catalog

log = logging.getLogger(__name__)

#: The share of generated no-match queries allowed to pass the line (chosen on the calibration split of
#: benchmarks/eval_relevance.py by benchmarks/eval_selfcal.py).
FALSE_PASS_SHARE = 0.01
#: Added to the line the generated queries give (in the margin's units, bank spreads): what stands in for the
#: queries no generator can make without labels — ones that mean something the library lacks (chosen on the
#: calibration split of benchmarks/eval_relevance.py by benchmarks/eval_selfcal.py).
GUARD = 0.75
#: The generated queries never put the line below this margin: a query that does not describe a photo better than
#: the best everyday caption does is not a match (the zero-shot view's own meaning, :mod:`photosearch.search.line`).
#: In a library of photos unlike anything the generated queries evoke (drawn shapes only, for the shapes model)
#: their margins sit far below zero (−3), and a line there would pass whatever names a shape, present or not.
FLOOR = 0.0
#: Generated queries per calibration (each kind gets an equal part).
QUERIES = 480
#: Results per query whose margins count (a search shows 20 by default; a no-match query must have none
#: of its first 20 pass).
TOP_K = 20
#: A library needs at least this many photos to be calibrated on: with fewer, a query's top results are more
#: than half of the library and the line says more about those few photos than about the model.
MIN_PHOTOS = 2 * TOP_K
#: At most this many photos are used (a random sample of a larger library; the margin of a photo does not
#: depend on the others, only which photos are a query's top ``k`` does).
MAX_PHOTOS = 50_000
SEED = 20_261_206


class NoMatchKind(str, Enum):
    """The kinds of generated queries that cannot describe a photo."""

    PRONOUNCEABLE = "pronounceable nonsense"
    KEYBOARD = "keyboard mash"
    VOCAB_PIECES = "words glued from the vocabulary's pieces"
    OTHER_ALPHABETS = "random letters of other alphabets"
    SYMBOL_EMOJI = "non-pictorial emoji and symbols"
    FILE_NAMES = "camera file names and numbers"
    NO_MEANING = "words without meaning"


_CONSONANTS = "bdfgklmnprstvzh"
_VOWELS = "aeiou"
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
#: Letters of alphabets (never ideographs: one Han character is a word in Chinese or Japanese, and a
#: multilingual model reads it). Random strings of them are nonsense in every language.
_ALPHABETS: tuple[tuple[int, int], ...] = (
    (0x0430, 0x044F),  # Cyrillic
    (0x03B1, 0x03C9),  # Greek
    (0x0561, 0x0586),  # Armenian
    (0x10D0, 0x10F0),  # Georgian
    (0x05D0, 0x05EA),  # Hebrew
    (0x0E01, 0x0E2E),  # Thai
    (0x3041, 0x3093),  # Hiragana
    (0x30A1, 0x30F3),  # Katakana
    (0x0905, 0x0939),  # Devanagari
    (0x1100, 0x1112),  # Hangul initial jamo
)
#: Emoji and symbols that picture nothing a photo shows (no animals, faces, food, places, shapes or colours), and
#: that a tokenizer's Unicode normalisation (NFKC) leaves symbols: not 🈶 (→ 有, a word), ™ (→ TM) or № (→ No).
_SYMBOLS = "♈♉♊♋♌♍♎♏♐♑♒♓⏩⏪⏫⏬⏯🔀🔁🔂🔣🔤🔢🔡🆒🆕🆗🆙🆖©®‼⁉〰➰➿〽✳✴❇§¶†‡※⁂℮℗"
_FILE_STEMS = ("IMG_", "DSC_", "DSCN", "P10", "PXL_", "VID_", "Screenshot_", "scan", "image", "DCIM")
#: Words and phrases that say nothing about what is in a photo.
_NO_MEANING = ("anything", "whatever", "untitled", "misc", "this one", "that", "here", "nothing", "random",
               "etc", "a nice one", "some pic", "more", "ok", "hmm", "my favourite", "the best one", "new",
               "again", "whatever it is", "the other one", "any of them", "yes", "no", "maybe", "and so on",
               "one of those", "the usual", "it", "all of it")  # fmt: skip


def _pronounceable(rng: np.random.Generator) -> str:
    syllables = int(rng.integers(2, 5))
    return "".join(
        _CONSONANTS[int(rng.integers(len(_CONSONANTS)))] + _VOWELS[int(rng.integers(len(_VOWELS)))]
        for _ in range(syllables)
    ) + ("" if rng.random() < 0.5 else _CONSONANTS[int(rng.integers(len(_CONSONANTS)))])


def _keyboard(rng: np.random.Generator) -> str:
    row = _KEY_ROWS[int(rng.integers(len(_KEY_ROWS)))]
    start = int(rng.integers(len(row)))
    n = int(rng.integers(3, 8))
    return "".join(row[(start + i * int(rng.integers(1, 3))) % len(row)] for i in range(n))


def _other_alphabet(rng: np.random.Generator) -> str:
    lo, hi = _ALPHABETS[int(rng.integers(len(_ALPHABETS)))]
    return "".join(chr(int(rng.integers(lo, hi + 1))) for _ in range(int(rng.integers(3, 8))))


def _symbols(rng: np.random.Generator) -> str:
    return "".join(_SYMBOLS[int(rng.integers(len(_SYMBOLS)))] for _ in range(int(rng.integers(1, 4))))


def _file_name(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.6:
        stem = _FILE_STEMS[int(rng.integers(len(_FILE_STEMS)))]
        return f"{stem}{int(rng.integers(0, 100_000)):05d}" + (".jpg" if rng.random() < 0.4 else "")
    if r < 0.8:
        return f"{int(rng.integers(2000, 2030))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}"
    return str(int(rng.integers(0, 10_000)))


def vocabulary_pieces(tokenizer_path: str | Path | None) -> list[str]:
    """Alphabetic pieces (≥ 2 letters) of a tokenizer's vocabulary (``tokenizer.json``); [] when unreadable."""
    if tokenizer_path is None:
        return []
    try:
        data = json.loads(Path(tokenizer_path).read_text(encoding="utf-8"))
        vocab = data.get("model", {}).get("vocab", {})
        words = list(vocab) if isinstance(vocab, dict) else [v[0] for v in vocab if isinstance(v, list)]
    except (OSError, ValueError, TypeError, AttributeError, IndexError, KeyError):
        log.debug("no vocabulary pieces from %s", tokenizer_path, exc_info=True)
        return []
    out = []
    for w in words:
        piece = str(w).replace("</w>", "").lstrip("▁Ġ#")
        if len(piece) >= 2 and piece.isascii() and piece.isalpha():
            out.append(piece.lower())
    return sorted(set(out))


def _glued(rng: np.random.Generator, pieces: Sequence[str], known: set[str]) -> str:
    """A word made of the front of one vocabulary piece and the back of another, itself not a piece."""
    for _ in range(50):
        a, b = pieces[int(rng.integers(len(pieces)))], pieces[int(rng.integers(len(pieces)))]
        word = a[: max(2, len(a) // 2 + int(rng.integers(0, 2)))] + b[len(b) // 2 :]
        if word not in known and len(word) >= 4:
            return word
    return _pronounceable(rng)


def no_match_queries(
    n: int = QUERIES, seed: int = SEED, pieces: Sequence[str] = ()
) -> list[tuple[NoMatchKind, str]]:
    """``n`` queries that cannot describe a photo, each with its kind (an equal share of each kind; the words
    glued from vocabulary pieces become pronounceable nonsense when there are no ``pieces``)."""
    rng = np.random.default_rng(seed)
    known = set(pieces)
    kinds = list(NoMatchKind)
    out: list[tuple[NoMatchKind, str]] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        words = int(rng.integers(1, 4))
        if kind is NoMatchKind.NO_MEANING:  # one phrase, or two (fewer repeats of the same few)
            picks = rng.choice(len(_NO_MEANING), size=1 + int(rng.random() < 0.6), replace=False)
            text = " ".join(_NO_MEANING[int(j)] for j in picks)
        elif kind is NoMatchKind.FILE_NAMES:
            text = _file_name(rng)
        else:
            make: Callable[[np.random.Generator], str] = {
                NoMatchKind.PRONOUNCEABLE: _pronounceable,
                NoMatchKind.KEYBOARD: _keyboard,
                NoMatchKind.OTHER_ALPHABETS: _other_alphabet,
                NoMatchKind.SYMBOL_EMOJI: _symbols,
                NoMatchKind.VOCAB_PIECES: (lambda r: _glued(r, pieces, known)) if pieces else _pronounceable,
            }[kind]
            text = " ".join(make(rng) for _ in range(words))
        out.append((kind, text))
    return out


def top_margins(
    photos: np.ndarray, captions: np.ndarray, queries: np.ndarray, k: int = TOP_K, top: int = BANK_TOP
) -> np.ndarray:
    """Each query's highest zero-shot margin among its ``k`` best photos by score — what decides whether a
    search for it says "no good matches". ``photos`` [n, d], ``captions`` [c, d], ``queries`` [m, d], all
    L2-normalised. The same formula as :func:`photosearch.search.line.bank_margin`, for all queries at once."""
    x = np.asarray(photos, dtype=np.float32)
    bank = x @ np.asarray(captions, dtype=np.float32).T  # [n, c]
    t = max(1, min(top, bank.shape[1]))
    ref = np.sort(bank, axis=1)[:, -t:].mean(axis=1).astype(np.float64)
    spread = np.maximum(bank.astype(np.float64).std(axis=1), 1e-6)
    out = np.empty(len(queries))
    kk = max(1, min(k, len(x)))
    for start in range(0, len(queries), 64):
        q = np.asarray(queries[start : start + 64], dtype=np.float32)
        s = q @ x.T  # [b, n]
        best = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        rows = np.arange(len(q))[:, None]
        m = (s[rows, best].astype(np.float64) - ref[best]) / spread[best]
        out[start : start + len(q)] = m.max(axis=1)
    return out


def line_for(margins: np.ndarray, share: float = FALSE_PASS_SHARE) -> float:
    """A line that at most ``share`` of ``margins`` reach (a result passes at margin ≥ line): the middle
    between the highest margin that must fail and the next one up (just above the highest when none may
    pass)."""
    m = np.sort(np.asarray(margins, dtype=np.float64))[::-1]
    if len(m) == 0:
        raise ValueError("no margins to set a line from")
    allowed = int(np.floor(share * len(m) + 1e-9))
    if allowed >= len(m):
        return float(m[-1])
    must_fail = m[allowed]
    if allowed == 0 or m[allowed - 1] <= must_fail:
        return float(np.nextafter(must_fail, np.inf))
    return float((must_fail + m[allowed - 1]) / 2)


@dataclass(frozen=True)
class SelfCalibration:
    """What a self-calibration found: the text line and how it was reached."""

    line: float
    noise_line: float  # where the generated queries put it, at least FLOOR (``line`` = this + ``guard``)
    raw_line: float  # where the generated queries put it, without the floor
    guard: float
    photos: int
    queries: int
    share: float
    passed: float  # the share of generated queries that pass at the line
    by_kind: dict[str, float] = field(default_factory=dict)  # each kind's share passing at the line
    highest: float = 0.0  # the highest margin any generated query reached


def self_calibrate(
    photos: np.ndarray,
    captions: np.ndarray,
    encode: Callable[[list[str]], np.ndarray],
    *,
    pieces: Sequence[str] = (),
    share: float = FALSE_PASS_SHARE,
    n: int = QUERIES,
    seed: int = SEED,
    k: int = TOP_K,
    guard: float = GUARD,
) -> SelfCalibration:
    """The text line for a library whose L2-normalised embeddings are ``photos``, with the model's caption bank
    ``captions`` (normalised) and its text encoder ``encode``; see the module's docstring."""
    queries = no_match_queries(n, seed, pieces)
    vecs = np.asarray(encode([t for _, t in queries]), dtype=np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    margins = top_margins(photos, captions, vecs, k)
    raw_line = line_for(margins, share)
    noise_line = max(raw_line, FLOOR)
    line = noise_line + guard
    by_kind = {
        kind.value: float(
            np.mean([m >= line for (kd, _), m in zip(queries, margins, strict=True) if kd is kind])
        )
        for kind in NoMatchKind
    }
    return SelfCalibration(
        line=line,
        noise_line=noise_line,
        raw_line=raw_line,
        guard=guard,
        photos=len(photos),
        queries=len(queries),
        share=share,
        passed=float(np.mean(margins >= line)),
        by_kind=by_kind,
        highest=float(margins.max()),
    )


class LibraryLine(RelevanceCutoff):
    """The relevance line of one library and model, without a search engine's vector index: what a
    calibration needs (the caption bank, the line in force, the stored embeddings)."""

    def __init__(self, catalog: Catalog, runtime: ModelRuntime) -> None:
        self._init_relevance(catalog, runtime, None, None)


def library_vectors(engine: RelevanceCutoff, limit: int = MAX_PHOTOS, seed: int = SEED) -> np.ndarray:
    """The L2-normalised embeddings of the photos a search can show (a random ``limit`` of them at most)."""
    labels = np.sort(engine.catalog.visible_labels(engine.runtime.id))
    if len(labels) > limit:
        labels = np.sort(np.random.default_rng(seed).choice(labels, size=limit, replace=False))
    _, vecs = engine.catalog.embeddings_by_ids(labels.tolist(), engine.runtime.dim)
    x = np.asarray(vecs, dtype=np.float32).reshape(-1, engine.runtime.dim)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def calibrate_engine(engine: RelevanceCutoff, share: float = FALSE_PASS_SHARE, **kw: Any) -> SelfCalibration:
    """:func:`self_calibrate` on the library and model of a search engine (its caption bank, its encoder, its
    tokenizer's vocabulary)."""
    rt = engine.runtime
    return self_calibrate(
        library_vectors(engine),
        engine._caption_vectors(),
        lambda texts: np.asarray(rt.text.encode(texts), dtype=np.float32),
        pieces=vocabulary_pieces(rt.package.tokenizer_path),
        share=share,
        **kw,
    )


def rule_for(sc: SelfCalibration, when: float) -> CutoffRule:
    """The catalog rule a self-calibration becomes: it sets the text line only (photo queries keep the
    model's line), and keeps how it was reached for the person (``line_info``, ``models calibrate``)."""
    return CutoffRule(
        {"text": round(sc.line, 4)},
        calibrated=True,
        kinds=("text",),
        source=RuleSource.LIBRARY,
        details={
            "photos": sc.photos,
            "queries": sc.queries,
            "share": sc.share,
            "passed": round(sc.passed, 4),
            "noise_line": round(sc.noise_line, 4),
            "raw_line": round(sc.raw_line, 4),
            "guard": sc.guard,
            "at": when,
        },
    )
