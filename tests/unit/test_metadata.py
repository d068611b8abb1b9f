"""Photo metadata read back exactly as written: taken time with its zone (and where it came from), camera, lens,
exposure and GPS, in JPEG, PNG, TIFF, WebP and HEIC; broken metadata never fails a photo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, TiffImagePlugin

from photosearch.places.metadata import PhotoMetadata, TimeSource, read_metadata
from tests.support.exif_photos import _dms, _r, make_exif, write

FORMATS = ["JPEG", "PNG", "TIFF", "WEBP", "HEIF"]
EXT = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp", "HEIF": "heic"}
pillow_heif.register_heif_opener()


def read(path: Path, mtime: float | None = None) -> PhotoMetadata:
    with Image.open(path, formats=FORMATS) as img:
        return read_metadata(img, mtime)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_field_reads_back_as_written(tmp_path: Path, fmt: str) -> None:
    exif = make_exif(offset="+02:00", gps=(43.7731, 11.2560), altitude=52.5)
    md = read(write(tmp_path / f"p.{EXT[fmt]}", fmt, exif))
    assert md.taken_local == "2025-07-14T18:03:11"
    assert md.utc_offset_min == 120 and md.time_source is TimeSource.EXIF_OFFSET
    assert md.taken_utc == dt.datetime(2025, 7, 14, 16, 3, 11, tzinfo=dt.timezone.utc).timestamp()
    assert (md.make, md.model, md.lens) == ("NIKON CORPORATION", "NIKON D750", "24.0-120.0 mm f/4.0")
    assert md.focal_length_mm == pytest.approx(35.0) and md.f_number == pytest.approx(5.6)
    assert md.exposure_s == pytest.approx(1 / 250) and md.iso == 400
    assert md.latitude == pytest.approx(43.7731, abs=1e-5) and md.longitude == pytest.approx(
        11.2560, abs=1e-5
    )
    assert md.altitude_m == pytest.approx(52.5)


@pytest.mark.parametrize(
    ("lat", "lon", "zone", "july_offset"),
    [
        (60.1699, 24.9384, "Europe/Helsinki", 180),  # N, E
        (40.7128, -74.0060, "America/New_York", -240),  # N, W
        (-33.8688, 151.2093, "Australia/Sydney", 600),  # S, E (winter in July: standard time)
        (-34.6037, -58.3816, "America/Argentina/Buenos_Aires", -180),  # S, W
    ],
)
def test_gps_in_each_hemisphere_and_the_zone_of_the_position(
    tmp_path: Path, lat: float, lon: float, zone: str, july_offset: int
) -> None:
    md = read(write(tmp_path / "p.jpg", "JPEG", make_exif(gps=(lat, lon))))
    assert md.latitude == pytest.approx(lat, abs=1e-5) and md.longitude == pytest.approx(lon, abs=1e-5)
    assert md.time_source is TimeSource.EXIF_GPS_ZONE and md.time_zone == zone
    assert md.utc_offset_min == july_offset


def test_negative_altitude_and_negative_offsets(tmp_path: Path) -> None:
    md = read(
        write(tmp_path / "p.jpg", "JPEG", make_exif(offset="-03:30", gps=(31.5, 35.5), altitude=-420.0))
    )
    assert md.utc_offset_min == -210 and md.altitude_m == pytest.approx(-420.0)


def test_gps_time_when_there_is_no_taken_time(tmp_path: Path) -> None:
    exif = make_exif(original=None, gps=(60.1699, 24.9384), gps_time=("2024:12:31", (22, 30, 5)))
    md = read(write(tmp_path / "p.jpg", "JPEG", exif))
    assert md.time_source is TimeSource.GPS_TIME
    assert md.taken_local == "2025-01-01T00:30:05" and md.utc_offset_min == 120  # new year in Helsinki


def test_without_offset_or_gps_the_zone_is_unknown(tmp_path: Path) -> None:
    md = read(write(tmp_path / "p.jpg", "JPEG", make_exif()))
    assert md.time_source is TimeSource.EXIF_LOCAL and md.taken_local == "2025-07-14T18:03:11"
    assert md.utc_offset_min is None and md.taken_utc is None


def test_xmp_date_then_file_time(tmp_path: Path) -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        b'xmp:CreateDate="2019-08-03T10:20:30+05:30"/></rdf:RDF></x:xmpmeta>'
    )
    md = read(write(tmp_path / "x.jpg", "JPEG", make_exif(original=None, camera=False), xmp=xmp))
    assert md.time_source is TimeSource.XMP
    assert (md.taken_local, md.utc_offset_min) == ("2019-08-03T10:20:30", 330)

    plain = write(tmp_path / "plain.png", "PNG", None)
    mtime = dt.datetime(2021, 3, 4, 5, 6, 7).timestamp()
    md = read(plain, mtime)
    assert md.time_source is TimeSource.FILE_TIME and md.taken_local == "2021-03-04T05:06:07"
    assert md.make is None and not md.has_location


@pytest.mark.parametrize(
    "gps",
    [
        {1: "N", 2: (TiffImagePlugin.IFDRational(1, 0),) * 3, 3: "E", 4: (1, 2, 3)},  # x/0
        {1: "N", 2: (_r(91), _r(0), _r(0)), 3: "E", 4: _dms(10)},  # latitude out of range
        {2: _dms(45), 4: _dms(10)},  # no hemisphere refs
        {1: "N", 2: (_r(45), _r(75), _r(0)), 3: "E", 4: _dms(10)},  # 75 minutes
        {1: "N", 2: _dms(0), 3: "E", 4: _dms(0)},  # 0,0: an unset receiver
        {1: "N", 2: (_r(45),), 3: "E", 4: (1, 0)},  # short tuples, integer parts
    ],
)
def test_broken_gps_is_no_position_and_never_fails_the_photo(tmp_path: Path, gps: dict[int, object]) -> None:
    exif = make_exif(offset="+01:00")
    exif.get_ifd(0x8825).update(gps)
    path = write(tmp_path / "p.jpg", "JPEG", exif)
    md = read(path)
    assert md.taken_local == "2025-07-14T18:03:11" and md.make == "NIKON CORPORATION"
    if md.has_location:  # only the short-tuple case reads as a position: 45° N, 1° E
        assert (md.latitude, md.longitude) == (45.0, 1.0)


@pytest.mark.parametrize(
    "original", ["0000:00:00 00:00:00", "2025:13:45 99:99:99", "    ", "\x00\x00", "garbage"]
)
def test_broken_dates_are_no_date(tmp_path: Path, original: str) -> None:
    md = read(write(tmp_path / "p.jpg", "JPEG", make_exif(original=original, offset="+25:00")))
    assert md.time_source is None and md.taken_local is None
    assert md.make == "NIKON CORPORATION"


def test_truncated_exif_block_never_raises(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jpg", "JPEG", make_exif(offset="+02:00", gps=(10.0, 10.0)))
    data = bytearray(path.read_bytes())
    start = data.find(b"Exif\x00\x00")
    length = int.from_bytes(data[start - 2 : start], "big")  # the APP1 segment's length, its 2 bytes included
    end = start - 2 + length
    data[start + 24 : end] = b"\xff" * (end - start - 24)  # scribble over the IFD entries, inside the segment
    path.write_bytes(bytes(data))
    md = read(path, mtime=0.0)
    assert isinstance(md, PhotoMetadata) and md.time_source is not None  # file time at worst


def test_without_location_drops_position_only(tmp_path: Path) -> None:
    md = read(
        write(tmp_path / "p.jpg", "JPEG", make_exif(offset="+02:00", gps=(43.77, 11.25), altitude=50.0))
    )
    bare = md.without_location()
    assert not bare.has_location and bare.altitude_m is None
    assert bare.taken_local == md.taken_local and bare.model == md.model
    assert "latitude" in md.to_json() and md.to_json()["time_source"] == "exif+offset"
