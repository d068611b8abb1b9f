"""The hostile-file corpus: everything a decade of real photo folders throws at an indexer.

``build_hostile_corpus(root, seed)`` writes the corpus under ``root/photos`` (plus ``root/outside``,
a folder that symlinks point into and that must never be indexed) and returns a :class:`Corpus`
describing every entry and what may happen to it:

* ``"indexed"`` — must end up indexed (valid images in odd shapes, modes and names);
* ``"error"``   — must end up listed as skipped with a reason (corrupt, empty, bombs, …);
* ``"either"``  — indexed or skipped with a reason, both fine (e.g. a JPEG truncated mid-scan, which
  Pillow may or may not be able to finish);
* ``"absent"``  — must not appear in the catalog at all (non-image names, FIFOs, symlinks leading
  out of the folder, symlink loops);
* ``"denied"``  — unreadable for an unprivileged user (chmod 000): indexed when run as root, listed
  with a reason otherwise.

Nothing here is committed as data: the corpus is generated (seconds) into a temporary folder.

Run it directly to build one for manual use: ``python -m tests.hostile OUT_DIR``.
"""

from __future__ import annotations

import io
import os
import random
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

EXPECTATIONS = ("indexed", "error", "either", "absent", "denied")


@dataclass
class Corpus:
    root: Path  # the folder to add
    outside: Path  # a sibling folder symlinks point into: must never be indexed
    expect: dict[str, str] = field(default_factory=dict)  # path → expectation
    notes: dict[str, str] = field(default_factory=dict)  # path → what the entry is

    def add(self, path: Path, expectation: str, note: str) -> Path:
        assert expectation in EXPECTATIONS, expectation
        self.expect[os.path.normpath(str(path))] = expectation
        self.notes[os.path.normpath(str(path))] = note
        return path

    def paths(self, *expectations: str) -> list[str]:
        return sorted(p for p, e in self.expect.items() if e in expectations)


# -- small helpers -------------------------------------------------------------------------------


def _rng_image(rng: np.random.Generator, w: int, h: int, mode: str = "RGB") -> Image.Image:
    """A smooth random image (compresses like a photo, not like noise)."""
    small = rng.integers(0, 256, (max(2, h // 16), max(2, w // 16), 3), dtype=np.uint8)
    img = Image.fromarray(small, "RGB").resize((w, h), Image.Resampling.BILINEAR)
    return img.convert(mode) if mode != "RGB" else img


def _jpeg_bytes(img: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, **kw)
    return buf.getvalue()


def _png_bytes(img: Image.Image, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A real decompression bomb: a 1-bit PNG of ``width``×``height`` zeros (~100 KB on disk,
    ``width*height`` pixels when decoded)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    parts = []
    chunk_rows = max(1, (1 << 22) // len(row))
    block = row * chunk_rows
    left = height
    while left > 0:
        n = min(chunk_rows, left)
        parts.append(comp.compress(block if n == chunk_rows else row * n))
        left -= n
    parts.append(comp.flush())
    idat = b"".join(parts)
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png_grey16(width: int = 12000, height: int = 12000) -> bytes:
    """A 16-bit greyscale PNG of ``width``×``height`` (a dark frame: ~1 MB on disk for 12000², 288 MB of
    pixels decoded), written without ever holding the pixels."""
    row = b"\x00" + b"\x00\x40" * width  # filter byte + big-endian samples (0x0040)
    comp = zlib.compressobj(9)
    parts = []
    chunk_rows = max(1, (1 << 22) // len(row))
    left = height
    while left > 0:
        n = min(chunk_rows, left)
        parts.append(comp.compress(row * n))
        left -= n
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width``×``height`` but holds almost no data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int, rng: np.random.Generator) -> bytes:
    """A small valid JPEG with its SOF0 frame size patched to ``width``×``height`` (≤ 65535)."""
    data = bytearray(_jpeg_bytes(_rng_image(rng, 64, 48)))
    i = data.find(b"\xff\xc0")
    assert i > 0
    struct.pack_into(">HH", data, i + 5, height, width)
    return bytes(data)


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose logical screen and frame declare ``width``×``height`` (≤ 65535)."""
    header = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    desc = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
    data = b"\x02\x02\x44\x01\x00"  # LZW min code size 2, one tiny sub-block
    return header + desc + data + b"\x3b"


def exif_jpeg(
    rng: np.random.Generator,
    tags: dict[int, object],
    ifd: dict[int, object] | None = None,
    corrupt: bool = False,
) -> bytes:
    img = _rng_image(rng, 96, 64)
    exif = Image.Exif()
    for k, v in tags.items():
        exif[k] = v
    if ifd:
        sub = exif.get_ifd(0x8769)
        for k, v in ifd.items():
            sub[k] = v
    raw = exif.tobytes()
    if corrupt:
        b = bytearray(raw)
        r = random.Random(len(raw))
        for _ in range(max(4, len(b) // 6)):
            pos = r.randrange(6, len(b))
            b[pos] = r.randrange(256)
        raw = bytes(b)
    return _jpeg_bytes(img, exif=raw)


def _truncate_at(data: bytes, rng: random.Random, lo: float = 0.05, hi: float = 0.95) -> bytes:
    return data[: max(1, int(len(data) * rng.uniform(lo, hi)))]


# -- the corpus ------------------------------------------------------------------------------------


def build_hostile_corpus(base: str | Path, seed: int = 0, *, with_special: bool = True) -> Corpus:
    """Write the corpus under ``base/photos`` (and ``base/outside``). ``with_special`` adds the FIFO,
    device symlink and chmod 000 entries (skip them on filesystems that cannot hold them)."""
    base = Path(base)
    root = base / "photos"
    outside = base / "outside"
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    c = Corpus(root=root, outside=outside)
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)

    def put(rel: str, data: bytes, expectation: str, note: str) -> Path:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return c.add(p, expectation, note)

    # plain good photos, so the run has real work around the bad ones
    for i in range(12):
        put(
            f"good/photo_{i:02d}.jpg",
            _jpeg_bytes(_rng_image(rng, 320 + 8 * i, 240)),
            "indexed",
            "ordinary JPEG",
        )
    good_jpeg = _jpeg_bytes(_rng_image(rng, 800, 600))
    good_png = _png_bytes(_rng_image(rng, 400, 300))

    # empty, truncated, random, wrong extensions
    put("broken/zero.jpg", b"", "error", "zero-byte JPEG")
    put("broken/zero.png", b"", "error", "zero-byte PNG")
    put("broken/zero.heic", b"", "error", "zero-byte HEIC")
    for k in range(6):
        put(
            f"broken/trunc_{k}.jpg",
            _truncate_at(good_jpeg, prng),
            "either",
            "JPEG truncated at a random offset",
        )
        put(
            f"broken/trunc_{k}.png",
            _truncate_at(good_png, prng),
            "either",
            "PNG truncated at a random offset",
        )
    put("broken/header_only.jpg", good_jpeg[:20], "error", "JPEG cut inside its header")
    put("broken/magic_only.png", good_png[:8], "error", "PNG signature only")
    for ext in ("jpg", "png", "webp", "tif", "heic", "gif", "bmp", "avif"):
        put(
            f"broken/random.{ext}",
            prng.randbytes(prng.randrange(100, 40_000)),
            "error",
            f"random bytes as .{ext}",
        )
    put("broken/text.jpg", b"this is not an image\n" * 50, "error", "text file named .jpg")
    put(
        "broken/html.png",
        b"<html><body>404 Not Found</body></html>",
        "error",
        "an HTML error page saved as .png",
    )
    put("wrongext/png_named.jpg", good_png, "indexed", "PNG data with a .jpg name")
    put("wrongext/jpeg_named.png", good_jpeg, "indexed", "JPEG data with a .png name")
    put("wrongext/jpeg_named.heic", good_jpeg, "indexed", "JPEG data with a .heic name")
    put("wrongext/UPPER.JPG", good_jpeg[:-1] + b"\xd9", "either", "upper-case extension")
    # a JPEG header followed by 64 MiB of zeros (a sparse file): the decoder must not crawl it
    sparse = root / "broken/sparse_zeros.jpg"
    with open(sparse, "wb") as f:
        f.write(good_jpeg[:600])
        f.truncate(64 << 20)
    c.add(sparse, "either", "JPEG header then 64 MiB of zeros (sparse)")

    # decompression bombs and absurd declared sizes
    put(
        "bombs/png_bomb_30000x30000.png", png_bomb(30000, 30000), "error", "PNG bomb: 30000×30000 1-bit zeros"
    )
    put(
        "bombs/png_declares_30000x30000.png",
        png_declaring(30000, 30000),
        "error",
        "tiny PNG declaring 30000×30000",
    )
    put(
        "bombs/png_declares_max.png",
        png_declaring(2**31 - 1, 2**31 - 1),
        "error",
        "PNG declaring 2^31-1 square",
    )
    put(
        "bombs/jpeg_declares_65000.jpg",
        jpeg_declaring(65000, 65000, rng),
        "error",
        "JPEG frame declaring 65000²",
    )
    put("bombs/gif_declares_65535.gif", gif_declaring(65535, 65535), "error", "GIF declaring 65535²")
    put("bombs/png_zero_size.png", png_declaring(0, 0), "error", "PNG declaring 0×0")
    tif = io.BytesIO()
    _rng_image(rng, 16, 16).save(tif, "TIFF")
    tb = bytearray(tif.getvalue())
    # patch ImageWidth/ImageLength (tags 256/257) in the first IFD to 60000
    ifd = struct.unpack_from("<I", tb, 4)[0]
    for j in range(struct.unpack_from("<H", tb, ifd)[0]):
        e = ifd + 2 + 12 * j
        tag, typ = struct.unpack_from("<HH", tb, e)
        if tag in (256, 257):
            struct.pack_into("<HHII", tb, e, tag, 4, 1, 60000)
    put("bombs/tiff_declares_60000.tif", bytes(tb), "error", "TIFF declaring 60000²")

    # odd modes and formats (all valid: must be indexed)
    buf = io.BytesIO()
    Image.fromarray((rng.integers(0, 65536, (60, 80))).astype(np.uint16)).save(buf, "PNG")
    put("modes/gray16.png", buf.getvalue(), "indexed", "16-bit greyscale PNG")
    buf = io.BytesIO()
    Image.fromarray((rng.integers(0, 65536, (60, 80))).astype(np.uint16)).save(buf, "TIFF")
    put("modes/gray16.tif", buf.getvalue(), "indexed", "16-bit greyscale TIFF")
    buf = io.BytesIO()
    Image.fromarray(rng.standard_normal((60, 80)).astype(np.float32), "F").save(buf, "TIFF")
    put("modes/float32.tif", buf.getvalue(), "indexed", "32-bit float TIFF")
    put("modes/cmyk.jpg", _jpeg_bytes(_rng_image(rng, 120, 90, "CMYK")), "indexed", "CMYK JPEG")
    buf = io.BytesIO()
    _rng_image(rng, 120, 90, "CMYK").save(buf, "TIFF")
    put("modes/cmyk.tif", buf.getvalue(), "indexed", "CMYK TIFF")
    pal = _rng_image(rng, 100, 80).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    put(
        "modes/palette_transparent.png",
        _png_bytes(pal, transparency=0),
        "indexed",
        "palette PNG, transparency",
    )
    rgba = _rng_image(rng, 100, 80, "RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((100, 80)))
    put("modes/rgba.png", _png_bytes(rgba), "indexed", "RGBA PNG")
    buf = io.BytesIO()
    rgba.save(buf, "WEBP")
    put("modes/rgba.webp", buf.getvalue(), "indexed", "RGBA WebP")
    put("modes/la.png", _png_bytes(_rng_image(rng, 64, 64, "LA")), "indexed", "grey + alpha PNG")
    put("modes/bilevel.png", _png_bytes(_rng_image(rng, 64, 64, "1")), "indexed", "1-bit PNG")
    buf = io.BytesIO()
    _rng_image(rng, 64, 48).save(buf, "BMP")
    put("modes/plain.bmp", buf.getvalue(), "indexed", "BMP")
    frames = [_rng_image(rng, 80, 60).convert("P") for _ in range(4)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0, transparency=0)
    put("modes/animated.gif", buf.getvalue(), "indexed", "animated GIF with transparency")
    buf = io.BytesIO()
    rgb_frames = [_rng_image(rng, 80, 60) for _ in range(4)]
    rgb_frames[0].save(buf, "WEBP", save_all=True, append_images=rgb_frames[1:], duration=100, loop=0)
    put("modes/animated.webp", buf.getvalue(), "indexed", "animated WebP")
    buf = io.BytesIO()
    rgb_frames[0].save(buf, "TIFF", save_all=True, append_images=rgb_frames[1:])
    put("modes/multipage.tif", buf.getvalue(), "indexed", "multi-page TIFF")
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        buf = io.BytesIO()
        _rng_image(rng, 128, 96).save(buf, "HEIF", quality=60)
        put("modes/photo.heic", buf.getvalue(), "indexed", "HEIC")
    except Exception:  # no HEIF encoder here: leave the entry out
        pass

    # EXIF with garbage or absurd values
    put("exif/orientation_99.jpg", exif_jpeg(rng, {0x0112: 99}), "indexed", "EXIF orientation 99")
    put("exif/orientation_6.jpg", exif_jpeg(rng, {0x0112: 6}), "indexed", "EXIF orientation 6 (rotated)")
    put(
        "exif/huge_values.jpg",
        exif_jpeg(
            rng,
            {0x0112: 65535, 0x0100: 2**32 - 1, 0x0101: 2**32 - 1},
            {0x9003: "9999:99:99 99:99:99", 0xA002: 2**32 - 1},
        ),
        "indexed",
        "EXIF with huge values and an impossible date",
    )
    put(
        "exif/garbage_date.jpg",
        exif_jpeg(rng, {0x0132: "\x00\xff garbage \x01"}, {0x9003: "0000:00:00 00:00:00"}),
        "indexed",
        "EXIF with garbage dates",
    )
    for k in range(3):
        put(
            f"exif/corrupt_{k}.jpg",
            exif_jpeg(
                rng, {0x0112: 3, 0x0132: "2020:01:02 03:04:05"}, {0x9003: "2020:01:02 03:04:05"}, corrupt=True
            ),
            "either",
            "EXIF block with random bytes flipped",
        )

    # extreme shapes
    put("shapes/one_pixel.png", _png_bytes(Image.new("RGB", (1, 1), (200, 30, 30))), "indexed", "1×1 PNG")
    put("shapes/one_pixel.jpg", _jpeg_bytes(Image.new("RGB", (1, 1), (30, 200, 30))), "indexed", "1×1 JPEG")
    put("shapes/tall_1x20000.png", _png_bytes(_rng_image(rng, 1, 20000)), "indexed", "1×20000 PNG")
    put("shapes/wide_20000x1.png", _png_bytes(_rng_image(rng, 20000, 1)), "indexed", "20000×1 PNG")
    put("shapes/tall_3x30000.jpg", _jpeg_bytes(_rng_image(rng, 3, 30000)), "indexed", "3×30000 JPEG")

    # names
    put("names/фото_日本語_😀.jpg", good_jpeg, "indexed", "unicode and emoji name")
    put("names/" + "long_" * 48 + ".jpg", good_jpeg, "indexed", "a 245-character name")
    put("names/line\nbreak.jpg", good_jpeg, "indexed", "a name with a newline")
    put("names/tab\tand\rcr.jpg", good_jpeg, "indexed", "a name with a tab and a carriage return")
    put("names/-rf --help.jpg", good_jpeg, "indexed", "a name that looks like options")
    put("names/quote'\"$(touch pwned)`x`;.jpg", good_jpeg, "indexed", "a name with shell metacharacters")
    put("names/back\\slash.jpg", good_jpeg, "indexed", "a name with a backslash")
    put("names/100%_under_score.jpg", good_jpeg, "indexed", "a name with LIKE wildcards")
    put("names/dir.jpg/inside.jpg", good_jpeg, "indexed", "a folder named like an image")
    put("names/" + "deep/" * 30 + "bottom.jpg", good_jpeg, "indexed", "30 folders deep")
    bad = os.fsdecode(b"names/latin1_caf\xe9.jpg")  # not UTF-8: surrogate-escaped when decoded
    try:
        (root / bad).write_bytes(good_jpeg)
        c.add(root / bad, "error", "a name whose bytes are not UTF-8")
    except (OSError, UnicodeEncodeError):
        pass
    put(".hidden/secret.jpg", good_jpeg, "absent", "inside a hidden folder")
    put("names/.hidden_file.jpg", good_jpeg, "absent", "hidden file")
    put("names/notes.txt", b"not a photo", "absent", "not an image name")

    # symlinks: loops, outside, dangling, devices
    (outside / "private.jpg").write_bytes(good_jpeg)
    (outside / "sub").mkdir(exist_ok=True)
    (outside / "sub" / "also_private.jpg").write_bytes(good_jpeg)
    links = root / "links"
    links.mkdir(exist_ok=True)
    (links / "inside.jpg").write_bytes(good_jpeg)
    c.add(links / "inside.jpg", "indexed", "ordinary file next to links")
    os.symlink("inside.jpg", links / "link_to_inside.jpg")
    c.add(links / "link_to_inside.jpg", "indexed", "symlink to a file inside the folder")
    os.symlink(os.path.relpath(outside / "private.jpg", links), links / "link_out.jpg")
    c.add(links / "link_out.jpg", "absent", "symlink to a file outside the folder")
    os.symlink(str(outside), links / "dir_out")
    c.add(links / "dir_out" / "private.jpg", "absent", "file reached through a symlink leading out")
    os.symlink("..", links / "loop_parent")
    os.symlink(".", links / "loop_self")
    c.add(links / "loop_parent" / "links" / "inside.jpg", "absent", "the same file through a loop")
    os.symlink("selfloop.jpg", links / "selfloop.jpg")
    c.add(links / "selfloop.jpg", "either", "a symlink pointing at itself")
    os.symlink("a_to_b.jpg", links / "b_to_a.jpg")
    os.symlink("b_to_a.jpg", links / "a_to_b.jpg")
    c.add(links / "a_to_b.jpg", "either", "two symlinks pointing at each other")
    c.add(links / "b_to_a.jpg", "either", "two symlinks pointing at each other")
    os.symlink("missing_target.jpg", links / "dangling.jpg")
    c.add(links / "dangling.jpg", "absent", "a dangling symlink")

    if with_special:
        os.symlink("/dev/zero", links / "dev_zero.jpg")
        c.add(links / "dev_zero.jpg", "absent", "a symlink to /dev/zero")
        os.symlink("/dev/urandom", root / "urandom.png")
        c.add(root / "urandom.png", "absent", "a symlink to /dev/urandom")
        fifo = root / "special" / "fifo.jpg"
        fifo.parent.mkdir(exist_ok=True)
        os.mkfifo(fifo)
        c.add(fifo, "absent", "a FIFO named .jpg (opening it would block)")
        # unreadable file and folder (only effective for a non-root reader)
        locked = put("locked/unreadable.jpg", good_jpeg, "denied", "chmod 000 file")
        os.chmod(locked, 0)
        ldir = root / "locked" / "closed_folder"
        ldir.mkdir()
        (ldir / "hidden_by_permissions.jpg").write_bytes(good_jpeg)
        c.add(ldir / "hidden_by_permissions.jpg", "denied", "file inside a chmod 000 folder")
        os.chmod(ldir, 0)
        xdir = root / "locked" / "list_only"
        xdir.mkdir()
        (xdir / "cannot_stat.jpg").write_bytes(good_jpeg)
        c.add(xdir / "cannot_stat.jpg", "denied", "file inside a folder without execute permission")
        os.chmod(xdir, 0o444)
    return c


def unlock(corpus: Corpus) -> None:
    """Give back permissions so the corpus can be deleted."""
    for dirpath, dirnames, _files in os.walk(corpus.root, followlinks=False):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
    for p in corpus.paths("denied"):
        if os.path.exists(p):
            os.chmod(p, 0o644)


if __name__ == "__main__":  # pragma: no cover
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    corpus = build_hostile_corpus(out)
    for path, expectation in sorted(corpus.expect.items()):
        print(f"{expectation:8} {corpus.notes[path]:45} {path!r}")
