"""Two different photographs scanned on a flatbed (each print in the middle of the white scanner bed, saved as
uncompressed TIFF or BMP, as scanning software does) are two photos, not copies of one. The content hash
read only the file's size and its first and last 64 KiB: for uncompressed files of one size those are the
same white rows of the bed, so the second scan was taken for a copy of the first — it shared the first's
embedding and thumbnail (a search for what it shows never found it) and status called it a copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.library.scan import content_hash
from tests.photos import sample_photo
from tests.reliability._util import install_model


def _scan_of(name: str, path: Path, fmt: str) -> Path:
    bed = Image.new("RGB", (1700, 1200), (250, 250, 248))  # the bed around a print, 150 dpi A4-ish
    photo = sample_photo(name).resize((600, 450))
    bed.paste(photo, ((1700 - 600) // 2, (1200 - 450) // 2))
    bed.save(path, fmt)  # uncompressed, as scanners write TIFF and BMP
    return path


@pytest.mark.parametrize(("fmt", "ext"), [("TIFF", "tif"), ("BMP", "bmp")])
def test_two_scanned_prints_are_two_photos(
    tmp_path: Path, data_dir: Path, tiny_model: Path, fmt: str, ext: str
) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    a = _scan_of("astronaut", folder / f"scan_001.{ext}", fmt)
    b = _scan_of("coffee", folder / f"scan_002.{ext}", fmt)
    assert a.stat().st_size == b.stat().st_size and a.read_bytes() != b.read_bytes()
    assert content_hash(str(a)) != content_hash(str(b))

    install_model(data_dir, tiny_model)
    with Library(Paths.resolve(data_dir), write=True) as lib:
        lib.set_active_model(lib.installed_models()[0].id)
        lib.add_folder(folder)
        list(Indexer(lib).run())
        cat = lib.catalog
        rows = cat.all_files("indexed")
        assert len(rows) == 2 and rows[0].content_hash != rows[1].content_hash
        assert cat.count_embeddings(lib.active_model_id() or "") == 2


def test_a_real_copy_still_has_the_same_hash(tmp_path: Path) -> None:
    a = _scan_of("astronaut", tmp_path / "a.tif", "TIFF")
    b = tmp_path / "b.tif"
    b.write_bytes(a.read_bytes())
    assert content_hash(str(a)) == content_hash(str(b)) == content_hash(str(b), b.stat().st_size)


def test_scans_merged_by_an_older_catalog_are_told_apart_at_the_next_scan(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalog made before TIFF and BMP were hashed whole: the merged scans are hashed again once (and a
    scan that shares its hash with no other file keeps it: nothing re-embedded for nothing)."""
    from photosearch.library import scan

    folder = tmp_path / "scans"
    folder.mkdir()
    a = _scan_of("astronaut", folder / "scan_001.tif", "TIFF")
    _scan_of("coffee", folder / "scan_002.tif", "TIFF")
    alone = _scan_of("chelsea", folder / "other_size.tif", "TIFF")
    Image.open(alone).crop((0, 0, 1600, 1200)).save(alone, "TIFF")  # another size: never merged
    copy = folder / "copy_of_001.tif"
    copy.write_bytes(a.read_bytes())

    install_model(data_dir, tiny_model)
    with Library(Paths.resolve(data_dir), write=True) as lib:
        lib.set_active_model(lib.installed_models()[0].id)
        model = lib.active_model_id() or ""
        lib.add_folder(folder)
        with monkeypatch.context() as m:  # as an older PhotoSearch hashed them: head and tail only
            m.setattr(scan, "WHOLE_HASH_SUFFIXES", frozenset())
            list(Indexer(lib).run())
            lib.catalog.set_meta("whole_hash_checked:1", None)  # an older catalog has no such mark
        cat = lib.catalog
        by_name = {Path(f.path).name: f for f in cat.all_files("indexed")}
        assert len({f.content_hash for f in by_name.values()}) == 2  # the three same-size scans merged
        alone_hash = by_name["other_size.tif"].content_hash

        list(Indexer(lib).run())
        by_name = {Path(f.path).name: f for f in cat.all_files("indexed")}
        assert len(by_name) == 4
        assert by_name["scan_001.tif"].content_hash == by_name["copy_of_001.tif"].content_hash
        assert by_name["scan_001.tif"].content_hash != by_name["scan_002.tif"].content_hash
        assert by_name["other_size.tif"].content_hash == alone_hash  # not hashed again
        assert cat.count_embeddings(model) == 3
        assert cat.get_meta("whole_hash_checked:1") == "1"


def test_a_huge_tiff_is_hashed_from_samples_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TIFF of gigabytes (a GeoTIFF map, a giant scan; refused from its header when decoded) is not read
    whole by the scan: 64 samples of 64 KiB."""
    from photosearch.library import scan

    big = tmp_path / "map.tif"
    with open(big, "wb") as f:
        f.write(b"II*\x00" + b"\x00" * 60)
        f.truncate(1 << 30)  # sparse: 1 GiB
    read = [0]
    real_open = open

    class Counting:
        def __init__(self, f):  # type: ignore[no-untyped-def]
            self.f = f

        def read(self, n: int = -1) -> bytes:
            b = self.f.read(n)
            read[0] += len(b)
            return b

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(self.f, name)

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

    monkeypatch.setattr(scan, "open", lambda p, mode="r": Counting(real_open(p, mode)), raising=False)
    h = content_hash(str(big))
    assert read[0] <= scan.WHOLE_HASH_SAMPLES * scan.HASH_BLOCK
    with open(big, "r+b") as f:  # another picture in the middle (20 MB: wider than the samples' spacing)
        f.seek(1 << 29)
        f.write(b"\x01" * 20_000_000)
    assert content_hash(str(big)) != h
