from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from photosearch.store.catalog import Catalog
from photosearch.store.vectors import VectorIndex, exact_search

DIM = 8


def _catalog_with(tmp_path: Path, n: int, seed: int = 0) -> tuple[Catalog, np.ndarray]:
    c = Catalog(tmp_path / "c.sqlite3")
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    with c.transaction():
        for i, v in enumerate(vecs):
            c.put_embedding(f"h{i}", "m", v)
    return c, vecs


def test_rebuilt_when_missing_then_loaded_when_valid(tmp_path: Path) -> None:
    c, vecs = _catalog_with(tmp_path, 200)
    vi = VectorIndex.open(c, tmp_path / "idx", "m", DIM, writer=True)
    assert vi.rebuilt_reason == "no saved index"
    meta = c.index_meta("m")
    assert meta is not None and meta.count == 200 and (tmp_path / "idx" / meta.file).is_file()
    again = VectorIndex.open(c, tmp_path / "idx", "m", DIM)
    assert again.rebuilt_reason is None and again.generation == meta.generation
    labels, scores = again.search(vecs[5], 1)
    assert labels[0, 0] == 6 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)  # ids start at 1


@pytest.mark.parametrize("damage", ["truncate", "bitflip", "delete", "stale"])
def test_damaged_or_stale_index_is_rebuilt_never_loaded(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    c, vecs = _catalog_with(tmp_path, 100)
    VectorIndex.open(c, tmp_path / "idx", "m", DIM, writer=True)
    meta = c.index_meta("m")
    path = tmp_path / "idx" / meta.file
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "bitflip":
        data[len(data) // 3] ^= 0x10
        path.write_bytes(bytes(data))
    elif damage == "delete":
        path.unlink()
    else:  # the catalog points at a newer generation than the file on disk
        from dataclasses import replace

        c.set_index_meta(replace(meta, generation=meta.generation + 1, file="m.g99.hnsw"))
    with caplog.at_level(logging.WARNING):
        vi = VectorIndex.open(c, tmp_path / "idx", "m", DIM)
    assert vi.rebuilt_reason is not None
    assert "rebuilding" in caplog.text
    labels, _ = vi.search(vecs[10], 1)
    assert labels[0, 0] == 11


def test_growth_deletion_and_atomic_save(tmp_path: Path) -> None:
    c, vecs = _catalog_with(tmp_path, 50)
    vi = VectorIndex.open(c, tmp_path / "idx", "m", DIM, writer=True)
    rng = np.random.default_rng(3)
    more = rng.standard_normal((3000, DIM)).astype(np.float32)
    more /= np.linalg.norm(more, axis=1, keepdims=True)
    with c.transaction():
        ids = [c.put_embedding(f"n{i}", "m", v) for i, v in enumerate(more)]
    vi.add(np.array(ids), more)  # grows past the initial capacity without a rebuild
    vi.delete([ids[0]])
    c.delete_embeddings([ids[0]])
    meta = vi.save(c)
    assert meta.count == 3050 and not list((tmp_path / "idx").glob("*.tmp"))
    assert len(list((tmp_path / "idx").glob("*.hnsw"))) == 1  # older generation removed
    labels, _ = vi.search(more[0], 5)
    assert ids[0] not in labels[0]
    labels, _ = vi.search(more[1], 1)
    assert labels[0, 0] == ids[1]


def test_writer_sync_drops_rows_deleted_by_a_crashed_writer(tmp_path: Path) -> None:
    c, vecs = _catalog_with(tmp_path, 40)
    VectorIndex.open(c, tmp_path / "idx", "m", DIM, writer=True)
    c.delete_embeddings([1, 2])  # committed, but the index was never saved again
    vi = VectorIndex.open(c, tmp_path / "idx", "m", DIM, writer=True)
    labels, _ = vi.search(vecs[0], 40)
    assert 1 not in labels[0] and 2 not in labels[0]


def test_exact_search_matches_bruteforce() -> None:
    rng = np.random.default_rng(0)
    v = rng.standard_normal((100, DIM)).astype(np.float32)
    q = rng.standard_normal((3, DIM)).astype(np.float32)
    ids = np.arange(100) + 1000
    labels, scores = exact_search(q, ids, v, 7)
    want = np.argsort(-(q @ v.T), axis=1)[:, :7] + 1000
    np.testing.assert_array_equal(labels, want)
    assert np.all(np.diff(scores, axis=1) <= 0)


@pytest.mark.parametrize("filtered", [False, True])
def test_asking_for_more_than_the_live_photos_gives_every_live_photo(tmp_path: Path, filtered: bool) -> None:
    """hnswlib counts labels marked deleted and refuses a k it cannot fill: the index must still give every
    live photo (61 of 62; halving k gave 31), with a filter too."""
    c, vecs = _catalog_with(tmp_path, 62)
    vi = VectorIndex.open(c, tmp_path / "idx", "m", DIM, writer=True)
    vi.delete([1])
    keep = (lambda label: label % 2 == 0) if filtered else None
    labels, scores = vi.search(vecs[3], 100, filter=keep)
    want = {i for i in range(2, 63) if keep is None or keep(i)}
    assert set(labels[0].tolist()) == want and len(labels[0]) == len(want)
    assert list(scores[0]) == sorted(scores[0], reverse=True)
