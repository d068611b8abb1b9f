"""Copies without location in every format: no GPS IFD, no XMP; the taken time, camera and pixels stay (JPEG
byte for byte outside its EXIF/XMP/IPTC segments)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from photosearch.places.metadata import read_metadata
from photosearch.places.strip import StripError, copy_without_location, strip_jpeg
from tests.support.exif_photos import make_exif, write

FORMATS = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp", "HEIF": "heic"}
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Florence"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_loses_its_position_and_keeps_the_rest(tmp_path: Path, fmt: str) -> None:
    extra = {"xmp": XMP} if fmt in ("JPEG", "PNG", "WEBP") else {}
    src = write(
        tmp_path / f"a.{FORMATS[fmt]}", fmt, make_exif(offset="+02:00", gps=(43.7629, 11.265)), **extra
    )
    dst = tmp_path / f"b.{FORMATS[fmt]}"
    copy_without_location(src, dst)
    with Image.open(src) as a, Image.open(dst) as b:
        before, after = read_metadata(a), read_metadata(b)
        assert before.has_location and not after.has_location
        assert (after.taken_local, after.utc_offset_min, after.make, after.iso) == (
            before.taken_local,
            before.utc_offset_min,
            before.make,
            before.iso,
        )
        if fmt in ("JPEG", "PNG", "TIFF"):
            assert a.convert("RGB").tobytes() == b.convert("RGB").tobytes()
    assert b"Florence" not in dst.read_bytes()


def test_jpeg_image_data_is_untouched(tmp_path: Path) -> None:
    src = write(tmp_path / "a.jpg", "JPEG", make_exif(gps=(-33.86, 151.21)), xmp=XMP)
    data = src.read_bytes()
    out = strip_jpeg(data)
    sos = data.index(b"\xff\xda")
    assert out.endswith(data[sos:])  # everything from the image data on, byte for byte
    with pytest.raises(StripError):
        strip_jpeg(b"not a jpeg")


def test_a_file_outside_the_photo_formats_is_never_decoded(tmp_path: Path) -> None:
    """An EPS named like a photo is refused by the export, not handed to Pillow's EPS decoder (Ghostscript),
    and the reason is the app's plain words (those indexing gives for a file it skips), not Pillow's."""
    from PIL import UnidentifiedImageError

    from photosearch.errors import PhotoSearchError

    eps = tmp_path / "holiday.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(StripError) as e:
        copy_without_location(eps, tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()
    assert isinstance(e.value, PhotoSearchError)  # the CLI prints it as one line, the GUI as a dialog
    assert isinstance(e.value.__cause__, UnidentifiedImageError)  # refused by Pillow's allowed decoders
    msg = str(e.value)
    assert "not a photo" in msg and "JPEG" in msg and str(eps) in msg, msg
    assert "PIL" not in msg and "Pillow" not in msg and "cannot identify" not in msg, msg
    text = tmp_path / "notes.jpg"
    text.write_bytes(b"\xff\xd8\xff" + b"shopping list")
    with pytest.raises(StripError, match="damaged JPEG"):
        copy_without_location(text, tmp_path / "notes-out.jpg")
    assert not (tmp_path / "notes-out.jpg").exists()
