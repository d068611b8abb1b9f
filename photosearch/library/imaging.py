"""Safe image decoding: formats, EXIF orientation and date, colour modes, bounded work.

Every decode goes through :func:`open_image`. It checks the declared size before decoding, can
decode JPEGs at reduced size (Pillow ``draft``), applies EXIF orientation and returns an 8-bit RGB
image. Anything that cannot be read raises :class:`UnreadableImage` with a reason a person can read.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from photosearch.config import setting
from photosearch.errors import UnreadableImage
from photosearch.library.decoder_noise import quiet_libtiff
from photosearch.library.exif import exif_info, orient
from photosearch.library.reasons import system_refused

log = logging.getLogger(__name__)

try:  # HEIC/HEIF (and AVIF through pillow-heif where Pillow lacks it)
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=True)
    HEIF_AVAILABLE = True
except Exception:  # pragma: no cover - optional at run time
    HEIF_AVAILABLE = False

# File types the library indexes (lower-case suffix → format family). MPO: multi-picture JPEG (3D and
# some phone cameras), read as its first picture.
IMAGE_SUFFIXES: dict[str, str] = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".jfif": "jpeg",
    ".mpo": "jpeg",
    ".png": "png",
    ".webp": "webp",
    ".gif": "gif",
    ".bmp": "bmp",
    ".dib": "bmp",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".heic": "heic",
    ".heif": "heic",
    ".hif": "heic",
    ".avif": "avif",
}

# The only decoders PhotoSearch runs (Pillow format ids; MPO comes through the JPEG decoder, HEIF through
# pillow-heif). Every other Pillow decoder is never tried, whatever the file is called: EPS/PostScript
# (Pillow hands those to Ghostscript, an external program), PDF, PSD, FITS, ICNS, …
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "GIF", "BMP", "HEIF", "AVIF")
_formats: tuple[str, ...] | None = None


def photo_formats() -> tuple[str, ...]:
    """The formats of :data:`PHOTO_FORMATS` this Pillow can open (their plugins imported, no others)."""
    global _formats
    if _formats is None:
        from PIL import (  # noqa: F401 - importing a plugin registers its decoder
            BmpImagePlugin,
            GifImagePlugin,
            JpegImagePlugin,
            PngImagePlugin,
            TiffImagePlugin,
            WebPImagePlugin,
        )

        try:
            from PIL import AvifImagePlugin  # noqa: F401 - Pillow 11.2 and later
        except ImportError:  # pragma: no cover - an older Pillow
            pass
        _formats = tuple(f for f in PHOTO_FORMATS if f in Image.OPEN)
    return _formats


# What a file that is not one of our formats really is, from its first bytes: said in the skip reason.
_FOREIGN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%!", "a PostScript (EPS/PS) document"),
    (b"\xc5\xd0\xd3\xc6", "a PostScript (EPS) document"),
    (b"%PDF", "a PDF document"),
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"SIMPLE  =", "a FITS astronomy image"),
    (b"icns", "a macOS icon (ICNS)"),
    (b"\x00\x00\x01\x00", "a Windows icon (ICO)"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\xffO\xffQ", "a JPEG 2000 image"),
    (b"PK\x03\x04", "a ZIP archive"),
)


def _head(path: str) -> bytes:
    """The file's first bytes (empty when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            return f.read(1024)
    except OSError:
        return b""


def _foreign_kind(head: bytes) -> str | None:
    """What a file Pillow was not allowed to open is, when its first bytes say (else None)."""
    for magic, kind in _FOREIGN_MAGIC:
        if head.startswith(magic):
            return kind
    low = head.lower()
    if b"<svg" in low or (low.lstrip().startswith(b"<?xml") and b"svg" in low):
        return "an SVG drawing"
    return None


TIFF_NOT_DECODED = (
    "a TIFF PhotoSearch cannot decode (damaged, or a layout it does not read: colour planes stored "
    "separately, floating-point colour, an unusual compression)"
)


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")


# Largest image decoded (declared pixels). Bigger files are skipped with a reason, never decoded.
MAX_PIXELS = 150_000_000
NEUTRAL_BACKGROUND = (128, 128, 128)
# Memory one decode may take (bytes), estimated from the header before anything is decoded: the decoded
# pixels (width × height × bytes per pixel of the file's mode, at the reduced JPEG scale where it applies)
# plus the working copies of the conversion to 8-bit RGB. A file over it is skipped with the reason, never
# attempted. With the default two decode threads, decoding stays under ~0.6 GB whatever the folder holds.
ENV_DECODE_BUDGET = "PHOTOSEARCH_DECODE_BUDGET_MB"
DEFAULT_DECODE_BUDGET = 256 * 1024 * 1024
# bytes per pixel Pillow keeps for each mode ("1" and "P" store a byte per pixel)
_MODE_BYTES = {
    "1": 1,
    "L": 1,
    "P": 1,
    "LA": 2,
    "La": 2,
    "PA": 2,
    "I;16": 2,
    "I;16B": 2,
    "I;16L": 2,
    "I;16N": 2,
    "RGB": 3,
    "YCbCr": 3,
    "LAB": 3,
    "HSV": 3,
    "RGBA": 4,
    "RGBa": 4,
    "RGBX": 4,
    "CMYK": 4,
    "I": 4,
    "F": 4,
    "RGB;16": 6,
    "BGR;16": 6,
    "RGBA;16": 8,
    "BGRA;16": 8,
}


# Images decoded at full size that are bigger than this are shrunk right after decoding (fast path).
SHRINK_ABOVE_PIXELS = 24_000_000


def decode_budget() -> int:
    try:
        mb = float(setting(ENV_DECODE_BUDGET) or "")
        return int(mb * 1024 * 1024) if mb > 0 else DEFAULT_DECODE_BUDGET
    except ValueError:
        return DEFAULT_DECODE_BUDGET


def decode_cost(mode: str, width: int, height: int, reduce: int = 1, reducible: bool = False) -> int:
    """Estimated peak bytes of decoding an image of this mode and size: its pixels (at 1/``reduce`` scale
    for a JPEG drafted smaller) plus the conversion to RGB — of the full image, or when ``reducible``
    (the fast path shrinks it first) of a small one."""
    w, h = -(-width // reduce), -(-height // reduce)
    bpp = _MODE_BYTES.get(mode, 4)
    pixels = w * h * bpp
    if reducible:
        return pixels + pixels // 4
    if mode == "RGB":
        return pixels
    # to 8-bit RGB: 16-bit/float go through a grey copy (+ the int32 strip buffers, bounded), alpha through RGBA
    grey = w * h if bpp >= 2 and mode not in ("LA", "La", "PA", "RGBA", "RGBa", "RGBX", "CMYK") else 0
    return pixels + grey + w * h * (4 if "A" in mode or mode == "P" else 3)


def _describe_mode(mode: str) -> str:
    return {
        "I;16": "16-bit grey",
        "I;16B": "16-bit grey",
        "I;16L": "16-bit grey",
        "I;16N": "16-bit grey",
        "I": "32-bit grey",
        "F": "32-bit float",
        "L": "8-bit grey",
        "RGB": "8-bit colour",
        "RGBA": "8-bit colour with alpha",
        "CMYK": "CMYK",
        "P": "palette",
    }.get(mode, mode)


# Pillow refuses "bombs" at 2x its limit and warns above it; we check ourselves first.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

# Reading a header takes a few hundred reads; junk (e.g. a JPEG marker followed by gigabytes of
# zeros, which Pillow scans byte by byte) takes millions. Past this many the file is skipped.
MAX_HEADER_READS = 200_000


class _TooManyReads(OSError):
    pass


class _HeaderGuard:
    """A file wrapper bounding how many ``read`` calls identifying an image may take."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self.reads = 0
        self.armed = True

    def read(self, n: int = -1) -> bytes:
        if self.armed:
            self.reads += 1
            if self.reads > MAX_HEADER_READS:
                raise _TooManyReads("the image header does not end")
        return self._f.read(n)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)


def _open_guarded(path: str) -> tuple[Image.Image, BinaryIO]:
    """``Image.open`` with the header reads bounded; returns the image and the file to close after it."""
    f = open(path, "rb")  # the caller closes it after decoding
    try:
        guard = _HeaderGuard(f)
        img = Image.open(guard, formats=photo_formats())  # type: ignore[arg-type]
        guard.armed = False
        return img, f
    except BaseException:
        f.close()
        raise


_FORMAT_NAMES = "JPEG, PNG, WebP, HEIC/HEIF, AVIF, TIFF, GIF and BMP"


def name_suffix(name: str) -> str:
    # "holiday.jpg " (a trailing space, e.g. from a Windows share or a typo) is still a JPEG
    return os.path.splitext(name.rstrip(" "))[1].lower()


#: the names a person knows the formats by (Pillow's format names, and file name endings)
_FORMAT_LABELS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "HEIF": "HEIC/HEIF",
    "AVIF": "AVIF",
}
_FORMAT_LABELS.update({"TIFF": "TIFF", "GIF": "GIF", "BMP": "BMP"})
_SUFFIX_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".png": "PNG", ".webp": "WEBP"}
_SUFFIX_FORMATS.update({".heic": "HEIF", ".heif": "HEIF", ".avif": "AVIF", ".tif": "TIFF", ".tiff": "TIFF"})
_SUFFIX_FORMATS.update({".gif": "GIF", ".bmp": "BMP"})
#: what decoders say when the data stops early (Pillow, libheif, libavif, libwebp)
_CUT_SHORT = ("truncated", "unexpected end", "end of file", "outside of file bounds", "premature end")


def _damaged(path: str, e: BaseException, fmt: str | None) -> UnreadableImage:
    """The reason for a photo whose data a decoder refused, in plain words: the decoder's own message (its
    library's words, a class name, a file position) goes to the log (``photosearch -v``), not to the list of
    skipped files."""
    msg = (str(e) or type(e).__name__).strip()
    log.info("%s: the %s decoder refused it: %s: %s", path, fmt or "image", type(e).__name__, msg)
    if isinstance(e, EOFError) or any(sign in msg.lower() for sign in _CUT_SHORT):
        return UnreadableImage(path, "file is truncated or incomplete")
    label = _FORMAT_LABELS.get(fmt or _SUFFIX_FORMATS.get(name_suffix(path), ""), "")
    return UnreadableImage(
        path, f"damaged or incomplete {label + ' ' if label else ''}image (its pixels cannot be decoded)"
    )


def is_image_name(name: str) -> bool:
    return name_suffix(name) in IMAGE_SUFFIXES


def format_of(path: str | Path) -> str:
    return IMAGE_SUFFIXES.get(name_suffix(str(path)), "other")


@dataclass
class Decoded:
    """An oriented 8-bit RGB image plus what the catalog records about the file."""

    image: Image.Image
    width: int  # full-size width after EXIF orientation
    height: int
    format: str
    taken_at: float | None
    reduced: bool  # decoded at reduced size (draft or embedded thumbnail)


def to_rgb(img: Image.Image) -> Image.Image:
    """8-bit RGB from any mode: palette, alpha (composited on neutral grey), 16-bit, CMYK, float."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img)
        if mode == "F":
            lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
            scale = 255.0 / (hi - lo) if hi > lo else 0.0
            arr8 = np.clip((np.nan_to_num(arr) - lo) * scale, 0, 255).astype(np.uint8)
        else:  # integer: scaled to 8 bits a strip at a time (no full-size wide copies)
            top = 65535 if mode.startswith("I;16") or int(arr.max(initial=0)) > 255 else 255
            arr8 = np.empty(arr.shape, np.uint8)
            for r in range(0, arr.shape[0], 256):
                strip = arr[r : r + 256].astype(np.int64)
                arr8[r : r + 256] = np.clip(strip * 255 // max(top, 1), 0, 255)
        return Image.fromarray(arr8, "L").convert("RGB")
    has_alpha = (
        mode in ("RGBA", "LA", "La", "RGBa", "PA")
        or (mode == "P" and "transparency" in img.info)
        or (mode in ("L", "RGB") and "transparency" in img.info)
    )
    if has_alpha:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, NEUTRAL_BACKGROUND + (255,))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    if mode == "CMYK":
        # Adobe CMYK JPEGs are stored inverted; Pillow handles that in convert().
        return img.convert("RGB")
    return img.convert("RGB")


def open_image(
    path: str | Path,
    *,
    draft_short_side: int | None = None,
    max_pixels: int = MAX_PIXELS,
    thumb_short_side: int | None = None,
) -> Decoded:
    """Decode ``path`` to an oriented RGB image.

    ``draft_short_side``: when given, JPEGs are decoded at the smallest DCT scale whose short side
    is still at least this many pixels (the fast path); ``None`` decodes at full size (the exact path).
    ``thumb_short_side``: when given, a HEIC's embedded thumbnail is decoded instead of the image when
    its short side is at least this many pixels (pillow-heif ``draft``).
    """
    path = str(path)
    try:
        img, raw = _open_guarded(path)
    except _TooManyReads as e:
        raise UnreadableImage(path, "damaged image header (reading it never ends)") from e
    except (FileNotFoundError, PermissionError) as e:
        raise UnreadableImage(path, system_refused(e)) from e
    except IsADirectoryError as e:
        raise UnreadableImage(path, "is a directory") from e
    except UnidentifiedImageError as e:
        size = _size_or_none(path)
        if size == 0:
            raise UnreadableImage(path, "empty file (0 bytes)") from e
        head = _head(path)
        kind = _foreign_kind(head)
        if kind:
            raise UnreadableImage(
                path, f"{kind}, not a photo: PhotoSearch opens only {_FORMAT_NAMES} files"
            ) from e
        if head[:4] in _TIFF_MAGIC:  # a TIFF, but not one Pillow decodes: damaged, or an unusual layout
            raise UnreadableImage(path, TIFF_NOT_DECODED) from e
        raise UnreadableImage(
            path, f"not an image PhotoSearch can read (unknown or damaged format; it opens {_FORMAT_NAMES})"
        ) from e
    except Image.DecompressionBombError as e:
        raise UnreadableImage(path, "image too large to decode safely (declared size over the limit)") from e
    except OSError as e:
        if e.errno is not None and e.strerror:  # the system refused the file (not a decoder its data)
            raise UnreadableImage(path, system_refused(e)) from e
        raise _damaged(path, e, None) from e
    except Exception as e:  # any decoder failure is a reason, not a crash
        raise _damaged(path, e, None) from e
    try:
        return _decode(img, path, draft_short_side, max_pixels, thumb_short_side)
    finally:
        img.close()
        raw.close()


def _size_or_none(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _decode(
    img: Image.Image,
    path: str,
    draft_short_side: int | None,
    max_pixels: int,
    thumb_short_side: int | None = None,
) -> Decoded:
    if img.format == "TIFF":
        quiet_libtiff()
    try:
        w, h = img.size
        if w <= 0 or h <= 0:
            raise UnreadableImage(path, f"invalid declared size {w}×{h}")
        if w * h > max_pixels:
            raise UnreadableImage(
                path, f"image too large to decode safely ({w}×{h} = {w * h / 1e6:.0f} megapixels declared)"
            )
        fmt = (img.format or "").lower() or format_of(path)
        orientation, taken = exif_info(img)
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)  # animated GIF/WebP/multi-page TIFF: the first frame
        reduced = False
        if draft_short_side and img.format in ("JPEG", "MPO"):
            short = min(w, h)
            if short > 2 * draft_short_side:
                scale = short / draft_short_side
                req = (max(1, int(w / scale)), max(1, int(h / scale)))
                mode = "RGB" if img.mode in ("RGB", "YCbCr") else img.mode
                got = img.draft(mode, req)
                reduced = got is not None and img.size != (w, h)
        elif thumb_short_side and img.format == "HEIF" and hasattr(img, "draft"):
            # HEIC: decode the embedded thumbnail (pillow-heif's draft) when its short side is big enough
            short = min(w, h)
            if short > thumb_short_side:
                req = (-(-w * thumb_short_side // short), -(-h * thumb_short_side // short))
                got = img.draft("RGB", req)
                reduced = got is not None and img.size != (w, h)
        dw, dh = img.size  # what will be decoded (after a JPEG draft or a HEIC thumbnail)
        # formats decoded at full size (PNG, TIFF, WebP, GIF, BMP, a HEIC without thumbnail): shrunk by an
        # integer factor right after decoding, before the RGB conversion and everything downstream
        shrink = max(1, min(dw, dh) // draft_short_side) if draft_short_side and not reduced else 1
        if dw * dh < SHRINK_ABOVE_PIXELS:
            shrink = (
                1  # ordinary sizes: decoded as they are (cheap, and identical to the exact path's pixels)
            )
        budget = decode_budget()
        need = decode_cost(img.mode, dw, dh, reducible=shrink >= 2)
        if need > budget:
            raise UnreadableImage(
                path,
                f"too large to decode within the memory limit ({w}×{h} {_describe_mode(img.mode)} needs about "
                f"{need / 2**20:,.0f} MB; the limit per photo is {budget / 2**20:,.0f} MB)",
            )
        img.load()
        if shrink >= 2:  # formats without reduced decoding: shrink before the (costlier) RGB conversion
            small = (-(-dw // shrink), -(-dh // shrink))
            img = img.reduce(shrink) if img.mode in _REDUCE_MODES else img.resize(small, Image.Resampling.BOX)
            reduced = True
        rgb = to_rgb(img)
        if orientation != 1:
            rgb = orient(rgb, orientation)
        if orientation in (5, 6, 7, 8):
            w, h = h, w
        if rgb is img:
            rgb = img.copy()
        return Decoded(image=rgb, width=w, height=h, format=fmt, taken_at=taken, reduced=reduced)
    except UnreadableImage:
        raise
    except Image.DecompressionBombError as e:
        raise UnreadableImage(path, "image too large to decode safely") from e
    except MemoryError as e:
        raise UnreadableImage(path, "not enough memory to decode") from e
    except OSError as e:
        if e.errno is not None and e.strerror:  # reading the file failed (a disk error), not its data
            raise UnreadableImage(path, system_refused(e)) from e
        raise _damaged(path, e, img.format) from e
    except Exception as e:  # any decoder failure is a reason, not a crash
        raise _damaged(path, e, img.format) from e


_REDUCE_MODES = frozenset({"L", "LA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "I", "F", "YCbCr"})
