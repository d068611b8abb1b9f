"""Search by a photo's file name and its folders' names, as a file manager or Immich finds ``IMG_1234``.

**The rule.** A name is read as words: runs of letters and runs of digits, case and accents as typed but
upper/lower case ignored (``IMG_20190512-Beach.JPG`` → ``img 20190512 beach jpg``). The query is read the same
way, and it *matches a name* when its words appear in the name in the same order, next to each other; every
word must be whole, except the last, which may be the start of a longer word when it has at least
:data:`PREFIX_MIN` letters (``holi`` finds ``Holiday``). Numbers are always whole: ``2019`` finds a folder
``Holiday 2019`` or ``2019-07``, never the thousands of phone photos named ``IMG_20190512_…`` (a date-like
query must not swamp the results), and ``1234`` finds ``IMG_1234.JPG`` but not ``IMG_12345.JPG``.

The names looked at are the file's own (with its ending: ``DSC_0042.JPG`` and ``DSC_0042`` both match) and
those of the folders between it and the added folder it belongs to — not the added folder's own path (every
photo of ``~/Pictures`` would match "pictures", and of ``/home/…`` "home"; the ``--folder`` filter is for that).

A query with the query syntax's weights or negative terms (``beach + 0.5:sunset - people``) is read by meaning
only. Matching never depends on the query looking like a file name: any query whose words match a name finds
those photos, and they pass the relevance line (:mod:`photosearch.search.line`), listed first
(``Result.found_by`` "name" or "name+meaning", ``Result.matched_name`` the name).

Candidates come from the catalog's ``file_names`` table (each file's path below its added folder in an FTS5
trigram index, kept in step with every insert, rename, move and delete by triggers; ``Catalog.visible_files_named``),
among the photos the model searched with has embedded (what its search covers); the rule above is then checked
here.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass

from photosearch.errors import QueryError
from photosearch.paths import path_inside
from photosearch.search.query import parse_query
from photosearch.search.results import Filters
from photosearch.store.catalog import Catalog, FileRow

#: The last word of a query may be the start of a longer word of a name when it has at least this many letters.
PREFIX_MIN = 3
#: At most this many candidate files are read from the catalog for one query (a word in every name, such as
#: "img", stops there; the first ones by the catalog's order are kept).
SCAN_MAX = 5000

_WORD = re.compile(r"\d+|[^\W\d_]+")


def name_words(text: str) -> tuple[str, ...]:
    """``text`` as the words names are compared by: runs of letters, runs of digits, case folded."""
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


@dataclass(frozen=True)
class NameHit:
    file: FileRow
    label: int | None  # its embedding id with the model searched (None: not asked)
    name: str  # the name that matched: the file's, or one of its folders' below the added folder
    # 1.0: the whole file name (without its ending); less: the share of the name the query covers
    score: float
    in_file_name: bool


@dataclass(frozen=True)
class NameQuery:
    words: tuple[str, ...]

    @classmethod
    def of(cls, query: str) -> NameQuery | None:
        """The query as a name query; None for a query with weights or negative terms, or without words."""
        try:
            terms = parse_query(query)
        except QueryError:
            return None
        if len(terms) != 1 or terms[0].negative or terms[0].weight != 1.0:
            return None
        words = name_words(terms[0].text)
        return cls(words) if words else None

    def at(self, name: tuple[str, ...]) -> int:
        """Where the query's words start in ``name``'s words (-1: nowhere)."""
        q, n = self.words, len(self.words)
        last = q[-1]
        prefix = len(last) >= PREFIX_MIN and not last.isdigit()
        for i in range(len(name) - n + 1):
            if name[i : i + n - 1] != q[:-1]:
                continue
            w = name[i + n - 1]
            if w == last or (prefix and w.startswith(last)):
                return i
        return -1

    def score(self, name: str, is_file: bool) -> float:
        """How well ``name`` answers the query: 0 no match; 1 the whole file name (its ending aside); else the
        share of the name's letters and digits the query covers; a folder's name counts 0.9 of a file's."""
        words = name_words(name)
        if self.at(words) < 0:
            return 0.0
        stem = name_words(os.path.splitext(name)[0]) if is_file else words
        share = (
            1.0 if stem == self.words else min(0.99, sum(map(len, self.words)) / max(1, sum(map(len, words))))
        )
        return share * (1.0 if is_file else 0.9)

    def match(
        self,
        f: FileRow,
        root: str,
        scores: dict[tuple[str, bool], float] | None = None,
        label: int | None = None,
    ) -> NameHit | None:
        """The best of the file's names that matches (its own, then its folders' below ``root``); ``scores``
        keeps the names' scores across the files of one query (their folders repeat)."""
        if not path_inside(f.path, root) or f.path == root:
            return None
        rel = f.path[len(root.rstrip(os.sep)) + 1 :].split(os.sep)
        scores = {} if scores is None else scores
        best: NameHit | None = None
        for j, part in enumerate(reversed(rel)):
            key = (part, j == 0)
            s = scores.get(key)
            if s is None:
                s = scores[key] = self.score(part, is_file=j == 0)
            if s > 0 and (best is None or s > best.score):
                best = NameHit(f, label, part, s, j == 0)
        return best


def name_hits(
    catalog: Catalog, query: str, filters: Filters | None = None, model_id: str | None = None
) -> list[NameHit]:
    """Visible photos a name of which matches ``query`` (see the module's rule), best first: the whole file
    name, then by the share of the name covered, file names before folders' names, then by path. With
    ``model_id``: only photos embedded with that model — those its search covers (a photo still waiting to be
    embedded, or whose vector is gone, is found by name once it is embedded, as it is by meaning)."""
    nq = NameQuery.of(query)
    if nq is None:
        return []
    f = filters or Filters()
    hits = []
    scores: dict[tuple[str, bool], float] = {}
    rows = catalog.visible_files_named(
        nq.words,
        SCAN_MAX,
        model_id,
        folder=f.folder,
        date_from=f.date_from,
        date_to=f.date_to,
        formats=f.formats,
        orientation=f.orientation,
        hidden_roots=sorted(f.hidden_roots),
    )
    for row, root, label in rows:
        if not f.accepts(row):  # the rest of the filters (a place, a camera, nested added folders)
            continue
        hit = nq.match(row, root, scores, label)
        if hit is not None:
            hits.append(hit)
    hits.sort(key=lambda h: (-h.score, not h.in_file_name, h.file.path))
    return hits
