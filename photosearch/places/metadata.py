"""What a photo's metadata says: when it was taken (with its time zone, and where that came from), the camera,
lens and exposure, and where (GPS position and altitude).

Read from an image Pillow has already opened (the decode path opens each photo once; this reads the same
object), so JPEG, HEIC/HEIF (pillow-heif), PNG, TIFF and WebP all work through ``Image.getexif()``. Broken
metadata never fails a photo: every field that can't be read is ``None``.

The taken time, in order of trust:
1. EXIF ``DateTimeOriginal`` with ``OffsetTimeOriginal`` (or ``OffsetTime``): local time and its offset;
2. ``DateTimeOriginal`` without an offset, and a GPS position: the offset of the time zone at that position
   on that date (``tzfpy``, offline time-zone polygons);
3. no ``DateTimeOriginal``, GPS date and time (UTC): converted to the zone of the GPS position;
4. XMP ``DateTimeOriginal`` / ``CreateDate`` / ``photoshop:DateCreated`` (with its offset when it has one);
5. ``DateTimeOriginal`` alone (local time, zone unknown);
6. the file's modification time (in this computer's zone).
``time_source`` records which one gave the time.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

from PIL import Image

log = logging.getLogger(__name__)

# EXIF tags (IFD0, the Exif IFD and the GPS IFD)
_MAKE, _MODEL, _DATETIME = 0x010F, 0x0110, 0x0132
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_EXPOSURE, _FNUMBER, _ISO = 0x829A, 0x829D, 0x8827
_DT_ORIGINAL, _DT_DIGITIZED = 0x9003, 0x9004
_OFFSET, _OFFSET_ORIGINAL = 0x9010, 0x9011
_FOCAL, _FOCAL_35 = 0x920A, 0xA405
_LENS_MAKE, _LENS_MODEL = 0xA433, 0xA434
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_GPS_ALT_REF, _GPS_ALT, _GPS_TIME, _GPS_DATE = 5, 6, 7, 29


class TimeSource(str, Enum):
    """Where a photo's taken time came from (most trusted first)."""

    EXIF_OFFSET = "exif+offset"
    EXIF_GPS_ZONE = "exif+gps-zone"
    GPS_TIME = "gps-time"
    XMP = "xmp"
    EXIF_LOCAL = "exif"
    FILE_TIME = "file-time"


@dataclass(frozen=True)
class PhotoMetadata:
    taken_local: str | None = None  # ISO 8601 local wall-clock time, "2025-07-14T18:03:11"
    utc_offset_min: int | None = None  # minutes east of UTC; None when the zone is unknown
    time_zone: str | None = None  # IANA name when it came from the GPS position
    time_source: TimeSource | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    focal_length_mm: float | None = None
    focal_length_35mm: float | None = None
    f_number: float | None = None
    exposure_s: float | None = None
    iso: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude_m: float | None = None

    @property
    def taken_utc(self) -> float | None:
        """POSIX time of the moment the photo was taken, when the zone is known."""
        if self.taken_local is None or self.utc_offset_min is None:
            return None
        tz = dt.timezone(dt.timedelta(minutes=self.utc_offset_min))
        return dt.datetime.fromisoformat(self.taken_local).replace(tzinfo=tz).timestamp()

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["time_source"] = self.time_source.value if self.time_source else None
        return d

    def without_location(self) -> PhotoMetadata:
        """The same metadata with GPS position, altitude and the zone found from them removed."""
        d = asdict(self)
        d.update(latitude=None, longitude=None, altitude_m=None)
        return PhotoMetadata(**d)


def read_metadata(img: Image.Image, file_mtime: float | None = None) -> PhotoMetadata:
    """Everything this module knows how to read from ``img``'s EXIF and XMP; never raises."""
    try:
        # a PNG without an eXIf chunk before its pixels: Pillow's getexif() would decode the whole image
        # looking for one after them (seconds for a big one); EXIF in a PNG comes first in practice
        exif = Image.Exif() if img.format == "PNG" and "exif" not in img.info else img.getexif()
    except Exception as e:  # broken EXIF must never fail a photo
        log.debug("unreadable EXIF: %s", e)
        exif = Image.Exif()
    ifd0: dict[int, Any] = dict(exif)
    sub = _ifd(exif, _EXIF_IFD)
    gps = _ifd(exif, _GPS_IFD)

    lat, lon = _gps_coord(gps, _GPS_LAT, _GPS_LAT_REF, 90.0), _gps_coord(gps, _GPS_LON, _GPS_LON_REF, 180.0)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        lat = lon = None  # 0,0 is an unset receiver, not the Gulf of Guinea
    alt = _number(gps.get(_GPS_ALT)) if lat is not None else None
    if alt is not None:
        alt = -alt if _int(gps.get(_GPS_ALT_REF)) == 1 else alt
        if not -500.0 <= alt <= 12000.0:
            alt = None

    taken, offset, zone, source = _taken(img, ifd0, sub, gps, lat, lon, file_mtime)
    iso = _int(sub.get(_ISO))
    return PhotoMetadata(
        taken_local=taken.isoformat(timespec="seconds") if taken else None,
        utc_offset_min=offset,
        time_zone=zone,
        time_source=source,
        make=_text(ifd0.get(_MAKE)),
        model=_text(ifd0.get(_MODEL)),
        lens=_text(sub.get(_LENS_MODEL)),
        focal_length_mm=_positive(sub.get(_FOCAL)),
        focal_length_35mm=_positive(sub.get(_FOCAL_35)),
        f_number=_positive(sub.get(_FNUMBER)),
        exposure_s=_positive(sub.get(_EXPOSURE)),
        iso=iso if iso and 0 < iso < 10_000_000 else None,
        latitude=lat,
        longitude=lon,
        altitude_m=alt,
    )


# ---- the taken time ---------------------------------------------------------------------------------------


def _taken(
    img: Image.Image,
    ifd0: dict[int, Any],
    sub: dict[int, Any],
    gps: dict[int, Any],
    lat: float | None,
    lon: float | None,
    file_mtime: float | None,
) -> tuple[dt.datetime | None, int | None, str | None, TimeSource | None]:
    original = _exif_datetime(sub.get(_DT_ORIGINAL)) or _exif_datetime(sub.get(_DT_DIGITIZED))
    original = original or _exif_datetime(ifd0.get(_DATETIME))
    if original is not None:
        off = _offset(sub.get(_OFFSET_ORIGINAL)) if sub.get(_OFFSET_ORIGINAL) else _offset(sub.get(_OFFSET))
        if off is not None:
            return original, off, None, TimeSource.EXIF_OFFSET
        zone = _zone_at(lat, lon)
        if zone is not None:
            zoff = _zone_offset(zone, original)
            if zoff is not None:
                return original, zoff, zone, TimeSource.EXIF_GPS_ZONE
    if original is None:
        utc = _gps_datetime(gps)
        zone = _zone_at(lat, lon)
        if utc is not None and zone is not None:
            local = _to_zone(utc, zone)
            if local is not None:
                return local[0], local[1], zone, TimeSource.GPS_TIME
        xmp = _xmp_datetime(img)
        if xmp is not None:
            return xmp[0], xmp[1], None, TimeSource.XMP
        if utc is not None:  # GPS time without a usable position: UTC is still a true moment
            return utc, 0, None, TimeSource.GPS_TIME
    if original is not None:
        return original, None, None, TimeSource.EXIF_LOCAL
    if file_mtime is not None:
        try:
            local_dt = dt.datetime.fromtimestamp(file_mtime).astimezone()
        except (OverflowError, OSError, ValueError):
            return None, None, None, None
        off_td = local_dt.utcoffset() or dt.timedelta(0)
        return local_dt.replace(tzinfo=None), int(off_td.total_seconds() // 60), None, TimeSource.FILE_TIME
    return None, None, None, None


_EXIF_DT = re.compile(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


def _exif_datetime(raw: object) -> dt.datetime | None:
    m = _EXIF_DT.match(_text(raw) or "")
    if not m:
        return None
    try:
        y, mo, d, h, mi, s = (int(g) for g in m.groups())
        value = dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None
    return value if 1900 <= value.year <= 2200 else None


def _offset(raw: object) -> int | None:
    text = _text(raw) or ""
    if text.upper() == "Z":
        return 0
    m = _OFFSET_RE.match(text)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    if minutes > 14 * 60:
        return None
    return -minutes if m.group(1) == "-" else minutes


def _gps_datetime(gps: dict[int, Any]) -> dt.datetime | None:
    date = _text(gps.get(_GPS_DATE))
    hms = gps.get(_GPS_TIME)
    if not date or not isinstance(hms, tuple) or len(hms) != 3:
        return None
    m = re.match(r"^(\d{4}):(\d{2}):(\d{2})$", date.strip())
    parts = [_number(x) for x in hms]
    if not m or any(p is None for p in parts):
        return None
    h, mi, s = (p for p in parts if p is not None)
    try:
        day = dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return day + dt.timedelta(hours=h, minutes=mi, seconds=int(s))
    except (ValueError, OverflowError):
        return None


_XMP_KEYS = ("DateTimeOriginal", "CreateDate", "DateCreated")
_XMP_DT = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?")


def _xmp_datetime(img: Image.Image) -> tuple[dt.datetime, int | None] | None:
    """The first date in the photo's XMP packet under one of the usual keys (raw text: no XML parser runs)."""
    raw = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    for key in _XMP_KEYS:
        m = re.search(key + r"""\s*(?:=\s*["']|>)\s*""" + _XMP_DT.pattern, text)
        if not m:
            continue
        g = m.groups()
        try:
            value = dt.datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5] or 0))
        except ValueError:
            continue
        return value, _offset(g[6]) if g[6] else None
    return None


def _zone_at(lat: float | None, lon: float | None) -> str | None:
    if lat is None or lon is None:
        return None
    try:
        import tzfpy  # lazy: 3 MB of polygons, loaded only for photos with a position

        zone = tzfpy.get_tz(lon, lat)
    except Exception as e:  # a missing or failing zone lookup leaves the zone unknown
        log.debug("time zone lookup failed: %s", e)
        return None
    return zone or None


def _zone_offset(zone: str, local: dt.datetime) -> int | None:
    tz = _tzinfo(zone)
    if tz is None:
        return None
    off = local.replace(tzinfo=tz).utcoffset()
    return int(off.total_seconds() // 60) if off is not None else None


def _to_zone(utc: dt.datetime, zone: str) -> tuple[dt.datetime, int] | None:
    tz = _tzinfo(zone)
    if tz is None:
        return None
    local = utc.replace(tzinfo=dt.timezone.utc).astimezone(tz)
    off = local.utcoffset() or dt.timedelta(0)
    return local.replace(tzinfo=None), int(off.total_seconds() // 60)


def _tzinfo(zone: str) -> dt.tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(zone)
    except Exception as e:  # no tz database (Windows without tzdata): zone unknown
        log.debug("no tz data for %s: %s", zone, e)
        return None


# ---- value helpers ---------------------------------------------------------------------------------------


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception as e:  # a broken sub-IFD is an empty one
        log.debug("unreadable IFD %#x: %s", tag, e)
        return {}


def _text(raw: object) -> str | None:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not isinstance(raw, str):
        return None
    cleaned = "".join(ch for ch in raw.replace("\x00", "") if ch.isprintable()).strip()
    return cleaned or None


def _number(raw: object) -> float | None:
    if isinstance(raw, tuple) and len(raw) == 2:  # (numerator, denominator) from some writers
        num, den = _number(raw[0]), _number(raw[1])
        return num / den if num is not None and den else None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None


def _positive(raw: object) -> float | None:
    value = _number(raw)
    return value if value is not None and value > 0 else None


def _int(raw: object) -> int | None:
    if isinstance(raw, bytes) and len(raw) == 1:
        return raw[0]
    value = _number(raw)
    return int(value) if value is not None else None


def _gps_coord(gps: dict[int, Any], tag: int, ref_tag: int, limit: float) -> float | None:
    parts = gps.get(tag)
    if isinstance(parts, (int, float)):
        parts = (parts, 0, 0)
    if not isinstance(parts, tuple) or not 1 <= len(parts) <= 3:
        return None
    nums = [_number(p) for p in parts]
    if any(n is None or n < 0 for n in nums):
        return None
    d, m, s = ([n for n in nums if n is not None] + [0.0, 0.0])[:3]
    if m >= 60 or s >= 60:
        return None
    value = d + m / 60.0 + s / 3600.0
    ref = (_text(gps.get(ref_tag)) or "").upper()[:1]
    if ref in ("S", "W"):
        value = -value
    elif ref not in ("N", "E"):
        return None  # without its hemisphere a coordinate is a guess
    return round(value, 7) if abs(value) <= limit else None
