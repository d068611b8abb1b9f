"""Recovery: a damaged index is rebuilt (never loaded), a damaged catalog is detected at open with a clear
message and repaired by ``doctor --repair`` (kept aside), two writers never run at once, and SIGKILLs
while indexing lose nothing committed (the quick version of benchmarks/kill_harness.py)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from photosearch.config import Paths
from photosearch.library.library import Library
from photosearch.store.catalog import Catalog
from tests.reliability._util import install_model, make_photos, run_cli


@pytest.fixture
def indexed(tmp_path: Path, data_dir: Path, tiny_model: Path) -> Path:
    """A data dir with 40 photos indexed (index saved)."""
    make_photos(tmp_path / "photos", 40)
    install_model(data_dir, tiny_model)
    r = run_cli(data_dir, "index", "-q", "--add", str(tmp_path / "photos"))
    assert r.returncode == 0, r.stderr
    return tmp_path / "photos"


def _index_file(data_dir: Path) -> Path:
    with Catalog(Paths.resolve(data_dir).catalog) as cat:
        meta = cat.index_meta("tiny-random")
    assert meta is not None
    return Paths.resolve(data_dir).index_dir / meta.file


def _search_labels(data_dir: Path) -> list[int]:
    with Library(Paths.resolve(data_dir)) as lib:
        vi = lib.vector_index()
        q = np.ones(vi.dim, np.float32) / np.sqrt(vi.dim)
        return vi.search(q, 10)[0][0].tolist()


@pytest.mark.parametrize("damage", ["truncate", "bitflip", "delete", "garbage"])
def test_damaged_index_is_rebuilt_with_a_log_line_never_loaded(
    indexed: Path,
    data_dir: Path,
    damage: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _search_labels(data_dir)
    f = _index_file(data_dir)
    data = bytearray(f.read_bytes())
    if damage == "truncate":
        f.write_bytes(data[: len(data) // 2])
    elif damage == "bitflip":
        data[len(data) // 2] ^= 0x10
        f.write_bytes(data)
    elif damage == "delete":
        f.unlink()
    else:
        f.write_bytes(os.urandom(len(data)))
    import hnswlib

    loaded: list[str] = []
    real = hnswlib.Index

    class Spy(real):  # type: ignore[misc, valid-type]
        def load_index(self, path, *a, **k):
            loaded.append(str(path))
            return super().load_index(path, *a, **k)

    monkeypatch.setattr(hnswlib, "Index", Spy)
    caplog.set_level(logging.INFO, logger="photosearch.store.vectors")
    with Library(Paths.resolve(data_dir), write=True) as lib:
        vi = lib.vector_index()
        assert vi.rebuilt_reason is not None
        assert vi.stored == 40
    assert str(f) not in loaded, "a damaged index file was handed to hnswlib"
    assert any(
        "rebuilding from stored embeddings" in r.getMessage() and r.levelno >= logging.WARNING
        for r in caplog.records
    ), caplog.text
    assert _search_labels(data_dir) == before
    doctor = run_cli(data_dir, "doctor", "--json")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stdout


def test_doctor_finds_and_repairs_a_damaged_index(indexed: Path, data_dir: Path) -> None:
    f = _index_file(data_dir)
    f.write_bytes(f.read_bytes()[:100])
    r = run_cli(data_dir, "doctor", "--json")
    assert r.returncode == 1
    found = json.loads(r.stdout)
    assert not found["clean"] and any(
        x["check"] == "index" and x["severity"] == "error" for x in found["findings"]
    )
    r = run_cli(data_dir, "doctor", "--repair", "--json")
    assert r.returncode == 0, r.stdout
    fixed = json.loads(r.stdout)
    assert fixed["clean"] and any("rebuilt the vector index" in x for x in fixed["repairs"])
    assert len(_search_labels(data_dir)) == 10


@pytest.mark.parametrize("where", ["header", "pages"])
def test_damaged_catalog_detected_at_open_and_repaired(indexed: Path, data_dir: Path, where: str) -> None:
    paths = Paths.resolve(data_dir)
    with Catalog(paths.catalog) as cat:  # fold the WAL in so the damage lands on real pages
        cat._x("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(paths.catalog.read_bytes())
    page = 4096
    rng = np.random.default_rng(1)
    if where == "header":
        data[0:100] = rng.integers(0, 256, 100, dtype=np.uint8).tobytes()
    else:  # garbage over every page but the first (the tables' b-trees)
        for start in range(page, len(data), page):
            data[start : start + page] = rng.integers(0, 256, page, dtype=np.uint8).tobytes()
    paths.catalog.write_bytes(bytes(data))

    for args in (("status",), ("search", "a red circle"), ("index", "-q")):
        r = run_cli(data_dir, *args)
        assert r.returncode == 5, (args, r.returncode, r.stderr)
        assert "damaged" in r.stderr and "doctor --repair" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    r = run_cli(data_dir, "doctor")
    assert r.returncode == 1 and "damaged" in r.stdout

    r = run_cli(data_dir, "doctor", "--repair", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads(r.stdout)
    assert rep["clean"]
    msg = " ".join(rep["repairs"])
    assert "kept aside" in msg and ("lost" in msg or "salvaged" in msg)
    aside = list(data_dir.glob("catalog.sqlite3.damaged-*"))
    assert any(p.name.endswith(tuple("0123456789")) for p in aside), aside
    # the folders were recovered (from the catalog or its folder-list backup) and rescanned
    r = run_cli(data_dir, "index", "-q", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"] == {"pending": 0, "indexed": 40, "error": 0}
    assert len(_search_labels(data_dir)) == 10
    r = run_cli(data_dir, "doctor", "--json")
    assert json.loads(r.stdout)["clean"]


def test_two_writers_never_run_at_once(indexed: Path, data_dir: Path) -> None:
    with Library(Paths.resolve(data_dir), write=True, purpose="test holder"):
        r = run_cli(data_dir, "index", "-q")
        assert r.returncode == 4, r.stderr
        assert "another PhotoSearch process" in r.stderr and "test holder" in r.stderr
        r = run_cli(data_dir, "search", "--json", "-k", "3", "a red circle")  # readers still work
        assert r.returncode == 0, r.stderr
        assert len(json.loads(r.stdout)["results"]) == 3
    assert run_cli(data_dir, "index", "-q").returncode == 0


def test_sigkill_while_indexing_loses_nothing_quick(tmp_path: Path) -> None:
    from benchmarks.kill_harness import run_harness

    res = run_harness(tmp_path / "kh", photos=40, kills=3, seed=5, batch_size=4, log=lambda _m: None)
    assert res["kills"] == 3
    assert res["failures"] == 0, res["failure_details"]
    assert res["final"] == {"pending": 0, "indexed": res["photos"], "error": 0}
