"""A date filter uses the date a photo is shown and sorted under: when it was taken, else its file's time —
a photo without a date in its metadata is not lost from every date range (browse, timeline and filter
agree)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from photosearch.search.results import Filters
from photosearch.store.catalog import Catalog


def _ts(y: int, m: int, d: int) -> float:
    return dt.datetime(y, m, d, 12, tzinfo=dt.UTC).timestamp()


def test_a_photo_without_a_taken_date_is_filtered_by_its_file_time(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite3", create=True) as cat:
        folder = cat.add_folder(str(tmp_path))
        rows = {}
        for name, taken, mtime in (
            ("exif.jpg", _ts(2020, 5, 1), _ts(2024, 1, 1)),
            ("plain.png", None, _ts(2020, 6, 1)),
        ):
            fid = cat.upsert_file(
                folder.id, str(tmp_path / name), 1, int(mtime * 1e9), content_hash=name, status="pending"
            )
            cat.set_file_indexed(fid, fmt="jpeg", width=4, height=3, taken_at=taken)
            rows[name] = cat.file_by_path(str(tmp_path / name))
        in_2020 = Filters(date_from=_ts(2020, 1, 1), date_to=_ts(2020, 12, 31))
        got, total = cat.browse_visible(date_from=in_2020.date_from, date_to=in_2020.date_to)
        assert {Path(r.path).name for r in got} == {"exif.jpg", "plain.png"} and total == 2
        assert all(in_2020.accepts(r) for r in rows.values() if r is not None)
        in_2024 = Filters(date_from=_ts(2024, 1, 1))
        got, _ = cat.browse_visible(date_from=in_2024.date_from)
        assert got == []  # the photo with a date taken is judged by that date, not its file's
        assert not any(in_2024.accepts(r) for r in rows.values() if r is not None)
