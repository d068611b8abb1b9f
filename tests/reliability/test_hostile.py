"""Hostile files: the corpus indexes to completion, every file indexed or listed with a reason; work per
file is bounded (declared-size cap, aspect precrop, header reads, a time budget); symlinks stay inside."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from photosearch.config import Paths
from photosearch.errors import UnreadableImage
from photosearch.library.imaging import open_image
from photosearch.library.scan import printable_path, walk
from photosearch.store.catalog import Catalog
from tests.hostile import build_hostile_corpus, png_bomb
from tests.reliability._util import install_model, make_photos, run_cli


def _stored(path: str) -> str:
    return printable_path(os.path.normpath(path))


def check_corpus_outcome(corpus, data_dir: Path, *, as_root: bool, user: int | None = None) -> dict[str, int]:
    """Every corpus entry ended as expected; returns counts. Shared with the unprivileged-user test."""
    status = run_cli(data_dir, "status", "--json", user=user)
    assert status.returncode == 0, status.stderr
    skipped = {s["path"]: s["reason"] for s in json.loads(status.stdout)["skipped"]}
    with Catalog(Paths.resolve(data_dir).catalog) as cat:
        rows = {f.path: f for f in cat.all_files()}
        gui_list = {f.path: f.error for f in cat.errors()}  # what the GUI's skipped list shows
    assert gui_list == skipped
    assert all(reason and reason.strip() for reason in skipped.values()), "every skipped file has a reason"
    problems = []
    for path, expectation in corpus.expect.items():
        stored = _stored(path)
        row = rows.get(stored)
        state = None if row is None else row.status
        if expectation == "denied":
            expectation = "indexed" if as_root else "error"
            # inside a folder that cannot be listed, the folder is what is listed with the reason
            for parent in Path(path).parents:
                if skipped.get(_stored(str(parent)), "").startswith("cannot list folder"):
                    stored, row = _stored(str(parent)), rows.get(_stored(str(parent)))
                    state = None if row is None else row.status
                    break
        ok = {
            "indexed": state == "indexed",
            "error": state == "error" and stored in skipped,
            "either": state == "indexed" or (state == "error" and stored in skipped),
            "absent": row is None,
        }[expectation]
        if not ok:
            problems.append(
                f"{corpus.notes[path]} ({path!r}): expected {expectation}, got {state} "
                f"{skipped.get(stored, '')}"
            )
    # nothing from outside the added folder, nothing left pending
    outside = [p for p in rows if not p.startswith(str(corpus.root) + os.sep)]
    assert not outside, f"indexed outside the added folder: {outside}"
    assert not [p for p, r in rows.items() if r.status == "pending"], "files left pending"
    assert not problems, "\n".join(problems)
    return {"indexed": sum(1 for r in rows.values() if r.status == "indexed"), "skipped": len(skipped)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    """One corpus for the module (read only by the tests)."""
    return build_hostile_corpus(tmp_path_factory.mktemp("hostile"), seed=7)


def test_hostile_corpus_indexes_to_completion(corpus, data_dir: Path, tiny_model: Path) -> None:
    install_model(data_dir, tiny_model)
    t0 = time.monotonic()
    run = run_cli(data_dir, "index", "-q", "--json", "--add", str(corpus.root), timeout=240)
    elapsed = time.monotonic() - t0
    assert not run.timed_out, "indexing the hostile corpus hung"
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    counts = check_corpus_outcome(corpus, data_dir, as_root=os.geteuid() == 0)
    print(
        f"\nhostile corpus: {len(corpus.expect)} entries, {counts['indexed']} indexed, {counts['skipped']} skipped "
        f"with a reason, 0 crashes, 0 hangs, {elapsed:.1f} s, peak RSS {run.peak_rss_mb:.0f} MB"
    )
    assert run.peak_rss_mb < 1500, f"peak RSS {run.peak_rss_mb:.0f} MB: a bomb was decoded?"

    # a second run changes nothing, the library is healthy and searchable
    again = run_cli(data_dir, "index", "-q", "--json", timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["counts"] == json.loads(run.stdout)["counts"]
    doctor = run_cli(data_dir, "doctor", "--json")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stdout
    search = run_cli(data_dir, "search", "--json", "-k", "5", "a red circle")
    assert search.returncode == 0, search.stderr
    assert len(json.loads(search.stdout)["results"]) == 5


@pytest.mark.parametrize(
    "maker", ["png_bomb", "png_declares", "jpeg_declares", "gif_declares", "tiff_declares"]
)
def test_bombs_refused_from_their_declared_size(corpus, maker: str) -> None:
    path = next(p for p in corpus.paths("error") if os.path.basename(p).startswith(maker))
    t0 = time.monotonic()
    with pytest.raises(UnreadableImage) as e:
        open_image(path)
    assert "too large" in e.value.reason or "size" in e.value.reason
    assert time.monotonic() - t0 < 2.0


def test_png_bomb_never_decoded_even_below_pillows_limit(tmp_path: Path) -> None:
    # 13000×13000 = 169 MP: above our cap, below Pillow's own bomb error (2 × its limit) — our check holds
    p = tmp_path / "bomb.png"
    p.write_bytes(png_bomb(13000, 13000))
    with pytest.raises(UnreadableImage, match="too large"):
        open_image(p, draft_short_side=64)


def test_header_that_never_ends_is_skipped_quickly(tmp_path: Path) -> None:
    import numpy as np

    from tests.hostile import _jpeg_bytes, _rng_image

    p = tmp_path / "zeros.jpg"
    with open(p, "wb") as f:
        f.write(_jpeg_bytes(_rng_image(np.random.default_rng(0), 64, 48))[:600])
        f.truncate(256 << 20)  # sparse: 256 MiB of zeros after a JPEG header
    t0 = time.monotonic()
    with pytest.raises(UnreadableImage, match="header"):
        open_image(p, draft_short_side=64)
    assert time.monotonic() - t0 < 5.0


def test_extreme_aspect_ratio_never_makes_a_giant_intermediate(tiny_model: Path, monkeypatch) -> None:
    from photosearch.library.thumbs import ThumbnailCache
    from photosearch.models.manifest import load_package
    from photosearch.models.preprocess import MAX_ASPECT, Preprocessor

    pre = Preprocessor(load_package(tiny_model).manifest.vision)
    s = pre.size
    sizes: list[tuple[int, int]] = []
    real_resize = Image.Image.resize

    def spy(self, size, *a, **k):
        sizes.append(tuple(size))
        return real_resize(self, size, *a, **k)

    monkeypatch.setattr(Image.Image, "resize", spy)
    for w, h in ((1, 20000), (20000, 1), (3, 30000), (1, 1)):
        t = pre.to_tensor(Image.new("RGB", (w, h), (10, 200, 30)))
        assert t.shape == (3, s, s)
        thumb = ThumbnailCache("/nonexistent").render(Image.new("RGB", (w, h)))
        assert max(thumb.size) <= 320
    biggest = max(a * b for a, b in sizes)
    assert biggest <= s * s * MAX_ASPECT * 1.01, f"an intermediate of {biggest} pixels was made"


def test_symlinks_are_not_followed_out_of_the_folder(corpus) -> None:
    found = {e.path for e in walk(str(corpus.root))}
    for p in found:
        real = os.path.realpath(p)
        assert real.startswith(str(corpus.root.resolve()) + os.sep), f"{p} leads out to {real}"
    assert str(corpus.root / "links" / "link_to_inside.jpg") in found
    assert not any("private" in p for p in found)


def _indexer(data_dir: Path, tiny_model: Path, folder: Path, **kw):
    from photosearch.indexing.pipeline import Indexer
    from photosearch.library.library import Library

    install_model(data_dir, tiny_model)
    lib = Library(Paths.resolve(data_dir), write=True)
    lib.add_folder(folder)
    return lib, Indexer(lib, **kw)


def test_file_deleted_between_scan_and_read(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    photos = make_photos(tmp_path / "photos", 6)
    lib, ix = _indexer(data_dir, tiny_model, tmp_path / "photos")
    try:
        ix.scan()
        photos[2].unlink()  # gone after the scan listed it, before it is decoded
        list(ix.embed_pending())
        row = lib.catalog.file_by_path(str(photos[2]))
        assert row is not None and row.status == "error" and "disappeared" in (row.error or "")
        assert lib.catalog.counts_by_status()["indexed"] == 5
        list(ix.run())  # the next run forgets it
        assert lib.catalog.file_by_path(str(photos[2])) is None
        assert lib.catalog.counts_by_status() == {"pending": 0, "indexed": 5, "error": 0}
    finally:
        lib.close()


def test_file_still_being_written_is_indexed_once_complete(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 3)
    full = make_photos(tmp_path / "src", 1, seed=9, size=(640, 480))[0].read_bytes()
    growing = folder / "copying.jpg"
    growing.write_bytes(full[: len(full) // 3])  # a copy in progress
    lib, ix = _indexer(data_dir, tiny_model, folder)
    try:
        list(ix.run())
        row = lib.catalog.file_by_path(str(growing))
        assert row is not None and row.status == "error" and "truncated" in (row.error or "")
        growing.write_bytes(full)  # the copy finishes: size and mtime change
        os.utime(growing, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        list(ix.run())
        row = lib.catalog.file_by_path(str(growing))
        assert row is not None and row.status == "indexed"
        assert lib.catalog.counts_by_status() == {"pending": 0, "indexed": 4, "error": 0}
    finally:
        lib.close()


def test_file_over_the_time_budget_is_skipped_with_a_reason(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch
) -> None:
    import photosearch.indexing.pipeline as pipeline

    photos = make_photos(tmp_path / "photos", 5)
    slow_name = photos[1].name
    release = threading.Event()
    real_prepare = pipeline.prepare

    def prepare(file, pre, thumbs):
        if file.path.endswith(slow_name):
            release.wait(30)  # a decoder stuck on this file (released when the test has seen the skip)
        return real_prepare(file, pre, thumbs)

    monkeypatch.setattr(pipeline, "prepare", prepare)
    lib, ix = _indexer(data_dir, tiny_model, tmp_path / "photos", file_budget=0.3, batch_size=2)
    try:
        ix.scan()
        for p in ix.embed_pending():
            if p.done == p.total:
                release.set()
        release.set()
        row = lib.catalog.file_by_path(str(photos[1]))
        assert row is not None and row.status == "error"
        assert "time budget" in (row.error or "")
        assert lib.catalog.counts_by_status()["indexed"] == 4
    finally:
        release.set()
        lib.close()
