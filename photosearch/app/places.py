"""Where photos were taken, for people: the place list (country → city, with counts), each result's metadata
as the preview and ``--json`` show it, and exports without location.

Privacy: with ``no_location`` nothing that says where is given out — no coordinates, altitude, place names,
nor the time-zone name (an IANA zone names a city); the UTC offset stays.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photosearch.errors import PhotoSearchError
from photosearch.places.countries import country_name
from photosearch.progress import plural

if TYPE_CHECKING:
    from photosearch.search.results import Result
    from photosearch.store.catalog import Catalog
    from photosearch.store.catalog_meta import MetaRow

LOCATION_FIELDS = (
    "latitude",
    "longitude",
    "altitude_m",
    "country_code",
    "country",
    "region",
    "city",
    "time_zone",
)


@dataclass
class CityCount:
    name: str | None  # None: in the country, no city within reach
    region: str | None
    count: int


@dataclass
class CountryCount:
    code: str
    name: str
    count: int
    cities: list[CityCount] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "count": self.count,
            "cities": [{"name": c.name, "region": c.region, "count": c.count} for c in self.cities],
        }


@dataclass
class PlaceList:
    countries: list[CountryCount]
    without_location: int  # visible photos with no GPS position (or not read yet)
    not_read: int  # visible photos whose metadata the metadata pass has not read yet

    def to_json(self) -> dict[str, Any]:
        return {
            "countries": [c.to_json() for c in self.countries],
            "without_location": self.without_location,
            "not_read": self.not_read,
        }


def list_places(catalog: Catalog) -> PlaceList:
    """Countries (most photos first), each with its cities (most photos first)."""
    by_country: dict[str, CountryCount] = {}
    located = 0
    for cc, region, city, n in catalog.place_counts():
        c = by_country.setdefault(cc, CountryCount(cc, country_name(cc) or cc, 0))
        c.count += n
        located += n
        c.cities.append(CityCount(city, region, n))
    for c in by_country.values():
        c.cities.sort(key=lambda x: (-x.count, x.name is None, x.name or ""))
    countries = sorted(by_country.values(), key=lambda c: (-c.count, c.name))
    return PlaceList(countries, catalog.visible_count() - located, catalog.visible_meta_unread())


def meta_json(m: MetaRow | None, no_location: bool = False) -> dict[str, Any] | None:
    """A photo's metadata as ``--json`` gives it (None before it is read)."""
    if m is None:
        return None
    d: dict[str, Any] = {
        "taken": m.taken_local,
        "utc_offset_min": m.utc_offset_min,
        "time_zone": m.time_zone,
        "time_source": m.time_source,
        "make": m.make,
        "model": m.model,
        "lens": m.lens,
        "focal_mm": m.focal_mm,
        "focal_35mm": m.focal_35mm,
        "f_number": m.f_number,
        "exposure_s": m.exposure_s,
        "iso": m.iso,
        "latitude": m.latitude,
        "longitude": m.longitude,
        "altitude_m": m.altitude_m,
        "country_code": m.country_code,
        "country": country_name(m.country_code),
        "region": m.region,
        "city": m.city,
    }
    if no_location:
        for k in LOCATION_FIELDS:
            d.pop(k, None)
    return d


def results_meta(
    catalog: Catalog, results: list[Result], no_location: bool = False
) -> list[dict[str, Any] | None]:
    """The metadata of each result, in order."""
    metas = catalog.metas_for_hashes([r.file.content_hash for r in results if r.file.content_hash])
    return [meta_json(metas.get(r.file.content_hash or ""), no_location) for r in results]


def unique_destination(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem (1).ext``, ``(2)``… when a file of that name is already there."""
    dest = folder / name
    stem, suffix = os.path.splitext(name)
    n = 1
    while dest.exists():
        dest = folder / f"{stem} ({n}){suffix}"
        n += 1
    return dest


class ExportError(PhotoSearchError):
    """Some photos of an export were not copied; ``copied`` holds those that were, ``failures`` the others
    with their reason in plain words."""

    def __init__(self, copied: list[Path], failures: list[tuple[str, str]]) -> None:
        lines = [f"{os.path.basename(p)}: {reason}" for p, reason in failures[:5]]
        more = f"\n… and {len(failures) - 5} more" if len(failures) > 5 else ""
        super().__init__(
            f"Copied {plural(len(copied), 'photo')}; {plural(len(failures), 'photo')} not copied:\n"
            + "\n".join(lines)
            + more
        )
        self.copied = copied
        self.failures = failures


class ExportFolderError(PhotoSearchError):
    """The folder to copy into is a file, or can't be made; nothing was copied."""


def export_photos(paths: list[str], folder: str | Path, *, no_location: bool = False) -> list[Path]:
    """Copy photos into ``folder`` (keeping their dates; a name already there gets " (1)"); with
    ``no_location`` each copy has its GPS data, XMP and IPTC removed (``photosearch.places.strip``: JPEG
    without re-encoding). The one road for every export: the window's, an album's, the CLI's ``--export-to``.

    Every photo that can be copied is; if some can't, :class:`ExportError` lists them with the reason."""
    from photosearch.places.strip import copy_without_location

    dest = Path(folder)
    if dest.exists() and not dest.is_dir():
        raise ExportFolderError(f"cannot copy the photos to {dest}: it is a file, not a folder")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportFolderError(
            f"cannot make the folder {dest} to copy the photos to: {e.strerror or e}"
        ) from e
    out: list[Path] = []
    failures: list[tuple[str, str]] = []
    for p in paths:
        target = unique_destination(dest, os.path.basename(p))
        try:
            if no_location:
                copy_without_location(p, target)
                shutil.copystat(p, target)
            else:
                shutil.copy2(p, target)
        except PhotoSearchError as e:
            failures.append((p, str(e).removeprefix(f"{p}: ")))
            continue
        except OSError as e:
            target.unlink(missing_ok=True)
            failures.append((p, f"cannot copy: {e.strerror or e}"))
            continue
        out.append(target)
    if failures:
        raise ExportError(out, failures)
    return out
