from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from photosearch.errors import CatalogError
from photosearch.store import catalog as catalog_mod
from photosearch.store.catalog import VERSION, Catalog


def test_fresh_catalog_has_schema_and_wal(tmp_path: Path) -> None:
    c = Catalog(tmp_path / "c.sqlite3")
    assert c.schema_version == VERSION
    mode = sqlite3.connect(tmp_path / "c.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    tables = {r[0] for r in c._q("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"folders", "files", "embeddings", "vector_indexes", "thumbnails", "meta"} <= tables
    c.close()


def test_stepwise_migration_runs_each_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.sqlite3"
    Catalog(path).close()
    monkeypatch.setattr(catalog_mod, "VERSION", VERSION + 1)
    monkeypatch.setitem(catalog_mod.MIGRATIONS, VERSION, "ALTER TABLE files ADD COLUMN rating INTEGER")
    c = Catalog(path)
    assert c.schema_version == VERSION + 1
    cols = [r[1] for r in c._q("PRAGMA table_info(files)")]
    assert "rating" in cols
    c.close()


def test_newer_catalog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {VERSION + 5}")
    conn.close()
    with pytest.raises(CatalogError, match="newer PhotoSearch"):
        Catalog(path)


def test_embeddings_keyed_by_content_and_model(tmp_path: Path) -> None:
    c = Catalog(tmp_path / "c.sqlite3")
    folder = c.add_folder(str(tmp_path))
    f1 = c.upsert_file(folder.id, str(tmp_path / "a.jpg"), 10, 1, content_hash="h1", status="pending")
    c.upsert_file(folder.id, str(tmp_path / "copy.jpg"), 10, 1, content_hash="h1", status="pending")
    v = np.arange(4, dtype=np.float32)
    a = c.put_embedding("h1", "m1", v)
    b = c.put_embedding("h1", "m2", v * 2)
    assert a != b
    assert c.embedding_id("h1", "m1") == a
    np.testing.assert_array_equal(c.embedding_for_hash("h1", "m2"), v * 2)
    ids, vecs = c.embeddings("m1")
    assert list(ids) == [a] and vecs.shape == (1, 4)
    # moved file keeps its embedding: the row is re-pointed, the content key is unchanged
    assert c.move_file(str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"), folder.id)
    c.set_file_indexed(f1, fmt="jpeg", width=2, height=3, taken_at=None)
    assert c.file_by_path(str(tmp_path / "b.jpg")).content_hash == "h1"
    assert c.label_for_file(str(tmp_path / "b.jpg"), "m1") == a
    # orphaned only when no file refers to the content any more
    assert c.orphan_embeddings() == []
    c.delete_files([r.id for r in c.all_files()])
    assert sorted(i for i, _ in c.orphan_embeddings()) == sorted([a, b])
    c.close()


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    c = Catalog(tmp_path / "c.sqlite3")
    with pytest.raises(RuntimeError):
        with c.transaction():
            c.add_folder(str(tmp_path / "x"))
            raise RuntimeError("boom")
    assert c.folders() == []
    c.close()


def test_offline_folders_hidden_from_search_rows(tmp_path: Path) -> None:
    c = Catalog(tmp_path / "c.sqlite3")
    folder = c.add_folder(str(tmp_path))
    fid = c.upsert_file(folder.id, str(tmp_path / "a.jpg"), 10, 1, content_hash="h1", status="pending")
    c.set_file_indexed(fid, fmt="jpeg", width=1, height=1, taken_at=None)
    label = c.put_embedding("h1", "m", np.ones(4, np.float32))
    assert len(c.visible_files_for_labels([label])) == 1
    c.set_folder_state(folder.id, "offline")
    assert c.visible_files_for_labels([label]) == []
    assert c.file_by_path(str(tmp_path / "a.jpg")) is not None  # kept, just hidden
    c.close()


def test_a_version_4_catalog_gains_the_album_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(catalog_mod, "VERSION", 4)  # the last version without albums
        Catalog(path).close()
    with Catalog(path) as c:
        assert c.schema_version == VERSION
        assert {"albums", "album_examples"} <= {
            r[0] for r in c._q("SELECT name FROM sqlite_master WHERE type='table'")
        }
