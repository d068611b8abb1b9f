"""The metadata pass and its catalog table: an older catalog gains ``photo_meta``; every format's fields are
read from a header-only open (pixels never decoded) exactly as written; broken metadata and unreadable files
still get their row (never a skipped photo); an existing library is filled by the running service without
re-embedding anything; rows follow content, not paths."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from PIL import ImageFile, TiffImagePlugin

import photosearch.store.catalog as catalog_mod
from photosearch.indexing.meta_steps import MetaPass, read_file_meta
from photosearch.store.catalog import VERSION, Catalog, FileRow
from tests.support.exif_photos import make_exif, make_place_library, write
from tests.support.library import prepare_library
from tests.support.service import Running, wait_until

FORMATS = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif", "WEBP": "webp", "HEIF": "heic"}


def test_an_older_catalog_gains_the_metadata_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(catalog_mod, "VERSION", 2)  # the last version without photo_meta
        Catalog(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    c = Catalog(path)
    assert c.schema_version == VERSION
    assert "photo_meta" in {r[0] for r in c._q("SELECT name FROM sqlite_master WHERE type='table'")}
    c.close()


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize(
    ("gps", "offset"),
    [((60.1699, 24.9384), "+02:00"), ((-33.8688, 151.2093), None), ((40.7128, -74.006), "-04:00")],
)
def test_header_only_read_of_every_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, gps: tuple[float, float], offset: str | None
) -> None:
    path = write(tmp_path / f"p.{FORMATS[fmt]}", fmt, make_exif(gps=gps, offset=offset, altitude=-12.5))

    def no_decode(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    if fmt == "HEIF":  # pillow-heif's image class decodes through its own load
        import pillow_heif.as_plugin as heif_plugin

        monkeypatch.setattr(heif_plugin._LibHeifImageFile, "load", no_decode)
    md = read_file_meta(str(path))
    assert (md.latitude, md.longitude) == pytest.approx(gps, abs=1e-6)
    assert md.altitude_m == pytest.approx(-12.5)
    assert (md.make, md.model, md.lens) == ("NIKON CORPORATION", "NIKON D750", "24.0-120.0 mm f/4.0")
    assert (md.focal_length_mm, md.f_number, md.exposure_s, md.iso) == (35.0, 5.6, 1 / 250, 400)
    assert md.taken_local == "2025-07-14T18:03:11"
    if offset:
        assert (
            md.utc_offset_min == (120 if offset == "+02:00" else -240)
            and md.time_source.value == "exif+offset"
        )
    else:  # Sydney in July: AEST, from the zone of the position
        assert (md.utc_offset_min, md.time_zone) == (600, "Australia/Sydney")


def test_broken_metadata_and_broken_files_never_skip_a_photo(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    good = write(folder / "good.jpg", "JPEG", make_exif(gps=(43.7629, 11.2650)))
    broken_gps = make_exif()
    broken_gps.get_ifd(0x8825).update(
        {1: "Q", 2: (TiffImagePlugin.IFDRational(1, 0),) * 3, 3: "E", 4: (1, 2, 3)}
    )
    write(folder / "broken_gps.jpg", "JPEG", broken_gps)
    data = good.read_bytes()
    (folder / "truncated_exif.jpg").write_bytes(data[:2] + data[2:60] + data[200:])
    (folder / "not_an_image.jpg").write_bytes(b"this is not a photo at all")
    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.add_folder(str(folder)).id
    files = [_indexed_row(cat, fid, p, f"h{i}") for i, p in enumerate(sorted(folder.iterdir()))]
    assert MetaPass(cat).read(files) == 4
    rows = cat.metas_for_hashes([f.content_hash for f in files])
    assert len(rows) == 4  # every photo has its row
    by = {Path(f.path).name: rows[f.content_hash] for f in files}
    assert by["good.jpg"].city == "Florence" and by["good.jpg"].country_code == "IT"
    assert by["broken_gps.jpg"].latitude is None and by["broken_gps.jpg"].make == "NIKON CORPORATION"
    assert by["not_an_image.jpg"].time_source == "file-time"  # the file time at worst
    assert cat.meta_pending() == []
    cat.close()


def _indexed_row(cat: Catalog, folder_id: int, path: Path, h: str) -> FileRow:
    st = path.stat()
    with cat.transaction() as c:
        c.execute(
            "INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, status, updated_at) "
            "VALUES (?,?,?,?,?,'indexed',0)",
            (folder_id, str(path), st.st_size, st.st_mtime_ns, h),
        )
    return next(f for f in cat.all_files("indexed") if f.path == str(path))


def test_an_existing_library_is_filled_in_without_re_embedding(shapes_model: Path, tmp_path: Path) -> None:
    from photosearch.library.library import Library

    make_place_library(tmp_path / "photos")
    paths = prepare_library(tmp_path / "data", model=shapes_model, photos=tmp_path / "photos", index=True)
    lib = Library(paths, write=True, purpose="test")
    try:
        assert lib.catalog.meta_counts() == (0, 17)  # indexed before this pass existed
        embeddings = lib.catalog._q("SELECT COUNT(*), MAX(id) FROM embeddings")[0]
        with Running(lib, watch=False) as svc:
            wait_until(lambda: lib.catalog.meta_counts() == (17, 17), 30, "metadata of every photo")
            assert svc.encoded == 0
        assert lib.catalog._q("SELECT COUNT(*), MAX(id) FROM embeddings")[0] == embeddings
        # a moved photo keeps its row (per content): nothing pending after the move is scanned
        src = tmp_path / "photos" / "helsinki_cathedral.jpg"
        (tmp_path / "photos" / "moved").mkdir()
        shutil.move(src, tmp_path / "photos" / "moved" / src.name)
        with Running(lib, watch=False) as svc:
            svc.request_scan(None)
            wait_until(lambda: svc.idle, 30, "the scan")
            assert svc.encoded == 0
        assert lib.catalog.meta_pending() == [] and lib.catalog.meta_counts() == (17, 17)
    finally:
        lib.close()


def test_the_stored_vocabulary_follows_puts_and_removals(tmp_path: Path) -> None:
    from photosearch.store.catalog_meta import MetaRow

    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.add_folder(str(tmp_path)).id
    a = _indexed_row(cat, fid, write(tmp_path / "a.jpg", "JPEG", None), "ha")
    _indexed_row(cat, fid, write(tmp_path / "b.jpg", "JPEG", None), "hb")
    cat.put_metas(
        [MetaRow("ha", country_code="IT", region="Tuscany", city="Florence", make="Apple", model="iPhone")]
    )
    cat.put_metas([MetaRow("hb", country_code="FI", region="Uusimaa", city="Helsinki")])
    assert cat.meta_vocabulary() == (
        [("FI", "Uusimaa", "Helsinki"), ("IT", "Tuscany", "Florence")],
        [("Apple", "iPhone")],
    )
    assert cat.meta_vocabulary() == (sorted(cat.meta_places(), key=str), cat.meta_cameras())  # = a scan
    with cat.transaction() as c:
        c.execute("DELETE FROM files WHERE id=?", (a.id,))
    assert cat.delete_orphan_metas() == 1
    assert cat.meta_vocabulary() == ([("FI", "Uusimaa", "Helsinki")], [])
    cat.close()


def test_the_place_stamp_moves_with_places_and_folders_only(tmp_path: Path) -> None:
    """``places_stamp`` moves when a place is written or replaced (by any connection) or a folder is added,
    removed or goes offline — not when photos without a place are read, nor with other writes."""
    from photosearch.store.catalog_meta import MetaRow

    cat = Catalog(tmp_path / "c.sqlite3")
    fid = cat.add_folder(str(tmp_path)).id
    for h in ("ha", "hb", "hc"):
        _indexed_row(cat, fid, write(tmp_path / f"{h}.jpg", "JPEG", None), h)
    s0 = cat.places_stamp()
    cat.put_metas([MetaRow("ha", make="Apple"), MetaRow("hb")])  # read, no place
    cat.set_thumbnail_colour("ha", 0x808080)
    cat.set_folder_scanned(fid)
    assert cat.places_stamp() == s0
    cat.put_metas([MetaRow("hc", latitude=43.7, longitude=11.2, country_code="IT", city="Florence")])
    s1 = cat.places_stamp()
    assert s1 != s0
    cat.put_metas([MetaRow("hb")])  # read again, still no place
    assert cat.places_stamp() == s1
    other = Catalog(tmp_path / "c.sqlite3")  # another process: its commit is seen
    try:
        other.put_metas([MetaRow("hc")])  # the place is gone (replaced by a row without one)
    finally:
        other.close()
    s2 = cat.places_stamp()
    assert s2 != s1
    cat.set_folder_state(fid, "offline")
    assert cat.places_stamp() != s2
    cat.close()
