"""What a search returns (``SearchResponse`` of ``Result`` rows) and the ``Filters`` it can take."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from photosearch.paths import path_inside
from photosearch.store.catalog import FileRow
from photosearch.store.catalog_text import StoredLine


class FoundBy(str, Enum):
    """Why a result is there, in the words ``--json`` carries (``Result.found_by``)."""

    MEANING = "meaning"  # the model: the query describes the photo
    TEXT = "text"  # the words read in the photo
    TEXT_AND_MEANING = "text+meaning"
    NAME = "name"  # its file name or a folder's name (photosearch.search.name_match)
    NAME_AND_MEANING = "name+meaning"
    FILTERS = "filters"  # a filter alone (place, time, camera)

    def __str__(self) -> str:
        return self.value


@dataclass
class Result:
    rank: int
    path: str
    score: float
    file: FileRow
    label: int
    passed: bool = True
    z: float | None = None  # the score in units of the query's spread over the library (see cutoff)
    # what found it (a ``FoundBy``: the model, the words read in the photo, its name, or both); None where
    # words play no part (photo queries)
    found_by: str | None = None
    matched_name: str | None = None  # found by name: the file's or folder's name that matched
    text: str | None = None  # the text read in the photo (text queries; None: not read or none found)
    text_score: float | None = None  # how well that text answers the query (0..1), when it matched
    text_lines: tuple[StoredLine, ...] = ()  # the lines read, with their boxes in full-image pixels
    # the query's words in the photo: boxes (four corners, full-image pixels) the preview outlines
    text_boxes: tuple[tuple[tuple[float, float], ...], ...] = ()

    def to_json(self) -> dict[str, Any]:
        f = self.file
        extra: dict[str, Any] = {}
        if self.found_by is not None:
            extra = {"found_by": str(self.found_by), "text": self.text, "text_score": self.text_score}
            if self.matched_name is not None:
                extra["matched_name"] = self.matched_name
        return {
            **extra,
            "rank": self.rank,
            "path": self.path,
            "score": round(float(self.score), 6),
            "passed": self.passed,
            "z": None if self.z is None else round(float(self.z), 3),
            "width": f.width,
            "height": f.height,
            "taken_at": f.taken_at,
            "size": f.size,
            "format": f.format,
        }


@dataclass
class Filters:
    """Which files may appear. ``None`` fields don't filter."""

    folder: str | None = None  # a folder subtree
    date_from: float | None = None
    date_to: float | None = None
    formats: tuple[str, ...] | None = None
    orientation: str | None = None  # "landscape" | "portrait" | "square"
    # where and with what (as typed: "Italy", "nikon"), resolved by ``photosearch.app.understand`` into
    # ``within``: the content hashes of the photos that pass them (a place needs a GPS position; the query's
    # words for times, seasons and places land there too). A place or camera not yet resolved passes nothing.
    place: str | None = None
    camera: str | None = None
    within: frozenset[str] | None = None
    # added folders whose root is not there now (``photosearch.app.roots``): their photos are not listed. Not a
    # filter the person chose: ``active`` leaves it out.
    hidden_roots: frozenset[str] = frozenset()

    def active(self) -> bool:
        return any(
            v is not None
            for v in (self.folder, self.date_from, self.date_to, self.formats, self.orientation)
            + (self.place, self.camera, self.within)
        )

    def accepts(self, f: FileRow) -> bool:
        if self.hidden_roots and any(path_inside(f.path, root) for root in self.hidden_roots):
            return False
        if (self.place is not None or self.camera is not None) and self.within is None:
            return False
        if self.within is not None and f.content_hash not in self.within:
            return False
        if self.folder is not None:
            if not path_inside(f.path, os.path.normpath(self.folder)):
                return False
        when = f.taken_at if f.taken_at is not None else f.mtime_ns / 1e9  # as shown and sorted by date
        if self.date_from is not None and when < self.date_from:
            return False
        if self.date_to is not None and when > self.date_to:
            return False
        if self.formats is not None and (f.format or "") not in self.formats:
            return False
        if self.orientation is not None:
            if not f.width or not f.height:
                return False
            o = "square" if f.width == f.height else ("landscape" if f.width > f.height else "portrait")
            if o != self.orientation:
                return False
        return True


@dataclass
class SearchResponse:
    results: list[Result]
    kind: str  # "text" | "image" | "composed" | "similar"
    library_size: int
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def no_good_matches(self) -> bool:
        """True when there are results but none passed the relevance cutoff."""
        return bool(self.results) and not any(r.passed for r in self.results)

    def good_matches_first(self) -> None:
        """Put the results that pass the line before those that don't, each group in its order, and number
        them again. The line is not a cut of the ranking by score: a text query's line is judged per photo
        (its margin over everyday captions) and a photo query's copies always pass, so a weaker result can
        score above a good match; the window's "Weaker matches below" divider and the CLI's list must not
        show it among the good ones."""
        good = [r for r in self.results if r.passed]
        if not good or len(good) == len(self.results) or all(r.passed for r in self.results[: len(good)]):
            return
        self.results = good + [r for r in self.results if not r.passed]
        for i, r in enumerate(self.results, 1):
            r.rank = i

    @property
    def passed(self) -> list[Result]:
        return [r for r in self.results if r.passed]
