"""What the person asks for, typed: a ``Query`` of a ``QueryKind``, checked before anything runs."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from photosearch.errors import QueryError
from photosearch.search.engine import Filters
from photosearch.search.fusion import DEFAULT_FUSION, DEFAULT_WEIGHT, FUSIONS
from photosearch.search.line import DEFAULT_STRICTNESS, Strictness
from photosearch.search.steering import SortOrder

K_MIN, K_MAX = 1, 5000
#: A longer query is refused (the text model reads at most 77 tokens; this is far beyond any real query).
MAX_TEXT_CHARS = 1000
#: How much of a query an error message quotes.
QUOTE_CHARS = 40


class QueryKind(str, Enum):
    TEXT = "text"  # words
    IMAGE = "image"  # photos like one reference photo
    COMPOSED = "composed"  # a reference photo changed as the words say
    SIMILAR = "similar"  # photos like one library photo, itself left out
    SEVERAL = "several"  # photos like several reference photos together (changed as words say, if given)
    BROWSE = "browse"  # no query: the library by date, newest first

    def __str__(self) -> str:
        return self.value


ImageRef = Any  # a path (str | Path) or a PIL image


def elide(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Query:
    """One search. ``kind`` follows from what is given (``Query.of``) or is set explicitly (similar, browse)."""

    kind: QueryKind
    text: str = ""
    images: tuple[ImageRef, ...] = ()
    weight: float = DEFAULT_WEIGHT  # composed: image↔text balance, 0 = image only, 1 = text only
    fusion: str = DEFAULT_FUSION
    filters: Filters | None = None
    k: int = 20
    offset: int = 0  # browse: the first row of the page; searches: rows already shown
    label: str = ""  # the query in words, for messages
    text_only: bool = False  # text queries: only photos whose text (read in them) matches; no model needed
    strictness: int = DEFAULT_STRICTNESS  # 1 (loosest) … 5 (strictest); 3: the model's calibrated line
    sort: SortOrder = SortOrder.RELEVANCE  # newest / oldest: the good matches only, by date taken
    like: tuple[ImageRef, ...] = ()  # 👍: photos the query should move toward (relevance feedback)
    unlike: tuple[ImageRef, ...] = ()  # 👎: photos it should move away from (they are left out)
    bursts: bool = False  # near-identical shots shown once, with a count (extra["bursts"] lists them)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", QueryKind(self.kind))  # "text" is accepted for QueryKind.TEXT
        object.__setattr__(self, "sort", SortOrder(self.sort))

    @classmethod
    def of(cls, text: str = "", images: tuple[ImageRef, ...] | list[ImageRef] = (), **kw: Any) -> Query:
        """The kind a person means: words only → text; one photo → image; a photo and words → composed;
        several photos (with or without words) → several; nothing → browse."""
        text = text.strip()
        imgs = _distinct(i for i in images if i is not None and i != "")
        if len(imgs) > 1:
            kind = QueryKind.SEVERAL
        elif imgs:
            kind = QueryKind.COMPOSED if text else QueryKind.IMAGE
        else:
            kind = QueryKind.TEXT if text else QueryKind.BROWSE
        return cls(kind, text=text, images=imgs, **kw)

    @property
    def image(self) -> ImageRef:
        return self.images[0] if self.images else None

    def with_(self, **kw: Any) -> Query:
        return replace(self, **kw)

    def validate(self) -> Query:
        """Raise ``QueryError`` with a one-line reason when the query cannot run; else return it."""
        if not isinstance(self.k, int) or not K_MIN <= self.k <= K_MAX:
            raise QueryError(f"how many results (-k) must be between {K_MIN} and {K_MAX:,}, not {self.k}")
        if self.offset < 0:
            raise QueryError("the offset must not be negative")
        if len(self.text) > MAX_TEXT_CHARS:
            raise QueryError(
                f"the query is too long ({len(self.text):,} characters, at most {MAX_TEXT_CHARS:,}): "
                f"“{elide(self.text)}”"
            )
        kind = self.kind
        if kind is QueryKind.TEXT and not self.text.strip():
            raise QueryError("give some text to search for, or --image PATH")
        if kind in (QueryKind.IMAGE, QueryKind.COMPOSED, QueryKind.SIMILAR) and len(self.images) != 1:
            raise QueryError(f"a {kind} search needs exactly one photo")
        if kind is QueryKind.SEVERAL and len(self.images) < 2:
            raise QueryError("a search by several photos needs at least two")
        try:
            Strictness.of(self.strictness)
        except ValueError as e:
            raise QueryError(str(e)) from None
        if (self.like or self.unlike) and kind is QueryKind.BROWSE:
            raise QueryError("👍/👎 steer a search: give words or a photo to search for")
        if kind in (QueryKind.COMPOSED, QueryKind.SEVERAL) and self.text:
            if self.fusion not in FUSIONS:
                raise QueryError(f"unknown fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}")
            if not 0.0 <= self.weight <= 1.0:
                raise QueryError("the image/text balance must be between 0 and 1")
        for img in (*self.images, *self.like, *self.unlike):
            if isinstance(img, str) and is_web_address(img):
                raise QueryError(OFFLINE_WORDS.format(img))
            if isinstance(img, str | Path) and not os.path.exists(img):
                where = os.path.normpath(os.path.abspath(str(img)))
                if os.path.islink(img):  # a link to nothing, or links that lead round in a loop
                    raise QueryError(f"{where} is a symbolic link that leads to no file (gone, or a loop)")
                raise QueryError(f"no such image: {where}")
        liked = {os.path.realpath(p) for p in self.like if isinstance(p, str | Path)}
        both = [p for p in self.unlike if isinstance(p, str | Path) and os.path.realpath(p) in liked]
        if both:
            raise QueryError(f"a photo can't be both 👍 and 👎: {both[0]} (given to --like and to --unlike)")
        return self

    def describe(self) -> str:
        """The query in words (elided), for messages."""
        if self.label:
            return self.label
        name = os.path.basename(str(self.image)) if isinstance(self.image, str | Path) else "the image"
        return {
            QueryKind.TEXT: f"“{elide(self.text)}”",
            QueryKind.IMAGE: f"photos like {name}",
            QueryKind.SIMILAR: f"photos like {name}",
            QueryKind.COMPOSED: f"{name} + “{elide(self.text)}”",
            QueryKind.SEVERAL: f"photos like these {len(self.images)}"
            + (f" + “{elide(self.text)}”" if self.text else ""),
            QueryKind.BROWSE: "your library",
        }[self.kind]


def _distinct(images: Iterable[ImageRef]) -> tuple[ImageRef, ...]:
    """The photos once each: the same file given twice (or under another name, a link) is one reference, so
    ``--image a.jpg --image a.jpg`` is a search by that photo, not "what these share" with itself left out."""
    seen: set[str] = set()
    out: list[ImageRef] = []
    for img in images:
        if isinstance(img, str | Path):
            key = os.path.realpath(img)
            if key in seen:
                continue
            seen.add(key)
        out.append(img)
    return tuple(out)


def parse_date(s: str | None, end: bool = False) -> float | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a timestamp: the first moment of it, or with ``end`` the last."""
    if not s:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            dt = datetime.strptime(s, fmt)
        except ValueError:
            continue
        if end:
            if fmt == "%Y":
                dt = dt.replace(year=dt.year + 1)
            elif fmt == "%Y-%m":
                dt = dt.replace(year=dt.year + dt.month // 12, month=dt.month % 12 + 1)
            else:
                dt = datetime.fromordinal(dt.toordinal() + 1)
            return dt.timestamp() - 1e-3
        return dt.timestamp()
    raise QueryError(f"can't read the date {s!r}; use YYYY, YYYY-MM or YYYY-MM-DD")


_WEB_ADDRESS = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
OFFLINE_WORDS = (
    "{} is a web address: PhotoSearch works offline and opens none; save the photo and give its path"
)


def is_web_address(text: str) -> bool:
    return bool(_WEB_ADDRESS.match(text.strip()))


def image_named_by(text: str) -> str | None:
    """The query is a photo's path (``photosearch search ./cat.jpg``, as rclip takes it): that photo. A photo's
    web address (rclip downloads one) is refused: nothing is opened on the network."""
    from photosearch.library.imaging import is_image_name

    if is_web_address(text) and is_image_name(text.split("?")[0]):
        raise QueryError(OFFLINE_WORDS.format(text.strip()))
    path = os.path.expanduser(text)
    return path if is_image_name(path) and os.path.isfile(path) else None


def file_formats(types: str) -> tuple[str, ...]:
    """``--type jpg,TIFF,.heif`` as the formats the catalog records (jpeg, tiff, heic): a file name's ending
    means its format; a word that is neither is refused (it would match nothing, in silence)."""
    from photosearch.library.imaging import IMAGE_SUFFIXES

    known = sorted(set(IMAGE_SUFFIXES.values()))
    out: list[str] = []
    for word in types.split(","):
        w = word.strip().lower().lstrip(".")
        if not w:
            continue
        fmt = w if w in known else IMAGE_SUFFIXES.get("." + w)
        if fmt is None:
            raise QueryError(f"unknown file type {word.strip()!r}: PhotoSearch reads {', '.join(known)}")
        if fmt not in out:
            out.append(fmt)
    return tuple(out)


def make_filters(
    folder: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    types: str | None = None,
    orientation: str | None = None,
    place: str | None = None,
    camera: str | None = None,
) -> Filters | None:
    """Filters from their written form (as the CLI takes them); None when nothing filters. ``place`` and
    ``camera`` are resolved against the library by ``photosearch.app.understand``."""
    if folder and not os.path.isdir(folder):
        raise QueryError(f"no such folder: {os.path.abspath(folder)}")
    start, end = parse_date(date_from), parse_date(date_to, end=True)
    if start is not None and end is not None and start > end:
        raise QueryError(f"--from {date_from} is after --to {date_to}: no photo is taken in between")
    f = Filters(
        folder=os.path.abspath(folder) if folder else None,
        date_from=start,
        date_to=end,
        formats=file_formats(types) if types else None,
        orientation=orientation,
        place=place.strip() or None if place else None,
        camera=camera.strip() or None if camera else None,
    )
    return f if f.active() else None
