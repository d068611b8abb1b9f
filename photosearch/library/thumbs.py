"""Thumbnail cache: ~320 px JPEGs keyed by content hash, made from the image already decoded for the
encoder (no second decode); made on demand when missing; orphans cleaned."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

from PIL import Image

from photosearch.library.imaging import open_image
from photosearch.store.catalog import Catalog

log = logging.getLogger(__name__)

THUMB_EDGE = 320
QUALITY = 85


def mean_rgb(image: Image.Image) -> int:
    """The image's mean colour as 0xRRGGBB: the placeholder the grid paints while the thumbnail loads."""
    r, g, b = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return (int(r) << 16) | (int(g) << 8) | int(b)


class ThumbnailCache:
    def __init__(self, directory: str | Path, edge: int = THUMB_EDGE) -> None:
        self.directory = Path(directory)
        self.edge = edge

    def path_for(self, content_hash: str) -> Path:
        return self.directory / content_hash[:2] / f"{content_hash}.jpg"

    def exists(self, content_hash: str) -> bool:
        return self.path_for(content_hash).is_file()

    def render(self, image: Image.Image) -> Image.Image:
        thumb = image.copy() if max(image.size) > self.edge else image
        if max(thumb.size) > self.edge:
            thumb.thumbnail((self.edge, self.edge), Image.Resampling.BICUBIC, reducing_gap=2.0)
        return thumb

    def store(self, content_hash: str, image: Image.Image) -> tuple[int, int, int]:
        """Write the thumbnail atomically; returns (width, height, bytes)."""
        return self._write(content_hash, self.render(image))

    def _write(self, content_hash: str, thumb: Image.Image) -> tuple[int, int, int]:
        dest = self.path_for(content_hash)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # a temp name unique to this write (two threads or processes may write the same thumbnail at
        # once), in the same folder, then an atomic rename: readers see the old file or the whole new one
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                thumb.convert("RGB").save(f, "JPEG", quality=QUALITY, optimize=False)
                size = f.tell()
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return thumb.size[0], thumb.size[1], size

    def ensure(self, content_hash: str, source_path: str, catalog: Catalog | None = None) -> Path:
        """The thumbnail's path, making it from the source file when missing (raises UnreadableImage)."""
        dest = self.path_for(content_hash)
        if dest.is_file():
            return dest
        decoded = open_image(source_path, draft_short_side=self.edge)
        thumb = self.render(decoded.image)
        w, h, n = self._write(content_hash, thumb)
        if catalog is not None:
            with contextlib.suppress(Exception):
                catalog.put_thumbnail(content_hash, w, h, n, mean_rgb(thumb))
        return dest

    def clean_orphans(self, catalog: Catalog) -> int:
        """Remove thumbnails whose content no file refers to any more."""
        orphans = catalog.orphan_thumbnails()
        for h in orphans:
            with contextlib.suppress(OSError):
                self.path_for(h).unlink()
        catalog.delete_thumbnails(orphans)
        return len(orphans)
