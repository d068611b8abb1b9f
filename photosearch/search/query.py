"""Text query syntax: weighted and negative terms.

    beach                      one term
    beach + sunset             both (equal weights)
    beach + 0.5:sunset         sunset counts half as much
    beach - people             push away photos that match "people"
    dog - 0.5:grass            a milder push

Terms are separated by `` + `` or `` - `` with spaces around them (so "t-shirt" stays one term);
a weight is a number followed by a colon at the start of a term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from photosearch.errors import QueryError

_SPLIT = re.compile(r"\s+([+-])\s+")
_WEIGHT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*:\s*(.*)$", re.S)


@dataclass(frozen=True)
class Term:
    text: str
    weight: float = 1.0
    negative: bool = False


_DANGLING = re.compile(r"(?:^|\s+)[+-]$")  # "red +": typed half-way (the window searches as you type)
_LEADING_PLUS = re.compile(r"^\+\s+")  # "+ red"
_DOUBLED = re.compile(r"\s+([+-])(?:\s+\+)+(?=\s)")  # "red + + blue", "red - + blue"


def parse_query(text: str) -> list[Term]:
    text = text.strip()
    while text and _DANGLING.search(text):
        text = _DANGLING.sub("", text).strip()
    text = _DOUBLED.sub(r" \1", _LEADING_PLUS.sub("", text))
    if not text:
        return []
    sign = "+"
    if text[:2] in ("- ", "-\t") or (text.startswith("-") and len(text) > 1 and text[1] != "-"):
        sign, text = "-", text[1:].strip()
    parts = _SPLIT.split(text)
    terms: list[Term] = []
    items = [sign, *parts]
    for i in range(0, len(items) - 1, 2):
        s, chunk = items[i], items[i + 1].strip()
        if not chunk:
            continue
        weight = 1.0
        m = _WEIGHT.match(chunk)
        if m:
            weight = float(m.group(1))
            chunk = m.group(2).strip()
            if not chunk:
                raise QueryError(f"the weight {m.group(1)} has no words after it")
        terms.append(Term(chunk, weight, s == "-"))
    if terms and all(t.negative for t in terms):
        raise QueryError("a query needs at least one thing to look for, not only things to avoid")
    return terms
