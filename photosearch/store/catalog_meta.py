"""What each photo's metadata says (a part of :class:`photosearch.store.catalog.Catalog`).

One row per content hash in ``photo_meta`` (a moved or renamed photo keeps its row; copies share one): the
taken time as local wall-clock text with its UTC offset, zone and source, camera make/model, lens, focal
length, aperture, shutter, ISO, GPS position and altitude, and the place the position was assigned (country
code, region, city — empty without a position). A photo whose metadata was read and found empty still has
a row (all fields empty): the row is the metadata pass's own resume state.

Storage knows nothing of EXIF or places: rows arrive as :class:`MetaRow` (``photosearch.indexing.meta_steps``
fills them) and leave as rows; matching a query's words happens above (``photosearch.app.understand``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import astuple, dataclass, fields

from photosearch.store.schema import _FILE_COLS, CatalogBase, FileRow, _chunks, _file, _visible_where


@dataclass(frozen=True)
class MetaRow:
    content_hash: str
    taken_local: str | None = None  # "2025-07-14T18:03:11", the photo's local wall-clock time
    utc_offset_min: int | None = None
    time_zone: str | None = None
    time_source: str | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    focal_mm: float | None = None
    focal_35mm: float | None = None
    f_number: float | None = None
    exposure_s: float | None = None
    iso: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    altitude_m: float | None = None
    country_code: str | None = None
    region: str | None = None
    city: str | None = None

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


META_COLS = [f.name for f in fields(MetaRow)]
# the places and cameras in photo_meta, kept as one JSON value in the ``meta`` table by the writer (a search reads
# one row instead of scanning the table's indexes: the query parser's words at cold start)
VOCAB_KEY = "photo_meta.vocabulary"
# moved by put_metas in the transaction that writes (or replaces) a photo's place: the place list's stamp
PLACES_KEY = "photo_meta.places_version"
_SELECT = f"SELECT {', '.join('m.' + c for c in META_COLS)} FROM photo_meta m"


class PhotoMetas(CatalogBase):
    def put_metas(self, rows: Sequence[MetaRow]) -> None:
        """Store (replace) the metadata of these photos, one transaction."""
        if not rows:
            return
        now = time.time()
        marks = ",".join("?" * (len(META_COLS) + 1))
        with self.transaction() as c:
            placed = any(r.country_code for r in rows) or self._have_places(
                [r.content_hash for r in rows if not r.country_code]
            )
            c.executemany(
                f"INSERT OR REPLACE INTO photo_meta({', '.join(META_COLS)}, read_at) VALUES ({marks})",
                [(*astuple(r), now) for r in rows],
            )
            places, cameras = self._stored_vocabulary() or self._scan_vocabulary()
            places |= {(r.country_code, r.region, r.city) for r in rows if r.country_code}
            cameras |= {(r.make, r.model) for r in rows if r.make or r.model}
            self._store_vocabulary(places, cameras)
            if placed:  # a place written, or one replaced: the place list changes (places_stamp)
                c.execute(
                    "INSERT INTO meta(key, value) VALUES (?, '1') "
                    "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                    (PLACES_KEY,),
                )

    def _have_places(self, hashes: Sequence[str]) -> bool:
        """Whether any of these photos has a place stored (primary-key lookups)."""
        return any(
            self._q(
                f"SELECT 1 FROM photo_meta WHERE content_hash IN ({','.join('?' * len(chunk))}) "
                "AND country_code IS NOT NULL LIMIT 1",
                chunk,
            )
            for chunk in _chunks(list(hashes), 500)
        )

    def places_stamp(self) -> tuple[str | None, str | None]:
        """A cheap stamp of the place list (``photosearch.app.places.list_places``): the counter ``put_metas``
        moves when it writes or replaces a photo's place, and the folders with their states. Photos read
        without a place leave it as it is. What it does not see: files of placed photos appearing or going
        (a copy indexed, a photo deleted or edited) — the catalog's ``change_counter`` does."""
        row = self._q(
            "SELECT (SELECT value FROM meta WHERE key = ?), "
            "(SELECT group_concat(id || ':' || state) FROM (SELECT id, state FROM folders ORDER BY id))",
            (PLACES_KEY,),
        )[0]
        return row[0], row[1]

    def _scan_vocabulary(self) -> tuple[set[tuple], set[tuple]]:
        places = set(
            self._q(
                "SELECT DISTINCT country_code, region, city FROM photo_meta WHERE country_code IS NOT NULL"
            )
        )
        cameras = set(
            self._q("SELECT DISTINCT make, model FROM photo_meta WHERE make IS NOT NULL OR model IS NOT NULL")
        )
        return places, cameras

    def _stored_vocabulary(self) -> tuple[set[tuple], set[tuple]] | None:
        rows = self._q("SELECT value FROM meta WHERE key = ?", (VOCAB_KEY,))
        if not rows:
            return None
        try:
            d = json.loads(rows[0][0])
            return {tuple(x) for x in d["places"]}, {tuple(x) for x in d["cameras"]}
        except (ValueError, KeyError, TypeError):
            return None

    def _store_vocabulary(self, places: set[tuple], cameras: set[tuple]) -> None:
        value = json.dumps(
            {"places": sorted(places, key=str), "cameras": sorted(cameras, key=str)}, ensure_ascii=False
        )
        self._x(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (VOCAB_KEY, value),
        )

    def meta_vocabulary(
        self,
    ) -> tuple[list[tuple[str, str | None, str | None]], list[tuple[str | None, str | None]]]:
        """(places, cameras) of the photos' metadata: (country code, region, city) and (make, model) — the
        stored summary when there is one, else a scan."""
        places, cameras = self._stored_vocabulary() or self._scan_vocabulary()
        return sorted(places, key=str), sorted(cameras, key=str)

    def meta_for_hash(self, content_hash: str) -> MetaRow | None:
        rows = self._q(f"{_SELECT} WHERE m.content_hash=?", (content_hash,))
        return MetaRow(*rows[0]) if rows else None

    def metas_for_hashes(self, hashes: Sequence[str]) -> dict[str, MetaRow]:
        out: dict[str, MetaRow] = {}
        for chunk in _chunks(list(dict.fromkeys(hashes)), 500):
            for r in self._q(f"{_SELECT} WHERE m.content_hash IN ({','.join('?' * len(chunk))})", chunk):
                out[r[0]] = MetaRow(*r)
        return out

    def meta_pending(self, limit: int | None = None) -> list[FileRow]:
        """One indexed file per content hash whose metadata is not read yet, in online folders (the
        metadata pass's queue: a photo leaves it when its row is stored)."""
        sql = (
            f"SELECT {_FILE_COLS} FROM files f WHERE f.id IN ("
            "SELECT MIN(g.id) FROM files g JOIN folders d ON d.id = g.folder_id "
            "WHERE g.status='indexed' AND g.content_hash IS NOT NULL AND d.state='online' "
            "AND NOT EXISTS (SELECT 1 FROM photo_meta m WHERE m.content_hash = g.content_hash) "
            "GROUP BY g.content_hash) ORDER BY f.id"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [_file(r) for r in self._q(sql)]

    def meta_counts(self) -> tuple[int, int]:
        """(photos whose metadata is read, photos in all) — distinct content hashes of indexed files."""
        row = self._q(
            "SELECT COUNT(DISTINCT g.content_hash), COUNT(DISTINCT m.content_hash) FROM files g "
            "LEFT JOIN photo_meta m ON m.content_hash = g.content_hash "
            "WHERE g.status='indexed' AND g.content_hash IS NOT NULL"
        )[0]
        return int(row[1]), int(row[0])

    def delete_orphan_metas(self) -> int:
        """Drop rows whose content no file has any more."""
        with self.transaction() as c:
            cur = c.execute(
                "DELETE FROM photo_meta WHERE NOT EXISTS "
                "(SELECT 1 FROM files f WHERE f.content_hash = photo_meta.content_hash)"
            )
            gone = int(cur.rowcount or 0)
            if gone or self._stored_vocabulary() is None:
                self._store_vocabulary(*self._scan_vocabulary())
            return gone

    # -- what the library holds (the query parser's vocabulary, the place list) -------------------------
    def place_counts(self) -> list[tuple[str, str | None, str | None, int]]:
        """(country code, region, city, visible photos) for every place the visible photos are in."""
        where, args = _visible_where(None, None, None, None, None)
        return [
            (str(cc), rg, city, int(n))
            for cc, rg, city, n in self._q(
                "SELECT m.country_code, m.region, m.city, COUNT(*) FROM files f "
                "JOIN folders d ON d.id = f.folder_id JOIN photo_meta m ON m.content_hash = f.content_hash "
                f"WHERE {where} AND m.country_code IS NOT NULL GROUP BY 1, 2, 3",
                args,
            )
        ]

    def camera_counts(self) -> list[tuple[str | None, str | None, int]]:
        """(make, model, visible photos) of every camera the visible photos were taken with."""
        where, args = _visible_where(None, None, None, None, None)
        return [
            (mk, md, int(n))
            for mk, md, n in self._q(
                "SELECT m.make, m.model, COUNT(*) FROM files f "
                "JOIN folders d ON d.id = f.folder_id JOIN photo_meta m ON m.content_hash = f.content_hash "
                f"WHERE {where} AND (m.make IS NOT NULL OR m.model IS NOT NULL) GROUP BY 1, 2",
                args,
            )
        ]

    def meta_places(self) -> list[tuple[str, str | None, str | None]]:
        """(country code, region, city) of every place in the table (an index-only scan: the query parser's
        words; includes places of photos in offline folders)."""
        return [
            (str(cc), rg, city)
            for cc, rg, city in self._q(
                "SELECT DISTINCT country_code, region, city FROM photo_meta WHERE country_code IS NOT NULL"
            )
        ]

    def meta_cameras(self) -> list[tuple[str | None, str | None]]:
        """(make, model) of every camera in the table (an index-only scan)."""
        return [
            (mk, md)
            for mk, md in self._q(
                "SELECT DISTINCT make, model FROM photo_meta WHERE make IS NOT NULL OR model IS NOT NULL"
            )
        ]

    def visible_meta_unread(self) -> int:
        """Visible files whose metadata is not read yet."""
        where, args = _visible_where(None, None, None, None, None)
        return int(
            self._q(
                f"SELECT COUNT(*) FROM files f JOIN folders d ON d.id = f.folder_id WHERE {where} AND NOT EXISTS "
                "(SELECT 1 FROM photo_meta m WHERE m.content_hash = f.content_hash)",
                args,
            )[0][0]
        )

    def visible_with_meta(self) -> list[tuple[FileRow, MetaRow | None]]:
        """Every visible file with its metadata row (None before the metadata pass reached it)."""
        where, args = _visible_where(None, None, None, None, None)
        cols = ", ".join("f." + c.strip() for c in _FILE_COLS.split(","))
        mcols = ", ".join("m." + c for c in META_COLS)
        n = len(_FILE_COLS.split(","))
        out: list[tuple[FileRow, MetaRow | None]] = []
        for r in self._q(
            f"SELECT {cols}, {mcols} FROM files f JOIN folders d ON d.id = f.folder_id "
            f"LEFT JOIN photo_meta m ON m.content_hash = f.content_hash WHERE {where} ORDER BY f.id",
            args,
        ):
            out.append((_file(r[:n]), MetaRow(*r[n:]) if r[n] is not None else None))
        return out

    # -- filter resolution (plain SQL over the indexes; matching rules live above) -------------------------
    def hashes_at_place(
        self, country_code: str, region: str | None = None, city: str | None = None
    ) -> set[str]:
        """Content hashes of photos with a GPS position assigned to this country (and region, or city)."""
        sql = "SELECT content_hash FROM photo_meta WHERE country_code=? AND latitude IS NOT NULL"
        args: list[object] = [country_code]
        if region is not None:
            sql, args = sql + " AND region=?", [*args, region]
        if city is not None:
            sql, args = sql + " AND city=?", [*args, city]
        return {r[0] for r in self._q(sql, args)}

    def hashes_of_camera(self, make: str | None, model: str | None) -> set[str]:
        return {
            r[0]
            for r in self._q(
                "SELECT content_hash FROM photo_meta WHERE make IS ? AND model IS ?", (make, model)
            )
        }

    def taken_times(
        self, first: str | None = None, before: str | None = None, months: Sequence[int] | None = None
    ) -> list[tuple[str, str, float | None]]:
        """(content hash, local taken time, latitude) of photos with a taken time in [first, before) (ISO text,
        local wall clock; either bound may be None) and, given ``months``, in one of those months."""
        sql = "SELECT content_hash, taken_local, latitude FROM photo_meta WHERE taken_local IS NOT NULL"
        args: list[object] = []
        if first is not None:
            sql, args = sql + " AND taken_local >= ?", [*args, first]
        if before is not None:
            sql, args = sql + " AND taken_local < ?", [*args, before]
        if months is not None:
            marks = ",".join("?" * len(months))
            sql, args = (
                sql + f" AND CAST(substr(taken_local, 6, 2) AS INTEGER) IN ({marks})",
                [*args, *months],
            )
        return [(h, t, lat) for h, t, lat in self._q(sql, args)]

    def files_without_taken_meta(self) -> list[tuple[str, float | None, int]]:
        """(content hash, catalog date taken, mtime_ns) of indexed files whose metadata has no taken time."""
        (missing_time,) = self._q("SELECT COUNT(*) FROM photo_meta WHERE taken_local IS NULL")[0]
        (rows,) = self._q("SELECT COUNT(*) FROM photo_meta")[0]
        (contents,) = self._q(
            "SELECT COUNT(DISTINCT content_hash) FROM files WHERE status='indexed' AND content_hash IS NOT NULL"
        )[0]
        if not missing_time and rows == contents:  # every content has a row with a time (no orphans): none
            return []
        return [
            (h, t, int(m or 0))
            for h, t, m in self._q(
                "SELECT f.content_hash, f.taken_at, f.mtime_ns FROM files f WHERE f.status='indexed' "
                "AND f.content_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM photo_meta m "
                "WHERE m.content_hash = f.content_hash AND m.taken_local IS NOT NULL)"
            )
        ]
