"""Place, time and camera words read out of a query (English), over 100+ phrasings, false friends included,
and how the resulting filters match a photo's local date, hemisphere, place and camera."""

from __future__ import annotations

import datetime as dt

import pytest

from photosearch.places.query_words import PlaceLevel, Vocabulary, parse
from photosearch.places.timewords import Season, TimeFilter, latest_season, season_range

TODAY = dt.date(2026, 12, 5)  # a Saturday
COUNTRIES = {"IT": "Italy", "FI": "Finland", "FR": "France", "US": "United States", "PT": "Portugal",
             "TR": "Turkey", "JO": "Jordan", "ES": "Spain", "JP": "Japan", "AU": "Australia", "GB": "United Kingdom",
             "NL": "Netherlands", "IS": "Iceland", "DE": "Germany", "BR": "Brazil", "GE": "Georgia"}  # fmt: skip
LIBRARY = [("IT", "Tuscany", "Florence"), ("IT", "Lazio", "Rome"), ("FI", "Uusimaa", "Helsinki"),
           ("FR", "Île-de-France", "Paris"), ("US", "New York", "New York City"), ("US", "New York", "New York"),
           ("ES", "Madrid", "Madrid"), ("IS", "Capital Region", "Reykjavík"), ("AU", "New South Wales", "Sydney"),
           ("DE", "Bavaria", "Munich"), ("US", "Georgia", "Atlanta")]  # fmt: skip
CAMERAS = [("NIKON CORPORATION", "NIKON D750"), ("Apple", "iPhone 13 Pro"), ("Canon", "Canon EOS 5D Mark IV"),
           ("Google", "Pixel 7")]  # fmt: skip
VOCAB = Vocabulary.build(COUNTRIES, LIBRARY, CAMERAS)

Y = lambda a, b=None: (dt.date(a, 1, 1), dt.date((b or a) + 1, 1, 1))  # noqa: E731 - a table helper

# (query, meaning left, place names, time label or None, (start, end) or None, camera labels)
CASES: list[
    tuple[str, str, list[str], str | None, tuple[dt.date | None, dt.date | None] | None, list[str]]
] = [
    # places with a preposition
    ("dogs in Italy", "dogs", ["Italy"], None, None, []),
    ("dogs in italy", "dogs", ["Italy"], None, None, []),
    ("beach in Portugal", "beach", ["Portugal"], None, None, []),
    ("sunset at Florence", "sunset", ["Florence"], None, None, []),
    ("food from Japan", "food", ["Japan"], None, None, []),
    ("churches near Rome", "churches", ["Rome"], None, None, []),
    ("parks around Madrid", "parks", ["Madrid"], None, None, []),
    ("snow in Helsinki", "snow", ["Helsinki"], None, None, []),
    ("bridges in New York", "bridges", ["New York"], None, None, []),
    ("bridges in new york city", "bridges", ["New York City"], None, None, []),
    ("museums in Tuscany", "museums", ["Tuscany"], None, None, []),
    ("geysers in Reykjavik", "geysers", ["Reykjavík"], None, None, []),
    ("geysers in Reykjavík", "geysers", ["Reykjavík"], None, None, []),
    ("tulips in the Netherlands", "tulips", ["Netherlands"], None, None, []),
    ("castles in the uk", "castles", ["United Kingdom"], None, None, []),
    ("pubs in england", "pubs", ["United Kingdom"], None, None, []),
    ("canals in holland", "canals", ["Netherlands"], None, None, []),
    ("road trip in the USA", "road trip", ["United States"], None, None, []),
    ("beer in Bavaria", "beer", ["Bavaria"], None, None, []),
    ("kangaroos in Australia", "kangaroos", ["Australia"], None, None, []),
    ("opera house in Sydney", "opera house", ["Sydney"], None, None, []),
    ("carnival in Brazil", "carnival", ["Brazil"], None, None, []),
    ("peaches in Georgia", "peaches", ["Georgia", "Georgia"], None, None, []),  # the country and the US state
    # places alone, or at the end when the library has photos there
    ("Helsinki", "", ["Helsinki"], None, None, []),
    ("Italy", "", ["Italy"], None, None, []),
    ("photos of Paris", "", ["Paris"], None, None, []),
    ("sunset Helsinki", "sunset", ["Helsinki"], None, None, []),
    ("sunset paris", "sunset", ["Paris"], None, None, []),
    ("cathedral Florence", "cathedral", ["Florence"], None, None, []),
    ("beach Portugal", "beach Portugal", [], None, None, []),  # no photos there: a bare name stays meaning
    # false friends stay meaning
    ("paris hilton", "paris hilton", [], None, None, []),
    ("Paris Hilton on a red carpet", "Paris Hilton on a red carpet", [], None, None, []),
    ("new york cheesecake", "new york cheesecake", [], None, None, []),
    ("roast turkey", "roast turkey", [], None, None, []),
    ("michael jordan", "michael jordan", [], None, None, []),
    ("brussels sprouts", "brussels sprouts", [], None, None, []),
    ("french fries", "french fries", [], None, None, []),
    ("italian food", "italian food", [], None, None, []),
    ("march of the penguins", "march of the penguins", [], None, None, []),
    ("may flowers", "may flowers", [], None, None, []),
    ("summer dress", "summer dress", [], None, None, []),
    ("spring water", "spring water", [], None, None, []),
    ("winter jacket on a chair", "winter jacket on a chair", [], None, None, []),
    ("autumn leaves", "autumn leaves", [], None, None, []),
    ("a waterfall", "a waterfall", [], None, None, []),
    ("kids on a beach at sunset", "kids on a beach at sunset", [], None, None, []),
    ("a dog on the sofa", "a dog on the sofa", [], None, None, []),
    ("selfie of us at the beach", "selfie of us at the beach", [], None, None, []),
    ("route 66", "route 66", [], None, None, []),
    ("receipt 42.50", "receipt 42.50", [], None, None, []),
    ('"in italy" poster', '"in italy" poster', [], None, None, []),
    ('"summer 2019" sign', '"summer 2019" sign', [], None, None, []),
    ("the eiffel tower at night", "the eiffel tower at night", [], None, None, []),
    # years and ranges
    ("beach 2019", "beach", [], "2019", Y(2019), []),
    ("beach in 2019", "beach", [], "2019", Y(2019), []),
    ("2019 beach", "beach", [], "2019", Y(2019), []),
    ("2019", "", [], "2019", Y(2019), []),
    ("cats 2018-2020", "cats", [], "2018–2020", Y(2018, 2020), []),
    ("cats 2018 - 2020", "cats", [], "2018–2020", Y(2018, 2020), []),
    ("cats 2018 to 2020", "cats", [], "2018–2020", Y(2018, 2020), []),
    ("cats from 2018 to 2020", "cats", [], "2018–2020", Y(2018, 2020), []),
    ("hiking between 2015 and 2017", "hiking", [], "2015–2017", Y(2015, 2017), []),
    ("concerts since 2020", "concerts", [], "since 2020", (dt.date(2020, 1, 1), None), []),
    ("concerts after 2020", "concerts", [], "after 2020", (dt.date(2021, 1, 1), None), []),
    ("film photos before 2005", "film", [], "before 2005", (None, dt.date(2005, 1, 1)), []),
    ("snapshots until 2010", "snapshots", [], "until 2010", (None, dt.date(2011, 1, 1)), []),
    ("party in the 90s", "party", [], "1990s", Y(1990, 1999), []),
    ("party 1990s", "party", [], "1990s", Y(1990, 1999), []),
    ("the 2010s", "", [], "2010s", Y(2010, 2019), []),
    ("1850 painting", "1850 painting", [], None, None, []),  # not a year a photo of ours was taken
    ("2099 robots", "2099 robots", [], None, None, []),
    # months
    ("snow in December", "snow", [], "December", None, []),
    ("flowers in may", "flowers", [], "may", None, []),
    ("blossoms during April", "blossoms", [], "April", None, []),
    ("December 2019", "", [], "December 2019", (dt.date(2019, 12, 1), dt.date(2020, 1, 1)), []),
    ("fireworks Dec 2024", "fireworks", [], "Dec 2024", (dt.date(2024, 12, 1), dt.date(2025, 1, 1)), []),
    ("wedding May 5 2021", "wedding", [], "May 2021", (dt.date(2021, 5, 1), dt.date(2021, 6, 1)), []),
    ("wedding in June 2022", "wedding", [], "June 2022", (dt.date(2022, 6, 1), dt.date(2022, 7, 1)), []),
    ("last December", "", [], "last december", (dt.date(2025, 12, 1), dt.date(2026, 1, 1)), []),
    ("last may", "", [], "last may", (dt.date(2026, 5, 1), dt.date(2026, 6, 1)), []),
    ("this november", "", [], "this november", (dt.date(2026, 11, 1), dt.date(2026, 12, 1)), []),
    ("march", "", [], "march", None, []),
    # seasons
    ("dogs in Italy last summer", "dogs", ["Italy"], "last summer", None, []),
    ("beach last summer", "beach", [], "last summer", None, []),
    ("skiing this winter", "skiing", [], "this winter", None, []),
    ("leaves in autumn", "leaves", [], "autumn", None, []),
    ("leaves in the fall", "leaves", [], "fall", None, []),
    ("lambs in spring", "lambs", [], "spring", None, []),
    ("summer 2019", "", [], "summer 2019", None, []),
    ("beach summer 2019", "beach", [], "summer 2019", None, []),
    ("winter", "", [], "winter", None, []),
    ("last fall", "", [], "last fall", None, []),
    # relative
    ("today", "", [], "today", (TODAY, TODAY + dt.timedelta(days=1)), []),
    ("cake yesterday", "cake", [], "yesterday", (dt.date(2026, 12, 4), TODAY), []),
    ("last week", "", [], "last week", (dt.date(2026, 11, 23), dt.date(2026, 11, 30)), []),
    ("this week", "", [], "this week", (dt.date(2026, 11, 30), dt.date(2026, 12, 7)), []),
    ("last month", "", [], "last month", (dt.date(2026, 11, 1), dt.date(2026, 12, 1)), []),
    ("this month", "", [], "this month", (dt.date(2026, 12, 1), dt.date(2027, 1, 1)), []),
    ("last year", "", [], "last year", Y(2025), []),
    ("trips this year", "trips", [], "this year", Y(2026), []),
    ("birthday 3 years ago", "birthday", [], "3 years ago", Y(2023), []),
    ("two weeks ago", "", [], "2 weeks ago", (dt.date(2026, 11, 16), dt.date(2026, 11, 23)), []),
    ("a month ago", "", [], "1 month ago", (dt.date(2026, 11, 1), dt.date(2026, 12, 1)), []),
    ("5 days ago", "", [], "5 days ago", (dt.date(2026, 11, 30), dt.date(2026, 12, 1)), []),
    # cameras
    ("photos from my Nikon", "", [], None, None, ["NIKON"]),
    ("shot on iphone", "", [], None, None, ["iPhone"]),
    ("taken with my canon", "", [], None, None, ["Canon"]),
    ("portraits with the D750", "portraits", [], None, None, ["NIKON NIKON D750"]),
    ("Nikon", "", [], None, None, ["NIKON"]),
    ("sunsets on my pixel", "sunsets", [], None, None, ["Pixel"]),
    ("night shots by iphone 13 pro", "night", [], None, None, ["Apple iPhone 13 Pro"]),
    ("a nikon camera on a table", "a nikon camera on a table", [], None, None, []),
    # everything together
    ("dogs in Italy 2019 from my Nikon", "dogs", ["Italy"], "2019", Y(2019), ["NIKON"]),
    ("snow in Helsinki last winter", "snow", ["Helsinki"], "last winter", None, []),
    (
        "beach in Sydney in December 2025",
        "beach",
        ["Sydney"],
        "December 2025",
        (dt.date(2025, 12, 1), dt.date(2026, 1, 1)),
        [],
    ),  # fmt: skip
    ("photos in Paris last year shot on iphone", "", ["Paris"], "last year", Y(2025), ["iPhone"]),
]


@pytest.mark.parametrize(("query", "text", "places", "label", "bounds", "cameras"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_phrasing(
    query: str,
    text: str,
    places: list[str],
    label: str | None,
    bounds: tuple[dt.date | None, dt.date | None] | None,
    cameras: list[str],
) -> None:
    parsed = parse(query, VOCAB, TODAY)
    assert parsed.text == text
    assert [p.name for p in parsed.places] == places
    assert (parsed.time.label if parsed.time else None) == label
    if bounds is not None:
        assert parsed.time is not None and parsed.time.bounds() == bounds
    assert [c.label for c in parsed.cameras] == cameras
    assert parsed.filters_only == (not text and bool(places or label or cameras))


def test_there_are_over_a_hundred_phrasings() -> None:
    assert len(CASES) >= 100


def test_literal_turns_parsing_off() -> None:
    assert parse("dogs in Italy 2019", VOCAB, TODAY, literal=True).text == "dogs in Italy 2019"
    assert not parse("dogs in Italy 2019", VOCAB, TODAY, literal=True).places


def test_seasons_follow_the_hemisphere() -> None:
    last_summer = parse("last summer", VOCAB, TODAY).time
    assert last_summer is not None
    # north: June-August 2026; south: December 2025 - February 2026 (the one under way began on 1 December)
    assert last_summer.matches(dt.date(2026, 7, 14), latitude=43.8)
    assert not last_summer.matches(dt.date(2026, 7, 14), latitude=-33.9)
    assert last_summer.matches(dt.date(2026, 1, 20), latitude=-33.9)
    assert not last_summer.matches(dt.date(2026, 12, 3), latitude=-33.9)
    assert last_summer.matches(dt.date(2026, 8, 31), latitude=None)  # no position: northern
    winter = TimeFilter("winter", season=Season.WINTER)
    assert winter.matches(dt.date(2021, 1, 10), 60.0) and winter.matches(dt.date(2021, 7, 10), -34.6)
    assert not winter.matches(dt.date(2021, 7, 10), 60.0)
    assert season_range(Season.WINTER, 2019) == (dt.date(2019, 12, 1), dt.date(2020, 3, 1))
    assert season_range(Season.SUMMER, 2019, southern=True) == (dt.date(2019, 12, 1), dt.date(2020, 3, 1))
    this_summer_south = latest_season(Season.SUMMER, TODAY, southern=True, ended=False)
    assert this_summer_south == (dt.date(2026, 12, 1), dt.date(2027, 3, 1))


def test_month_and_year_boundaries_are_local_time() -> None:
    december = parse("December 2019", VOCAB, TODAY).time
    assert december is not None
    # 31 Dec 2019 23:30 local is in December, whatever UTC says; 1 Jan 2020 00:10 local is not
    assert december.matches(dt.datetime(2019, 12, 31, 23, 30))
    assert not december.matches(dt.datetime(2020, 1, 1, 0, 10))
    assert not december.matches(None)


def test_place_and_camera_filters_match_photos() -> None:
    italy = parse("in Italy", VOCAB, TODAY).places[0]
    florence = parse("in Florence", VOCAB, TODAY).places[0]
    assert italy.level is PlaceLevel.COUNTRY and florence.level is PlaceLevel.CITY
    assert italy.matches("IT", "Tuscany", "Florence") and florence.matches("IT", "Tuscany", "Florence")
    assert italy.matches("IT", "Lazio", "Rome") and not florence.matches("IT", "Lazio", "Rome")
    assert not italy.matches(None, None, None) and not florence.matches("US", "South Carolina", "Florence")
    nikon = parse("from my nikon", VOCAB, TODAY).cameras[0]
    iphone = parse("shot on iphone", VOCAB, TODAY).cameras[0]
    assert nikon.matches("NIKON CORPORATION", "NIKON D750") and not nikon.matches("Canon", "Canon EOS R5")
    assert iphone.matches("Apple", "iPhone 13 Pro") and iphone.matches("Apple", "iPhone 15")
    assert not iphone.matches("Google", "Pixel 7") and not nikon.matches(None, None)
