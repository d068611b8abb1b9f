"""The text pass (OCR) on real files and a real catalog: the text is stored per content hash, a rename costs
no second reading, deleting the photo removes its text, a SIGKILL during the pass loses nothing and repeats
no finished photo, and recognised text is never logged."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from photosearch.app.index import run_index
from photosearch.config import Paths
from photosearch.library.library import Library
from photosearch.text import ocr
from photosearch.text.ocr import TextReader
from tests.reliability._util import REPO, cli_env, install_model, run_cli
from tests.support.text_photos import photo_with_words

pytestmark = pytest.mark.skipif(not ocr.available(), reason="the OCR package (rapidocr) is not installed")


def _hash_of(lib: Library, path: Path) -> str:
    row = lib.catalog.file_by_path(str(path))
    assert row is not None and row.content_hash
    return row.content_hash


def test_text_is_read_once_per_content_and_removed_with_the_photo(
    tmp_path: Path,
    data_dir: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # everything any logger says (the log file gets a subset of it)
    photos = tmp_path / "photos"
    sign = photo_with_words(photos / "sign.jpg", "BOARDING PASS", seed=1)
    photo_with_words(photos / "plain.jpg", "", seed=2)
    install_model(data_dir, tiny_model)
    reads: list[int] = []
    real_read = TextReader.read

    def counting(self: TextReader, *a: object, **k: object) -> ocr.OcrResult:
        reads.append(1)
        return real_read(self, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(TextReader, "read", counting)
    with Library(Paths.resolve(data_dir), write=True, purpose="test") as lib:
        lib.add_folder(photos)
        out = run_index(lib)
        assert out["text"]["read"] == out["text"]["total"] == 2
        assert len(reads) == 2
        stored = lib.catalog.text_for_hash(_hash_of(lib, sign))
        assert stored is not None and stored.status == "read"
        assert "BOARDING PASS" in stored.text.upper()
        x0, y0 = stored.lines[0].box[0]
        assert 20 < x0 < 120 and 200 < y0 < 300  # in full-image pixels
        plain = lib.catalog.text_for_hash(_hash_of(lib, photos / "plain.jpg"))
        assert plain is not None and plain.status == "none"
        # a rename keeps the text (same content): no second reading
        renamed = photos / "renamed.jpg"
        os.rename(sign, renamed)
        out = run_index(lib)
        assert len(reads) == 2
        again = lib.catalog.text_for_hash(_hash_of(lib, renamed))
        assert again is not None and again.text == stored.text
        # a text query finds it by its words, first, passing the relevance line, and says so
        from photosearch.app.query import Query
        from photosearch.app.search import open_engine, search

        resp = search(Query.of("boarding pass", k=2), open_engine(lib))
        top = resp.results[0]
        assert top.path == str(renamed) and top.passed and top.found_by in ("text", "text+meaning")
        assert top.text is not None and "BOARDING" in top.text.upper()
        assert resp.results[1].found_by == "meaning" and not resp.no_good_matches
        only = search(Query.of('"boarding pass"', text_only=True), None, lib.catalog)
        assert [r.path for r in only.results] == [str(renamed)]
        assert search(Query.of('"pass boarding"', text_only=True), None, lib.catalog).results == []
        assert [r.path for r in search(Query.of("bording", text_only=True), None, lib.catalog).results] == [
            str(renamed)
        ]  # an OCR slip or a typo
        # --no-text: nothing read
        photo_with_words(photos / "later.jpg", "VIA ROMA", seed=3)
        out = run_index(lib, read_text=False)
        assert out["text"] is None and len(reads) == 2
        assert lib.catalog.text_for_hash(_hash_of(lib, photos / "later.jpg")) is None
        # per-folder switch off: nothing read either
        folder = lib.catalog.folder_by_path(str(photos))
        assert folder is not None
        lib.catalog.set_folder_read_text(folder.id, False)
        run_index(lib)
        assert len(reads) == 2
        lib.catalog.set_folder_read_text(folder.id, True)
        run_index(lib)
        assert len(reads) == 3
        # deleting the photo removes its text
        h = _hash_of(lib, renamed)
        renamed.unlink()
        run_index(lib)
        assert lib.catalog.text_for_hash(h) is None
        assert lib.catalog._q("SELECT COUNT(*) FROM photo_text_fts WHERE content_hash=?", (h,))[0][0] == 0
    # recognised text never goes into the logs
    said = caplog.text.upper()
    assert caplog.records and "BOARDING" not in said and "ROMA" not in said


def _rows(catalog: Path) -> dict[str, float]:
    if not catalog.exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    except sqlite3.OperationalError:  # not created yet
        return {}
    try:
        return dict(conn.execute("SELECT content_hash, read_at FROM photo_text").fetchall())
    except sqlite3.OperationalError:  # not created yet
        return {}
    finally:
        conn.close()


def test_sigkill_during_the_text_pass_loses_nothing_and_repeats_nothing(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    photos = tmp_path / "photos"
    words = ["BOARDING PASS", "VIA ROMA", "TOTAL 42.50", "EXIT ONLY", "HOTEL LOBBY", "GATE B12"]
    for i, w in enumerate(words):
        photo_with_words(photos / f"p{i}.jpg", w, seed=10 + i)
    install_model(data_dir, tiny_model)
    catalog = Paths.resolve(data_dir).catalog
    env = cli_env(data_dir, PHOTOSEARCH_READ_TEXT="1")
    p = subprocess.Popen(
        [sys.executable, "-m", "photosearch", "index", "-q", "--add", str(photos)],
        env=env,
        cwd=str(REPO),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while len(_rows(catalog)) < 2 and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a condition with a deadline (not synchronisation by time)
        assert p.poll() is None, "the pass finished before it could be killed"
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait(30)
    before = _rows(catalog)
    assert 2 <= len(before) < len(words)
    r = run_cli(data_dir, "index", "-q", "--json", env=env)
    assert r.returncode == 0, r.stderr
    after = _rows(catalog)
    assert len(after) == len(words)  # nothing lost
    assert all(after[h] == t for h, t in before.items())  # no finished photo read again
    # a text search from a fresh process finds the receipt first, and never imports the OCR package or OpenCV
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "photosearch",
            "search",
            "--json",
            "-k",
            "3",
            "total 42.50",
        ],
        env=env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert data["results"][0]["path"] == str(photos / "p2.jpg")
    assert data["results"][0]["found_by"] in ("text", "text+meaning") and data["results"][0]["passed"]
    assert "42.50" in data["results"][0]["text"]
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert not {m for m in imported if m.split(".")[0] in ("rapidocr", "cv2")}
    r = run_cli(data_dir, "search", "--json", "--text-only", '"via roma"', env=env)
    assert r.returncode == 0, r.stderr
    assert [x["path"] for x in json.loads(r.stdout)["results"]] == [str(photos / "p1.jpg")]


def test_the_service_reads_text_after_embedding(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    from photosearch.progress import ProgressPhase, describe
    from tests.support.service import Running, open_test_library, wait_until

    photos = tmp_path / "photos"
    photo_with_words(photos / "sign.jpg", "EXIT ONLY", seed=4)
    photo_with_words(photos / "plain.jpg", "", seed=5)
    lib = open_test_library(tiny_model, data_dir)
    try:
        lib.add_folder(photos)
        before = set(threading.enumerate())
        r = Running(lib, read_text=True)
        with r as svc:
            wait_until(lambda: svc.idle and lib.catalog.text_counts() == (2, 2), 60, "the text pass")
        # stopping the service ends every thread it started, the text reader's stop watcher too
        left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        assert not left, left
        phases = [e.stage for e in r.events]
        first_text = phases.index(ProgressPhase.READING_TEXT)
        assert ProgressPhase.EMBEDDING in phases[:first_text]  # embedding first
        assert ProgressPhase.EMBEDDING not in phases[first_text:]
        assert describe(r.events[first_text]).startswith("Reading text: 1 / 2")
        stored = lib.catalog.text_for_hash(_hash_of(lib, photos / "sign.jpg"))
        assert stored is not None and "EXIT" in stored.text.upper()
    finally:
        lib.close()


def test_the_service_text_pass_pauses_cancels_and_resumes(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    from photosearch.indexing.service import IndexingService
    from photosearch.progress import Progress, ProgressPhase
    from tests.support.service import open_test_library, wait_until

    photos = tmp_path / "photos"
    for i, w in enumerate(["EXIT ONLY", "VIA ROMA", "GATE B12", "HOTEL"]):
        photo_with_words(photos / f"p{i}.jpg", w, seed=30 + i)
    lib = open_test_library(tiny_model, data_dir)
    action: list[str] = ["pause"]
    svc: IndexingService | None = None

    def on_progress(p: Progress) -> None:  # on the worker: right after the first photo's text is stored
        if p.stage is ProgressPhase.READING_TEXT and action and svc is not None:
            what = action.pop()
            svc.pause() if what == "pause" else svc.cancel_current()

    try:
        lib.add_folder(photos)
        svc = IndexingService(lib, watch=False, on_progress=on_progress, read_text=True)
        svc.start()
        try:
            wait_until(lambda: svc.paused and svc.idle, 60, "the paused service to rest")
            read, total = lib.catalog.text_counts()
            assert read == 1 and total == 4  # paused after one photo; nothing read while paused
            action.append("cancel")
            svc.resume()
            wait_until(lambda: svc.idle and svc.text_deferred, 60, "the cancelled text pass to rest")
            assert lib.catalog.text_counts() == (2, 4)  # cancelled after one more: the rest waits
            svc.request_scan()
            wait_until(lambda: svc.idle and lib.catalog.text_counts() == (4, 4), 60, "the rest to be read")
        finally:
            svc.stop()
    finally:
        lib.close()


def test_folders_text_off_and_on_from_the_command_line(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    photos = tmp_path / "photos"
    photo_with_words(photos / "sign.jpg", "VIA ROMA", seed=7)
    install_model(data_dir, tiny_model)
    env = cli_env(data_dir, PHOTOSEARCH_READ_TEXT="1")
    assert run_cli(data_dir, "folders", "add", str(photos), env=env).returncode == 0
    r = run_cli(data_dir, "folders", "text-off", str(photos), env=env)
    assert r.returncode == 0, r.stderr
    r = run_cli(data_dir, "index", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["text"]["total"] == 0
    assert json.loads((data_dir / "folders.json").read_text())[0]["read_text"] is False
    assert run_cli(data_dir, "folders", "text-on", str(photos), env=env).returncode == 0
    r = run_cli(data_dir, "index", "--json", env=env)
    assert json.loads(r.stdout)["text"] == {"read": 1, "total": 1, "unavailable": None}
    r = run_cli(data_dir, "search", "--text-only", "roma", env=env)
    assert r.returncode == 0 and "sign.jpg" in r.stdout and "found by its text" in r.stdout


def test_a_read_told_to_stop_gives_way_and_keeps_nothing(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    from photosearch.indexing.text_steps import TextPass

    photos = tmp_path / "photos"
    photo_with_words(photos / "sign.jpg", "EXIT ONLY", seed=4)
    install_model(data_dir, tiny_model)
    with Library(Paths.resolve(data_dir), write=True, purpose="test") as lib:
        lib.add_folder(photos)
        run_index(lib, read_text=False)
        tp = TextPass(lib.catalog)
        f = lib.catalog.text_pending()[0]
        asked: list[int] = []

        def stop() -> bool:  # more urgent work arrives while the photo's regions are being read
            asked.append(1)
            return len(asked) >= 3

        assert tp.read_one(f, stop=stop) == "interrupted"
        assert len(asked) == 3 and lib.catalog.text_pending() == [f]  # nothing stored: still to read
        assert tp.read_one(f) == "read" and lib.catalog.text_pending() == []
