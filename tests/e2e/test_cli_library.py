"""Issue 3 acceptance: incremental indexing, moves without re-embedding, crash safety, one writer."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from PIL import Image

from photosearch.config import Paths
from photosearch.store.lock import WriterLock
from tests.e2e.helpers import make_photos, popen_cli, run_cli, run_json


@pytest.fixture
def library(tmp_path: Path, data_dir: Path, tiny_model: Path) -> tuple[Path, Path]:
    run_cli(data_dir, "models", "import", str(tiny_model))
    photos = tmp_path / "Pictures"
    return photos, data_dir


def _consistent(data_dir: Path) -> dict:
    """Catalog and index agree: every indexed file has an embedding, the saved index holds them all."""
    conn = sqlite3.connect(data_dir / "catalog.sqlite3")
    orphans = conn.execute(
        "SELECT COUNT(*) FROM files f WHERE f.status='indexed' AND NOT EXISTS (SELECT 1 FROM "
        "embeddings e WHERE e.content_hash=f.content_hash)"
    ).fetchone()[0]
    dup = conn.execute(
        "SELECT COUNT(*) FROM (SELECT content_hash, model_id, COUNT(*) c FROM embeddings "
        "GROUP BY 1, 2 HAVING c > 1)"
    ).fetchone()[0]
    n_emb = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    meta = conn.execute("SELECT count, high_water FROM vector_indexes").fetchone()
    max_id = conn.execute("SELECT max(id) FROM embeddings").fetchone()[0]
    conn.close()
    assert orphans == 0 and dup == 0
    assert meta is not None and meta[1] == max_id and meta[0] >= n_emb
    return {"embeddings": n_emb}


def test_index_search_and_json(library: tuple[Path, Path]) -> None:
    photos, data = library
    make_photos(photos, 12)
    (photos / ".hidden").mkdir()
    make_photos(photos / ".hidden", 2, seed=9)
    (photos / "notes.txt").write_text("not a photo")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    run_cli(data, "folders", "add", str(photos))
    out = run_json(data, "index")
    assert out["counts"] == {"pending": 0, "indexed": 12, "error": 1}
    assert out["encoded"] == 12
    assert out["image_backend"] == "onnxruntime"  # tests/conftest.py asks for the exact backend
    res = run_json(data, "search", "--image", str(photos / "photo_0003.jpg"), "-k", "3")
    assert res["results"][0]["path"] == str(photos / "photo_0003.jpg")
    assert res["results"][0]["score"] == pytest.approx(1.0, abs=1e-4)
    assert [r["rank"] for r in res["results"]] == [1, 2, 3]
    text = run_json(data, "search", "a red circle", "-k", "5")
    assert len(text["results"]) == 5 and all(-1 <= r["score"] <= 1 for r in text["results"])
    status = run_json(data, "status")
    assert status["counts"]["indexed"] == 12
    assert status["skipped"] == [
        {"path": str(photos / "broken.jpg"), "reason": status["skipped"][0]["reason"]}
    ]
    assert status["index"]["health"] == "ok"
    # a second run has nothing to do
    again = run_json(data, "index")
    assert again["encoded"] == 0 and again["extra"]["scan"]["unchanged"] == 13


def test_moved_folder_keeps_embeddings_and_edit_reembeds_one(library: tuple[Path, Path]) -> None:
    photos, data = library
    album = photos / "2023" / "Holiday"
    make_photos(album, 100)
    run_cli(data, "folders", "add", str(photos))
    assert run_json(data, "index")["encoded"] == 100

    moved = photos / "Trips" / "Italy 2023"
    moved.parent.mkdir(parents=True)
    album.rename(moved)
    (moved / "photo_0007.jpg").rename(moved / "renamed.jpg")
    out = run_json(data, "index")
    assert out["encoded"] == 0, out
    assert out["extra"]["scan"]["moved"] == 100 and out["extra"]["scan"]["deleted"] == 100
    res = run_json(data, "search", "--image", str(moved / "renamed.jpg"), "-k", "1")
    assert res["results"][0]["path"] == str(moved / "renamed.jpg")
    assert all(
        r["path"].startswith(str(moved)) for r in run_json(data, "search", "a dog", "-k", "100")["results"]
    )

    # edit one photo: exactly one encoder call
    p = moved / "photo_0042.jpg"
    Image.open(p).convert("L").convert("RGB").save(p, quality=80)
    out = run_json(data, "index")
    assert out["encoded"] == 1
    assert _consistent(data)["embeddings"] == 100  # the old content's embedding was collected


def test_sigkill_mid_run_then_index_again(library: tuple[Path, Path]) -> None:
    photos, data = library
    make_photos(photos, 400, size=(320, 240))
    run_cli(data, "folders", "add", str(photos))
    proc = popen_cli(data, "index", "--batch-size", "4")
    db = data / "catalog.sqlite3"
    deadline = time.monotonic() + 60
    committed = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
            committed = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
            conn.close()
        except sqlite3.Error:
            committed = 0
        if committed >= 40:
            break
    assert proc.poll() is None, "the indexer finished before it could be killed; make the corpus bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert 40 <= committed < 400

    out = run_json(data, "index")
    n_before = 400 - out["encoded"]
    assert n_before >= committed  # nothing committed was lost
    assert out["counts"]["indexed"] == 400
    assert _consistent(data)["embeddings"] == 400  # every photo embedded exactly once
    res = run_json(data, "search", "--image", str(photos / "photo_0399.jpg"), "-k", "1")
    assert res["results"][0]["path"] == str(photos / "photo_0399.jpg")


def test_second_writer_refused_while_search_works(library: tuple[Path, Path]) -> None:
    photos, data = library
    make_photos(photos, 5)
    run_cli(data, "folders", "add", str(photos))
    run_cli(data, "index")
    with WriterLock(Paths.resolve(data).lock_file, purpose="photosearch index"):
        proc = run_cli(data, "index", check=False)
        assert proc.returncode == 4
        msg = proc.stderr.strip()
        assert msg.count("\n") == 0
        assert "another PhotoSearch process is updating this library" in msg and f"pid {os.getpid()}" in msg
        assert "photosearch index" in msg
        res = run_json(data, "search", "--image", str(photos / "photo_0001.jpg"), "-k", "1")
        assert res["results"][0]["path"] == str(photos / "photo_0001.jpg")
        status = run_json(data, "status")
        assert status["writer"]["pid"] == os.getpid()


def test_deleted_and_new_files(library: tuple[Path, Path]) -> None:
    photos, data = library
    make_photos(photos, 10)
    run_cli(data, "folders", "add", str(photos))
    run_cli(data, "index")
    (photos / "photo_0002.jpg").unlink()
    shutil.copy(photos / "photo_0003.jpg", photos / "dup.jpg")  # exact duplicate: no encoder call
    make_photos(photos, 2, seed=5, start=100)
    out = run_json(data, "index")
    assert out["encoded"] == 2 and out["counts"]["indexed"] == 12
    res = run_json(data, "search", "--image", str(photos / "photo_0003.jpg"), "-k", "2")
    assert {r["path"] for r in res["results"]} == {str(photos / "photo_0003.jpg"), str(photos / "dup.jpg")}
    paths = {r["path"] for r in run_json(data, "search", "red", "-k", "50")["results"]}
    assert str(photos / "photo_0002.jpg") not in paths


def test_folders_commands(library: tuple[Path, Path]) -> None:
    photos, data = library
    make_photos(photos, 3)
    run_cli(data, "folders", "add", str(photos))
    assert [f["path"] for f in run_json(data, "folders", "list")] == [str(photos)]
    run_cli(data, "index")
    run_cli(data, "folders", "remove", str(photos))
    assert run_json(data, "folders", "list") == []
    assert run_json(data, "status")["counts"]["indexed"] == 0
    bad = run_cli(data, "folders", "add", str(photos / "nope"), check=False)
    assert bad.returncode != 0 and "not a folder" in bad.stderr


def test_global_options_before_or_after_the_command(
    library: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos, data = library
    make_photos(photos, 2)
    run_cli(data, "folders", "add", str(photos))
    elsewhere = tmp_path / "other-default"
    for args in (["--data-dir", str(data), "folders", "list"], ["folders", "list", "--data-dir", str(data)]):
        out = run_json(elsewhere, *args)  # PHOTOSEARCH_DATA_DIR points elsewhere; the flag wins
        assert [f["path"] for f in out] == [str(photos)]
