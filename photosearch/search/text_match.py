"""Search by the words in photos and by names, and blending them with search by meaning.

``text_hits`` finds the visible photos whose recognised text answers a query (candidates from the catalog's
FTS5 trigram table, then scored by ``photosearch.text.match.TextQuery``: tolerant of OCR slips and word
order, quoted text an exact phrase); ``photosearch.search.name_match.name_hits`` those whose file name or
folder's name does. ``blend`` puts the name matches first (best first), then the text matches (best text score
first), ahead of the CLIP results, which follow in their order with duplicates left out; a photo found by its
name or its text passes the relevance line and says so (``Result.found_by``). Every result of a text query
carries its photo's text.

Plain SQLite and Python only: a text search never imports the OCR package or OpenCV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from photosearch.search.name_match import NameHit, name_hits
from photosearch.search.query import parse_query
from photosearch.search.results import Filters, FoundBy, Result, SearchResponse
from photosearch.store.catalog import Catalog, FileRow
from photosearch.store.catalog_text import PhotoText, StoredLine
from photosearch.text.match import TextQuery, normalise

Box = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class TextHit:
    file: FileRow
    score: float
    text: PhotoText


def words_of(query: str) -> TextQuery:
    """The text query inside a search line: its positive terms (``beach + 0.5:sunset - people`` → "beach
    sunset"); a line without the query syntax is taken as it is (quotes mark exact phrases)."""
    terms = parse_query(query)
    if len(terms) > 1 or (terms and (terms[0].negative or terms[0].weight != 1.0)):
        return TextQuery.parse(" ".join(t.text for t in terms if not t.negative))
    return TextQuery.parse(query)


def text_hits(catalog: Catalog, query: str, filters: Filters | None = None) -> list[TextHit]:
    """Visible photos whose text matches ``query``, best first (ties: the catalog's order)."""
    tq = words_of(query)
    if tq.empty:
        return []
    scored: dict[str, float] = {}
    for h, text in catalog.text_candidates(tq):
        s = tq.score(text)
        if tq.matches(text):
            scored[h] = s
    if not scored:
        return []
    texts = catalog.texts_for_hashes(list(scored))
    f = filters or Filters()
    hits = [
        TextHit(row, scored[row.content_hash], texts[row.content_hash])
        for row in catalog.visible_files_for_hashes(list(scored))
        if row.content_hash in texts and f.accepts(row)
    ]
    hits.sort(key=lambda t: -t.score)
    return hits


def blend(
    resp: SearchResponse | None,
    catalog: Catalog,
    query: str,
    k: int,
    filters: Filters | None = None,
    model_id: str | None = None,
    named: list[NameHit] | None = None,
) -> SearchResponse:
    """Name matches first (by name score), then text matches (by text score), then ``resp``'s results (by
    meaning; None: the words read in photos only, no names), k in all. Each result gets its photo's text;
    ``found_by`` says what found it (``FoundBy``). ``model_id``: the model ``resp`` searched with (names are
    matched among the photos it covers). ``named``: the name matches when the caller has them already."""
    if named is None:
        named = name_hits(catalog, query, filters, model_id) if resp is not None else []
    hits = text_hits(catalog, query, filters)
    by_meaning = {r.path: r for r in resp.results} if resp is not None else {}
    out: list[Result] = []
    seen: set[str] = set()
    for nh in named:
        if len(out) >= k:
            break
        r = by_meaning.get(nh.file.path)
        out.append(
            Result(
                0,
                nh.file.path,
                r.score if r is not None else nh.score,
                nh.file,
                r.label if r is not None else nh.label if nh.label is not None else -1,
                passed=True,
                z=r.z if r is not None else None,
                found_by=FoundBy.NAME_AND_MEANING if r is not None else FoundBy.NAME,
                matched_name=nh.name,
            )
        )
        seen.add(nh.file.path)
    for hit in hits:
        if len(out) >= k:
            break
        if hit.file.path in seen:
            continue
        r = by_meaning.get(hit.file.path)
        out.append(
            Result(
                0,
                hit.file.path,
                r.score if r is not None else hit.score,
                hit.file,
                r.label if r is not None else -1,
                passed=True,
                z=r.z if r is not None else None,
                found_by=FoundBy.TEXT_AND_MEANING if r is not None else FoundBy.TEXT,
                text=hit.text.text,
                text_score=round(hit.score, 4),
                text_lines=hit.text.lines,
            )
        )
        seen.add(hit.file.path)
    for r in resp.results if resp is not None else []:
        if len(out) >= k:
            break
        if r.path not in seen:
            r.found_by = r.found_by or FoundBy.MEANING  # blended once already: what found it stays said
            out.append(r)
    texts = catalog.texts_for_hashes(
        [r.file.content_hash for r in out if r.text is None and r.file.content_hash]
    )
    for i, r in enumerate(out, 1):
        r.rank = i
        if r.text is None and r.file.content_hash in texts:
            t = texts[r.file.content_hash]
            r.text, r.text_lines = t.text, t.lines
        if r.text_lines:
            r.text_boxes = tuple(matched_boxes(query, r.text_lines))
    if resp is None:
        return SearchResponse(
            out,
            "text",
            catalog.visible_count(),
            "" if out else "no photo has these words",
            {"text_only": True},
        )
    resp.results = out
    resp.extra["text_matches"] = len(hits)
    if named:
        resp.extra["name_matches"] = len(named)
    if (hits or named) and resp.message and not resp.no_good_matches:
        resp.message = ""
    return resp


def matched_boxes(query: str, lines: tuple[StoredLine, ...]) -> list[Box]:
    """The boxes of the query's words (and phrases) in a photo's lines, in full-image pixels: each line's
    box cut along its length at the characters the word spans (an estimate: characters taken as equally
    wide). A line that matches only loosely (an OCR slip) is outlined whole."""
    tq = words_of(query)
    wanted = [p for p in tq.phrases] + [w for w in tq.words]
    out: list[Box] = []
    for line in lines:
        body = normalise(line.text)
        if not body or len(line.box) != 4:
            continue
        spans = []
        for w in wanted:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(w), body)]
        if not spans and tq.score(line.text) > 0:
            spans = [(0, len(body))]
        for a, b in spans:
            out.append(_cut(line.box, a / len(body), b / len(body)))
    return out


def _cut(box: Box, t0: float, t1: float) -> Box:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = box

    def lerp(p: tuple[float, float], q: tuple[float, float], t: float) -> tuple[float, float]:
        return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)

    top0, top1 = lerp((x0, y0), (x1, y1), t0), lerp((x0, y0), (x1, y1), t1)
    bot0, bot1 = lerp((x3, y3), (x2, y2), t0), lerp((x3, y3), (x2, y2), t1)
    return (top0, top1, bot1, bot0)
