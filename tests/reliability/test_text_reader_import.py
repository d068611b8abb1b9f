"""An added text-recognition model ("text reader", issue 22: another script than the bundled model reads) goes
the CLIP models' road: ``photosearch models import FOLDER --script …`` checks and installs it, ``models list``
shows it with its scripts, ``models use`` makes the text pass read with it, and a file changed after the
import is refused at load with a plain message (the pass skips with that reason, it never reads with it).

The stand-in for "another script's model" is the bundled ``PP-OCRv6_rec_small.onnx`` copied into a folder
(no internet here): the import must see it as rapidocr's published ``multi_PP-OCRv6_rec_small``."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from photosearch.app.index import run_index
from photosearch.config import Paths
from photosearch.library.library import Library
from photosearch.text import ocr
from tests.reliability._util import install_model, run_cli
from tests.support.text_photos import photo_with_words

pytestmark = pytest.mark.skipif(not ocr.available(), reason="the OCR package (rapidocr) is not installed")

READER = "pp-ocrv6-rec-small"


def _rec_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "added-reader"
    folder.mkdir()
    shutil.copy2(ocr.model_dir() / ocr.MODEL_FILES["Rec"], folder / ocr.MODEL_FILES["Rec"])
    return folder


def _import(data_dir: Path, tmp_path: Path) -> Path:
    folder = _rec_folder(tmp_path)
    # the scripts are never guessed: without --script the import is refused, nothing installed
    r = run_cli(data_dir, "models", "import", str(folder))
    assert r.returncode != 0 and "say which scripts" in r.stderr, r.stderr
    assert not (data_dir / "models" / "text-readers" / READER).exists()
    r = run_cli(data_dir, "models", "import", str(folder), "--script", "latin", "--script", "cjk")
    assert r.returncode == 0, r.stderr
    assert f"installed model {READER} (text-recognition layout)" in r.stdout
    assert "matches rapidocr's published multi_PP-OCRv6_rec_small" in r.stdout
    assert "18,708 (from the ONNX's metadata)" in r.stdout
    return data_dir / "models" / "text-readers" / READER


def _readers(data_dir: Path) -> dict[str, Any]:
    r = run_cli(data_dir, "models", "list", "--json")
    assert r.returncode == 0, r.stderr
    return {t["id"]: t for t in json.loads(r.stdout)["text_readers"]}


def test_an_imported_text_reader_is_listed_chosen_and_reads_the_photos(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_model(data_dir, tiny_model)
    root = _import(data_dir, tmp_path)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["kind"] == "text-recognition" and manifest["scripts"] == ["latin", "cjk"]
    assert manifest["files"]["PP-OCRv6_rec_small.onnx"]["sha256"] == (
        "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"
    )
    readers = _readers(data_dir)
    assert readers[READER]["scripts"] == ["latin", "cjk"] and not readers[READER]["chosen"]
    assert readers["pp-ocrv6-bundled"]["chosen"] and readers["pp-ocrv6-bundled"]["bundled"]
    human = run_cli(data_dir, "models", "list").stdout
    assert f"{READER}" in human and "text reader, reads latin, cjk" in human

    r = run_cli(data_dir, "models", "use", READER)
    assert r.returncode == 0 and f"now using {READER}" in r.stdout, r.stderr
    assert _readers(data_dir)[READER]["chosen"]

    used = _spy_on_engines(monkeypatch)
    photos = tmp_path / "photos"
    sign = photo_with_words(photos / "sign.jpg", "BOARDING PASS", seed=1)
    with Library(Paths.resolve(data_dir), write=True, purpose="test") as lib:
        lib.add_folder(photos)
        out = run_index(lib)
        assert out["text"]["unavailable"] is None and out["text"]["read"] == 1
        assert used == [(root / "PP-OCRv6_rec_small.onnx", None)]  # the added model, not the bundled one
        row = lib.catalog.file_by_path(str(sign))
        assert row is not None and row.content_hash
        stored = lib.catalog.text_for_hash(row.content_hash)
        assert stored is not None and stored.status == "read" and "BOARDING PASS" in stored.text.upper()

    # back to the bundled reader; removing the added one
    assert run_cli(data_dir, "models", "use", "pp-ocrv6-bundled").returncode == 0
    assert _readers(data_dir)["pp-ocrv6-bundled"]["chosen"]
    assert run_cli(data_dir, "models", "remove", READER).returncode == 0
    assert READER not in _readers(data_dir) and not root.exists()


def test_a_text_reader_changed_after_import_is_refused_and_the_pass_says_why(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_model(data_dir, tiny_model)
    root = _import(data_dir, tmp_path)
    assert run_cli(data_dir, "models", "use", READER).returncode == 0
    onnx = root / "PP-OCRv6_rec_small.onnx"
    data = bytearray(onnx.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte changed, same size
    onnx.write_bytes(bytes(data))

    r = run_cli(data_dir, "models", "use", READER)  # choosing it again: refused, plainly
    assert r.returncode != 0 and "not the file that was imported" in r.stderr, r.stderr

    engines: list[Any] = []
    monkeypatch.setattr(ocr, "_make_engine", lambda *a: engines.append(a))
    photos = tmp_path / "photos"
    sign = photo_with_words(photos / "sign.jpg", "BOARDING PASS", seed=1)
    with Library(Paths.resolve(data_dir), write=True, purpose="test") as lib:
        lib.add_folder(photos)
        out = run_index(lib)
        why = out["text"]["unavailable"]
        assert why and READER in why and "checksum mismatch" in why
        assert engines == []  # never read with the changed file, nor silently with another model
        row = lib.catalog.file_by_path(str(sign))
        assert row is not None and row.content_hash
        assert lib.catalog.text_for_hash(row.content_hash) is None  # still to read once it is fixed
    assert out["text"]["read"] == 0


def test_the_service_reads_with_the_chosen_text_reader(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The background service's text step (``TextSteps``) reads with the text reader chosen, too."""
    from photosearch.app.models import use_text_reader
    from photosearch.models.text_reader_pkg import import_text_reader
    from tests.support.service import Running, open_test_library, wait_until

    used = _spy_on_engines(monkeypatch)
    photos = tmp_path / "photos"
    sign = photo_with_words(photos / "sign.jpg", "EXIT ONLY", seed=4)
    lib = open_test_library(tiny_model, data_dir)
    try:
        pkg = import_text_reader(_rec_folder(tmp_path), lib.paths.models_dir, scripts=["latin"])
        use_text_reader(lib, pkg.id)
        lib.add_folder(photos)
        with Running(lib, read_text=True) as svc:
            wait_until(lambda: svc.idle and lib.catalog.text_counts() == (1, 1), 60, "the text pass")
        assert used == [(pkg.model_path, None)]
        row = lib.catalog.file_by_path(str(sign))
        assert row is not None and row.content_hash
        stored = lib.catalog.text_for_hash(row.content_hash)
        assert stored is not None and "EXIT" in stored.text.upper()
    finally:
        lib.close()


def test_the_running_service_reads_the_choice_once_and_takes_a_handed_over_models_use_at_the_next_photo(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's text step reads which text reader is chosen (the catalog's CHOICE_KEY) once, not for
    every photo; a ``models use`` handed over to the running owner (``models_request``, as the window and
    ``photosearch watch`` run it) is read again before the next photo, which is read with the new reader."""
    from photosearch.app.handover import models_request
    from photosearch.models.text_reader_pkg import CHOICE_KEY, import_text_reader
    from tests.support.service import Running, open_test_library, wait_until

    used = _spy_on_engines(monkeypatch)
    photos = tmp_path / "photos"
    later = tmp_path / "later"
    for i, words in enumerate(("EXIT ONLY", "NO PARKING", "PLATFORM NINE")):
        photo_with_words(photos / f"first{i}.jpg", words, seed=10 + i)
    for i, words in enumerate(("OPEN DAILY", "TICKETS HERE")):
        photo_with_words(later / f"later{i}.jpg", words, seed=20 + i)
    lib = open_test_library(tiny_model, data_dir)
    asked: list[str] = []  # the worker thread's reads of the choice
    real_get_meta = lib.catalog.get_meta

    def get_meta(key: str, default: str | None = None) -> str | None:
        if key == CHOICE_KEY and threading.current_thread().name == "photosearch-indexer":
            asked.append(key)
        return real_get_meta(key, default)

    monkeypatch.setattr(lib.catalog, "get_meta", get_meta)
    try:
        pkg = import_text_reader(_rec_folder(tmp_path), lib.paths.models_dir, scripts=["latin"])
        lib.add_folder(photos)
        with Running(lib, read_text=True) as svc:
            wait_until(
                lambda: svc.idle and lib.catalog.text_counts() == (3, 3), 120, "the first photos' text"
            )
            assert (
                used == [None] and len(asked) == 1
            )  # three photos, the bundled reader, one read of the choice
            answer = models_request({"action": "use", "name": pkg.id}, lib, lambda d: None)
            assert answer["text_reader"] and answer["chosen"]
            for p in sorted(later.iterdir()):
                shutil.copy2(p, photos / p.name)
            svc.request_scan()
            wait_until(
                lambda: svc.idle and lib.catalog.text_counts() == (5, 5), 120, "the later photos' text"
            )
        assert used == [None, (pkg.model_path, None)]  # the later photos: with the reader chosen meanwhile
        assert len(asked) == 2
        for name, words in (("later0.jpg", "OPEN"), ("later1.jpg", "TICKETS")):
            row = lib.catalog.file_by_path(str(photos / name))
            assert row is not None and row.content_hash
            stored = lib.catalog.text_for_hash(row.content_hash)
            assert stored is not None and words in stored.text.upper()
    finally:
        lib.close()


def _spy_on_engines(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The recognition model each OCR engine built from now on was given (None: the bundled one)."""
    used: list[Any] = []
    real = ocr._make_engine

    def spy(threads: int, det_side: int, recognition: Any = None) -> Any:
        used.append(recognition)
        return real(threads, det_side, recognition)

    monkeypatch.setattr(ocr, "_make_engine", spy)
    return used
