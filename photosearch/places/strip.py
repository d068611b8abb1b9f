"""Copies of photos that say nothing about where they were taken: the EXIF GPS IFD, XMP (which may hold a
position or place names: ``exif:GPSLatitude``, ``photoshop:City``) and IPTC (City, Country) are removed.

JPEG is rewritten segment by segment without touching the compressed image (the EXIF block is rebuilt
without its GPS IFD; XMP and APP13/IPTC segments are dropped; everything else is kept byte for byte). Other
formats (PNG, TIFF, WebP, HEIC) are saved again by Pillow from the decoded pixels with the EXIF minus GPS
(PNG and TIFF stay lossless; WebP and HEIC are re-encoded at high quality).
"""

from __future__ import annotations

import struct
from pathlib import Path

from PIL import Image

from photosearch.library.imaging import photo_formats

_GPS_IFD = 0x8825
_SOI, _SOS, _APP1, _APP13 = 0xD8, 0xDA, 0xE1, 0xED
_XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/", b"http://ns.adobe.com/xmp/extension/")


class StripError(ValueError):
    """The photo could not be copied without its location (nothing was written)."""


def exif_without_gps(exif: Image.Exif) -> bytes:
    """EXIF as bytes (with the ``Exif\\0\\0`` header) without the GPS IFD."""
    exif.pop(_GPS_IFD, None)
    return exif.tobytes()


def strip_jpeg(data: bytes) -> bytes:
    """A JPEG's bytes without GPS, XMP and IPTC; the image data untouched."""
    if data[:2] != b"\xff\xd8":
        raise StripError("not a JPEG")
    out = [data[:2]]
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise StripError("damaged JPEG marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == _SOS or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i:])  # the image data (and everything after) unchanged
            return b"".join(out)
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        segment = data[i : i + 2 + length]
        payload = segment[4:]
        if marker == _APP1 and payload.startswith(b"Exif\x00\x00"):
            exif = Image.Exif()
            exif.load(payload)
            body = exif_without_gps(exif)
            segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
        elif (marker == _APP1 and payload.startswith(_XMP_PREFIXES)) or marker == _APP13:
            segment = b""
        out.append(segment)
        i += 2 + length
    raise StripError("a JPEG without image data")


def copy_without_location(src: str | Path, dst: str | Path) -> None:
    """Write a copy of the photo at ``src`` to ``dst`` without anything that says where it was taken."""
    data = Path(src).read_bytes()
    if data[:3] == b"\xff\xd8\xff":
        Path(dst).write_bytes(strip_jpeg(data))
        return
    with Image.open(src, formats=photo_formats()) as img:  # only the decoders PhotoSearch runs
        fmt = img.format or "PNG"
        exif = img.getexif()
        body = exif_without_gps(exif)
        pixels = img.copy()  # a plain image: no format-specific tags (a TIFF's own GPS tag) come along
    kwargs: dict[str, object] = {"exif": body}
    if fmt in ("WEBP", "HEIF", "AVIF"):
        kwargs["quality"] = 95
    pixels.save(dst, format=fmt, **kwargs)
