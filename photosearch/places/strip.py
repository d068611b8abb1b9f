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

from photosearch.errors import PhotoSearchError, UnreadableImage
from photosearch.library.imaging import open_image, photo_formats

_GPS_IFD = 0x8825
_SOI, _SOS, _APP1, _APP13 = 0xD8, 0xDA, 0xE1, 0xED
_XMP_PREFIXES = (b"http://ns.adobe.com/xap/1.0/", b"http://ns.adobe.com/xmp/extension/")


class StripError(PhotoSearchError, ValueError):
    """The photo could not be copied without its location (nothing was written); the message is in plain
    words, like the reasons indexing gives for a file it skips."""


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
            raise StripError("a marker is damaged")
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
    raise StripError("it has no image data")


def copy_without_location(src: str | Path, dst: str | Path) -> None:
    """Write a copy of the photo at ``src`` to ``dst`` without anything that says where it was taken."""
    data = Path(src).read_bytes()
    if data[:3] == b"\xff\xd8\xff":
        try:
            stripped = strip_jpeg(data)
        except (StripError, struct.error) as e:
            raise StripError(f"{src}: not copied without its location: a damaged JPEG ({e})") from e
        Path(dst).write_bytes(stripped)
        return
    try:
        with Image.open(src, formats=photo_formats()) as img:  # only the decoders PhotoSearch runs
            fmt = img.format or "PNG"
            exif = img.getexif()
            body = exif_without_gps(exif)
            pixels = img.copy()  # a plain image: no format-specific tags (a TIFF's own GPS tag) come along
    except Exception as e:  # Pillow's words ("cannot identify image file …") become the app's own
        raise StripError(f"{src}: not copied without its location: {_reason(src)}") from e
    kwargs: dict[str, object] = {"exif": body}
    if fmt in ("WEBP", "HEIF", "AVIF"):
        kwargs["quality"] = 95
    try:
        pixels.save(dst, format=fmt, **kwargs)
    except (OSError, ValueError, KeyError) as e:
        Path(dst).unlink(missing_ok=True)
        raise StripError(
            f"{src}: not copied without its location: its format ({fmt}) cannot be written here"
        ) from e


def _reason(src: str | Path) -> str:
    """Why ``src`` cannot be opened, in the words indexing uses for a file it skips (``open_image``'s
    reasons: "a PDF document, not a photo: PhotoSearch opens only JPEG, PNG, … files"). Only called after
    Pillow refused the file (a rare path: the second attempt's cost does not matter)."""
    try:
        open_image(src)
    except UnreadableImage as e:
        return e.reason
    return "not an image PhotoSearch can read"
