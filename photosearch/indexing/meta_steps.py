"""The metadata pass: when, where and with what each photo was taken, into the catalog (``photo_meta``).

``MetaPass`` reads the photos the catalog lists as pending (``Catalog.meta_pending``: one file per content
hash with no metadata row, in online folders) with a separate cheap open — the file's header and EXIF/XMP
only, never its pixels (``PIL.Image.open`` is lazy; a PNG without EXIF before its pixels is not searched
for one) — assigns a place to a GPS position (``photosearch.places.geocode``, loaded on the first photo
with a position) and stores each batch at once. So the catalog is its own resume state, an existing library
is filled in without re-embedding anything, and new photos get their row soon after they are embedded.
Broken metadata never skips a photo: what can't be read is left empty, and a file that can't even be
opened gets an empty row (its file time, when there is one).

``MetaSteps`` is the indexing service's part that runs the pass in small batches, only when embedding has
nothing to do. ``photosearch index`` runs it after embedding (``photosearch.app.index``).

Privacy: positions and place names are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PIL import Image

from photosearch.indexing.state import ServiceState
from photosearch.library.imaging import photo_formats
from photosearch.places.metadata import PhotoMetadata, read_metadata
from photosearch.store.catalog import Catalog, FileRow
from photosearch.store.catalog_meta import MetaRow

log = logging.getLogger(__name__)

BATCH = 64  # photos per service step (each is a header read: ~1 ms for a JPEG)


def read_file_meta(path: str, mtime: float | None = None) -> PhotoMetadata:
    """The metadata of the photo at ``path`` from a header-only open; never raises."""
    try:
        with Image.open(path, formats=photo_formats()) as img:
            return read_metadata(img, mtime)
    except Exception as e:  # unreadable or gone: an empty row (with the file time), never a stop
        log.debug("metadata of %s unreadable: %s", path, type(e).__name__)
        return read_metadata(Image.new("L", (1, 1)), mtime)


class MetaPass:
    """Reads pending photos' metadata into the catalog (see the module docstring)."""

    def __init__(self, catalog: Catalog, *, places: bool = True) -> None:
        self.catalog = catalog
        self.places = places  # assign places to positions (off: the offline place data is missing)

    def row_for(self, f: FileRow) -> MetaRow:
        assert f.content_hash is not None
        md = read_file_meta(f.path, f.mtime_ns / 1e9 if f.mtime_ns else None)
        cc = region = city = None
        if self.places and md.latitude is not None and md.longitude is not None:
            try:
                from photosearch.places.geocode import locate

                place = locate(md.latitude, md.longitude)
                cc, region, city = place.country_code, place.region, place.city
            except Exception as e:  # the place data missing or failing: the position is still kept
                log.warning("places unavailable: %s", e)
                self.places = False
        return MetaRow(
            f.content_hash,
            md.taken_local,
            md.utc_offset_min,
            md.time_zone,
            md.time_source.value if md.time_source else None,
            md.make,
            md.model,
            md.lens,
            md.focal_length_mm,
            md.focal_length_35mm,
            md.f_number,
            md.exposure_s,
            md.iso,
            md.latitude,
            md.longitude,
            md.altitude_m,
            cc,
            region,
            city,
        )

    def read(self, files: Sequence[FileRow]) -> int:
        """Read and store the metadata of ``files`` (one transaction). Returns how many were stored."""
        rows = [self.row_for(f) for f in files if f.content_hash]
        self.catalog.put_metas(rows)
        return len(rows)

    def run(self, batch: int = BATCH) -> int:
        """Read every pending photo; returns how many. Stores batch by batch (an interrupted pass loses at
        most one batch)."""
        self.catalog.delete_orphan_metas()
        done = 0
        while True:
            pending = self.catalog.meta_pending(limit=batch)
            if not pending:
                return done
            done += self.read(pending)


class MetaSteps(ServiceState):
    """The service's metadata step: a small batch at a time, only when embedding has nothing to do."""

    meta_pass: MetaPass | None = None

    def _meta_step(self) -> bool:
        """Read the metadata of the next few pending photos. False when there are none."""
        if self.meta_pass is None:
            self.meta_pass = MetaPass(self.catalog)
            with self._work_lock:  # once a session: rows of contents no file has any more
                self.catalog.delete_orphan_metas()
        with self._work_lock:
            pending = self.catalog.meta_pending(limit=BATCH)
        if not pending:
            return False
        rows = [self.meta_pass.row_for(f) for f in pending]  # file reads outside the lock
        with self._work_lock:
            self.catalog.put_metas(rows)
        log.debug("metadata read for %d photos", len(rows))
        return True
