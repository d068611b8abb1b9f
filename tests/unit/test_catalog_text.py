"""The catalog's text of photos: stored per content hash, found through the FTS5 trigram table (and LIKE for
short words), queued for the text pass, removed with the last file of that content."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosearch.store import catalog as catalog_mod
from photosearch.store.catalog import Catalog
from photosearch.store.catalog_text import StoredLine
from photosearch.text.match import TextQuery, index_form


def _photo(c: Catalog, folder_id: int, path: str, h: str) -> int:
    fid = c.upsert_file(folder_id, path, 10, 1, content_hash=h, status="indexed")
    return int(fid) if fid is not None else c.file_by_path(path).id  # type: ignore[union-attr]


def _put(c: Catalog, h: str, text: str) -> None:
    lines = [StoredLine(t, 0.9, ((0, 0), (10, 0), (10, 5), (0, 5))) for t in text.split("\n")]
    c.put_text(h, "read", lines, index_form(text), 0.1)


def test_v1_catalog_is_upgraded_with_the_text_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(catalog_mod, "VERSION", 1)
        Catalog(path).close()
    c = Catalog(path)
    assert (
        c.schema_version == catalog_mod.VERSION
    )  # upgraded from 1 to the current version (2 added the text)
    tables = {r[0] for r in c._q("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"photo_text", "photo_text_fts"} <= tables
    f = c.add_folder(str(tmp_path))
    assert c.folder_reads_text(f.id)
    c.close()


def test_text_is_stored_found_queued_and_removed(tmp_path: Path) -> None:
    c = Catalog(tmp_path / "c.sqlite3")
    folder = c.add_folder(str(tmp_path))
    a = _photo(c, folder.id, str(tmp_path / "a.jpg"), "ha")
    _photo(c, folder.id, str(tmp_path / "a-copy.jpg"), "ha")
    _photo(c, folder.id, str(tmp_path / "b.jpg"), "hb")
    assert [f.content_hash for f in c.text_pending()] == ["ha", "hb"]  # one per content
    _put(c, "ha", "BOARDING PASS\nGate 42 Café")
    c.put_text("hb", "none", [], "", 0.01)
    assert c.text_pending() == []
    assert c.text_counts() == (2, 2)
    stored = c.text_for_hash("ha")
    assert stored is not None and stored.status == "read" and stored.lines[1].text == "Gate 42 Café"
    assert stored.lines[0].box[2] == (10.0, 5.0)
    for q in ("boarding", "cafe", "42", '"gate 42"'):
        assert [h for h, _ in c.text_candidates(TextQuery.parse(q))] == ["ha"], q
    assert c.text_candidates(TextQuery.parse("zebra")) == []
    # the text stays while a file has the content; goes with the last one
    c.delete_files([a])
    assert c.text_for_hash("ha") is not None
    c.delete_files([c.file_by_path(str(tmp_path / "a-copy.jpg")).id])  # type: ignore[union-attr]
    assert c.text_for_hash("ha") is None
    assert c.text_candidates(TextQuery.parse("boarding")) == []
    # switched off per folder: nothing queued
    _photo(c, folder.id, str(tmp_path / "c.jpg"), "hc")
    assert [f.content_hash for f in c.text_pending()] == ["hc"]
    c.set_folder_read_text(folder.id, False)
    assert c.text_pending() == [] and c.text_counts() == (0, 0)
    c.remove_folder(folder.id)
    assert c.text_for_hash("hb") is None
    c.close()
