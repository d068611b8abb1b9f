"""Photos with known EXIF (taken time, offset, camera, GPS) for the metadata and places tests, and a small
library of them: the drawn shapes the test model knows, taken at real spots in several countries (off city
centres, near borders, both hemispheres), with several cameras, and some without GPS."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pillow_heif
from PIL import Image, TiffImagePlugin

pillow_heif.register_heif_opener()


def _r(x: float) -> TiffImagePlugin.IFDRational:
    f = Fraction(x).limit_denominator(100000)
    return TiffImagePlugin.IFDRational(f.numerator, f.denominator)


def _dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return (_r(d), _r(m), _r(round(s, 4)))


def make_exif(
    *,
    original: str | None = "2025:07:14 18:03:11",
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
    altitude: float | None = None,
    gps_time: tuple[str, tuple[int, int, int]] | None = None,
    camera: bool = True,
) -> Image.Exif:
    exif = Image.Exif()
    if camera:
        exif[0x010F] = "NIKON CORPORATION"
        exif[0x0110] = "NIKON D750"
    sub: dict[int, object] = {}
    if original:
        sub[0x9003] = original
    if offset:
        sub[0x9011] = offset
    if camera:
        sub.update(
            {
                0xA434: "24.0-120.0 mm f/4.0",
                0x920A: _r(35.0),
                0x829D: _r(5.6),
                0x829A: _r(1 / 250),
                0x8827: 400,
            }
        )
    if sub:
        ifd = exif.get_ifd(0x8769)
        ifd.update(sub)
    if gps or gps_time:
        g = exif.get_ifd(0x8825)
        if gps:
            lat, lon = gps
            g.update({1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)})
        if altitude is not None:
            g.update({5: b"\x01" if altitude < 0 else b"\x00", 6: _r(abs(altitude))})
        if gps_time:
            g.update({29: gps_time[0], 7: tuple(_r(x) for x in gps_time[1])})
    return exif


def write(
    path: Path, fmt: str, exif: Image.Exif | None, img: Image.Image | None = None, **extra: object
) -> Path:
    img = img or Image.new("RGB", (64, 48), (200, 120, 40))
    kwargs: dict[str, object] = dict(extra)
    if exif is not None and fmt == "TIFF":  # TIFF keeps EXIF in its own tags; sub-IFDs are written from dicts
        info = TiffImagePlugin.ImageFileDirectory_v2()
        for tag, value in exif.items():
            info[tag] = value
        for tag in (0x8769, 0x8825):
            if exif.get_ifd(tag):
                info[tag] = dict(exif.get_ifd(tag))
        kwargs["tiffinfo"] = info
    elif exif is not None:
        kwargs["exif"] = exif
    img.save(path, format=fmt, **kwargs)
    return path


# (file stem, lat, lon, city, country code, taken local, offset, camera make, model); shapes drawn per row below
SPOTS = [
    (
        "florence_michelangelo",
        43.7629,
        11.2650,
        "Florence",
        "IT",
        "2025:07:14 18:03:11",
        "+02:00",
        "NIKON CORPORATION",
        "NIKON D750",
    ),
    (
        "florence_station",
        43.7765,
        11.2480,
        "Florence",
        "IT",
        "2025:08:02 09:10:00",
        "+02:00",
        "Apple",
        "iPhone 13",
    ),
    ("rome_colosseum", 41.8902, 12.4922, "Rome", "IT", "2024:12:24 16:00:00", "+01:00", "Apple", "iPhone 13"),
    (
        "vatican_st_peter",
        41.9022,
        12.4539,
        "Vatican City",
        "VA",
        "2024:12:25 11:00:00",
        "+01:00",
        "Apple",
        "iPhone 13",
    ),
    (
        "gorizia",
        45.9415,
        13.6200,
        "Gorizia",
        "IT",
        "2023:06:10 12:00:00",
        "+02:00",
        "NIKON CORPORATION",
        "NIKON D750",
    ),
    (
        "nova_gorica",
        45.9560,
        13.6480,
        "Nova Gorica",
        "SI",
        "2023:06:10 15:00:00",
        "+02:00",
        "NIKON CORPORATION",
        "NIKON D750",
    ),
    (
        "helsinki_west_harbour",
        60.1560,
        24.9210,
        "Helsinki",
        "FI",
        "2025:01:05 12:30:00",
        "+02:00",
        "Canon",
        "Canon EOS R6",
    ),
    (
        "helsinki_cathedral",
        60.1705,
        24.9522,
        "Helsinki",
        "FI",
        "2025:06:21 23:30:00",
        None,
        "Canon",
        "Canon EOS R6",
    ),
    ("madrid_debod", 40.4240, -3.7178, "Madrid", "ES", "2022:04:01 10:00:00", "+02:00", "Apple", "iPhone 13"),
    (
        "strasbourg",
        48.5818,
        7.7510,
        "Strasbourg",
        "FR",
        "2021:12:31 23:59:00",
        "+01:00",
        "Canon",
        "Canon EOS R6",
    ),
    ("kehl", 48.5726, 7.8159, "Kehl", "DE", "2022:01:01 00:05:00", "+01:00", "Canon", "Canon EOS R6"),
    (
        "sydney_opera",
        -33.8568,
        151.2153,
        "Sydney",
        "AU",
        "2024:12:28 19:00:00",
        "+11:00",
        "Google",
        "Pixel 8",
    ),
    (
        "buenos_aires",
        -34.6037,
        -58.3816,
        "Buenos Aires",
        "AR",
        "2024:07:15 14:00:00",
        "-03:00",
        "Google",
        "Pixel 8",
    ),
    ("detroit", 42.3293, -83.0398, "Detroit", "US", "2023:10:10 10:00:00", "-04:00", "Google", "Pixel 8"),
    ("windsor", 42.3170, -83.0380, "Windsor", "CA", "2023:10:10 11:00:00", "-04:00", "Google", "Pixel 8"),
]
# photos without GPS (one with a camera, one with nothing)
NO_GPS = [
    ("no_gps_nikon", "2025:07:20 10:00:00", "+02:00", "NIKON CORPORATION", "NIKON D750"),
    ("no_gps_bare", None, None, None, None),
]


def make_place_library(folder: Path) -> dict[str, dict[str, object]]:
    """Write the SPOTS and NO_GPS photos (JPEG, shapes the test model knows) into ``folder``; returns
    {path: {"city", "cc", "make", "model", "taken"}} (city and cc None without GPS)."""
    from models.tools import shapes

    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, dict[str, object]] = {}
    rows = [(s, (lat, lon), city, cc, t, off, mk, md) for s, lat, lon, city, cc, t, off, mk, md in SPOTS]
    rows += [(s, None, None, None, t, off, mk, md) for s, t, off, mk, md in NO_GPS]
    for i, (stem, gps, city, cc, taken, off, make, model) in enumerate(rows):
        spec = shapes.Spec(shapes.SHAPES[i % 6], shapes.COLOURS[(i // 2) % 6], "large", "centre")
        exif = make_exif(original=taken, offset=off, gps=gps, camera=make is not None)
        if make is not None:
            exif[0x010F], exif[0x0110] = make, model
        path = write(folder / f"{stem}.jpg", "JPEG", exif, img=shapes.render(spec))
        out[str(path)] = {"city": city, "cc": cc, "make": make, "model": model, "taken": taken, "spec": spec}
    return out
