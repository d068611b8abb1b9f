"""How a query's words match the text read in a photo: tolerant of OCR slips and word order, exact for quoted
phrases, and working for one- and two-character queries and CJK text.

Retrieval is in two steps. SQLite's FTS5 with the ``trigram`` tokenizer (substrings in any script, no second
database) gives candidates: every photo sharing a trigram with a query word (``fts_expression``; the index holds ``index_form``
of each photo's text). Each candidate
is then scored here on its stored text (``score``): a word found as a substring counts 1, a word of four or more
letters within a few edits of a word of the text (an OCR slip: "Wivennoe" for "Wivenhoe") counts its similarity
(1 - edits / length, from 0.75 up), and a quoted phrase must appear as it is. Words shorter than three characters (and so single CJK characters) cannot be trigram
terms: they are looked up as substrings (``like_patterns``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_WORD_SIMILARITY = (
    0.75  # a word not found whole counts when a word of the text is this close (1 - edits/len)
)
MATCH_SCORE = 0.66  # a photo matches a query by its text from this score up


def normalise(text: str) -> str:
    """Case-folded, compatibility-normalised (full-width forms, ligatures), accents kept, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def index_form(text: str) -> str:
    """What the FTS index stores for a photo's text: normalised and without accents, so that "cafe" finds
    "Café" and "ＣＡＦＥ" (the trigram tokenizer folds case only); the text as read is kept beside it."""
    return _strip_accents(normalise(text))


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def trigrams(word: str) -> set[str]:
    return {word[i : i + 3] for i in range(len(word) - 2)} if len(word) >= 3 else set()


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class TextQuery:
    words: tuple[str, ...]
    phrases: tuple[str, ...]

    @classmethod
    def parse(cls, query: str) -> TextQuery:
        phrases = tuple(normalise(p) for p in re.findall(r'"([^"]+)"', query) if normalise(p))
        rest = normalise(re.sub(r'"[^"]*"', " ", query))
        words: list[str] = []
        for token in rest.split():
            token = token.strip(".,;:!?()[]{}'\"")
            if not token:
                continue
            if _CJK.search(token) and len(token) > 3:  # CJK runs have no spaces: overlapping pieces of three
                words.extend(token[i : i + 3] for i in range(0, len(token) - 2))
            else:
                words.append(token)
        return cls(tuple(dict.fromkeys(words)), phrases)

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    def fts_expression(self) -> str | None:
        """An FTS5 MATCH expression that finds every candidate (None: no term is three characters long)."""
        terms: set[str] = set()
        for phrase in self.phrases:
            if len(phrase) >= 3:
                terms.add(_strip_accents(phrase))
        for word in self.words:
            terms |= trigrams(_strip_accents(word)) if len(word) >= 3 else set()
        if not terms:
            return None
        return " OR ".join('"' + t.replace('"', '""') + '"' for t in sorted(terms))

    def like_patterns(self) -> list[str]:
        """LIKE patterns for the words too short for trigrams (and a phrase of one or two characters)."""
        short = [_strip_accents(w) for w in self.words if len(w) < 3]
        short += [_strip_accents(p) for p in self.phrases if len(p) < 3]
        return ["%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in short]

    def score(self, text: str) -> float:
        """0..1: how well ``text`` (a photo's recognised text) answers the query; 0 when a phrase is missing."""
        body = normalise(text)
        if not body or self.empty:
            return 0.0
        loose = _strip_accents(body)
        if any(p not in body and _strip_accents(p) not in loose for p in self.phrases):
            return 0.0
        if not self.words:
            return 1.0
        tokens = set(re.findall(r"\w+(?:[.,:/-]\w+)*", loose))
        total = 0.0
        for word in self.words:
            w = _strip_accents(word)
            if w in loose:
                total += 1.0
            elif len(w) >= 4 and not _CJK.search(w):
                best = max((similarity(w, t) for t in tokens), default=0.0)
                total += best if best >= MIN_WORD_SIMILARITY else 0.0
        return total / len(self.words)

    def matches(self, text: str) -> bool:
        return self.score(text) >= MATCH_SCORE


def similarity(a: str, b: str) -> float:
    """1 - Levenshtein distance / the longer length (0 when the lengths alone differ by more than a quarter)."""
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    if abs(len(a) - len(b)) > longest // 4:
        return 0.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return 1.0 - prev[-1] / longest
