"""What EXIF says about a photo: its orientation and when it was taken; tolerant of garbage (a field that
is missing, of the wrong type or out of range counts as absent). Used by the safe decoder (imaging.py)."""

from __future__ import annotations

from datetime import datetime

from PIL import Image, ImageOps

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_DATETIME = 0x0132
_ORIENTATION = 0x0112


def exif_info(img: Image.Image) -> tuple[int, float | None]:
    """(orientation, date taken as a POSIX timestamp in local time) from EXIF; tolerant of garbage."""
    if img.format == "PNG" and "exif" not in img.info:
        # Pillow's PNG getexif() decodes the whole image to look for an eXIf chunk after the pixels
        # (seconds and gigabytes for a big one); EXIF in a PNG comes before them in practice
        return 1, None
    try:
        exif = img.getexif()
    except Exception:
        return 1, None
    orientation = 1
    try:
        o = exif.get(_ORIENTATION, 1)
        orientation = int(o) if isinstance(o, int) and 1 <= int(o) <= 8 else 1
    except Exception:
        orientation = 1
    taken: float | None = None
    try:
        ifd = exif.get_ifd(_EXIF_IFD)
    except Exception:
        ifd = {}
    for raw in (ifd.get(_DATETIME_ORIGINAL), ifd.get(_DATETIME_DIGITIZED), exif.get(_DATETIME)):
        taken = parse_exif_date(raw)
        if taken is not None:
            break
    return orientation, taken


def parse_exif_date(raw: object) -> float | None:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    if not isinstance(raw, str):
        return None
    raw = raw.strip("\x00 ").strip()
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M", "%Y:%m:%d"):
        try:
            dt = datetime.strptime(raw[: len(datetime(2000, 1, 1).strftime(fmt))], fmt)
        except (ValueError, OverflowError):
            continue
        if 1800 <= dt.year <= 2200:
            try:
                return dt.timestamp()
            except (OverflowError, OSError, ValueError):
                return None
    return None


_TRANSPOSE = {
    2: [Image.Transpose.FLIP_LEFT_RIGHT],
    3: [Image.Transpose.ROTATE_180],
    4: [Image.Transpose.FLIP_TOP_BOTTOM],
    5: [Image.Transpose.TRANSPOSE],
    6: [Image.Transpose.ROTATE_270],
    7: [Image.Transpose.TRANSVERSE],
    8: [Image.Transpose.ROTATE_90],
}


def orient(img: Image.Image, orientation: int) -> Image.Image:
    for op in _TRANSPOSE.get(orientation, []):
        img = img.transpose(op)
    return img


def exif_transpose(img: Image.Image) -> Image.Image:
    """Pillow's own EXIF orientation, for callers holding an already-open image."""
    return ImageOps.exif_transpose(img) or img
