"""Text reader packages (``photosearch.models.text_reader_pkg``): what the import refuses and accepts, on the
bundled recognition ONNX (as published, and with its character list moved out of its metadata into a
dictionary file as PaddleOCR publishes it for other runtimes)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from photosearch.errors import ManifestError
from photosearch.models import text_reader_pkg as trp
from photosearch.text import ocr

pytestmark = pytest.mark.skipif(not ocr.available(), reason="the OCR package (rapidocr) is not installed")

REC = ocr.MODEL_FILES["Rec"]


def _without_metadata(folder: Path) -> list[str]:
    """The bundled ONNX with its ``character`` metadata removed (into ``folder``); returns the list."""
    import onnx

    model = onnx.load(str(ocr.model_dir() / REC))
    chars = next(p.value for p in model.metadata_props if p.key == "character").splitlines()
    del model.metadata_props[:]
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(folder / "other_rec.onnx"))
    return chars


def test_a_model_without_a_character_list_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _without_metadata(src)
    with pytest.raises(ManifestError, match="no character list"):
        trp.import_text_reader(src, tmp_path / "models", scripts=["latin"])
    assert not (tmp_path / "models" / "text-readers" / "other-rec").exists()


def test_a_dictionary_of_another_length_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    chars = _without_metadata(src)
    (src / "dict.txt").write_text("\n".join(chars[:-5]) + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="do not belong together"):
        trp.import_text_reader(src, tmp_path / "models", scripts=["latin"])


def test_unknown_scripts_and_a_guessable_name_are_refused_not_guessed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(ocr.model_dir() / REC, src / "cyrillic_PP-OCRv5_rec_mobile.onnx")
    with pytest.raises(ManifestError, match="--script cyrillic"):
        trp.import_text_reader(src, tmp_path / "models")
    with pytest.raises(ManifestError, match="unknown script klingon"):
        trp.import_text_reader(src, tmp_path / "models", scripts=["klingon"])


def test_a_dictionary_file_is_installed_and_read_with(tmp_path: Path) -> None:
    src = tmp_path / "src"
    chars = _without_metadata(src)
    (src / "dict.txt").write_text("\n".join(chars) + "\n", encoding="utf-8")
    models = tmp_path / "models"
    pkg = trp.import_text_reader(src, models, scripts=["latin", "cjk"], reader_id="with-dict")
    m = json.loads((pkg.root / "manifest.json").read_text())
    assert m["dictionary"] == "dict.txt" and set(m["files"]) == {"other_rec.onnx", "dict.txt"}
    assert m["extra"]["rapidocr_model"] is None  # changed file: not the published one
    assert [p.id for p in trp.installed_text_readers(models)] == ["with-dict"]
    # the engine reads with the package's model and its dictionary file
    loaded = trp.load_text_reader(models, "with-dict")
    engine = ocr._Engine(1, (loaded.model_path, loaded.dict_path))
    from PIL import Image, ImageDraw, ImageFont

    im = Image.new("RGB", (420, 60), (250, 250, 245))
    ImageDraw.Draw(im).text((10, 4), "VIA ROMA", font=ImageFont.load_default(size=44), fill=(10, 10, 10))
    [(text, score)] = engine.recognise([np.asarray(im)[:, :, ::-1].copy()])
    assert text.upper().replace(" ", "") == "VIAROMA" and score > 0.8
    # a package folder imports again as it is (its scripts kept), and the dictionary is checked too
    again = trp.import_text_reader(pkg.root, tmp_path / "models2")
    assert again.manifest.scripts == ("latin", "cjk") and again.dict_path is not None
    (loaded.root / "dict.txt").write_text("\n".join(chars[::-1]) + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="dict.txt' is not the file that was imported"):
        trp.load_text_reader(models, "with-dict")


def test_the_running_owner_imports_and_chooses_a_text_reader(tmp_path: Path, data_dir: Path) -> None:
    """``models import --script … --use`` handed to the window: the scripts travel with the request."""
    from photosearch.app.handover_models import models_request
    from photosearch.config import Paths
    from photosearch.library.library import Library

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(ocr.model_dir() / REC, src / REC)
    with Library(Paths.resolve(data_dir), write=True, purpose="test") as lib:
        with pytest.raises(ManifestError, match="say which scripts"):
            models_request({"action": "import", "name": str(src)}, lib, lambda d: None)
        answer = models_request(
            {"action": "import", "name": str(src), "scripts": ["latin", "cjk"], "use": True},
            lib,
            lambda d: None,
        )
        assert answer["layout"] == "text-recognition" and answer["chosen"]
        assert answer["checks"]["published"] == "matches rapidocr's published multi_PP-OCRv6_rec_small"
        assert lib.catalog.get_meta(trp.CHOICE_KEY) == answer["installed"] == "pp-ocrv6-rec-small"
        assert lib.active_model_id() is None  # no search model became active by it
        back = models_request({"action": "use", "name": trp.BUNDLED_ID}, lib, lambda d: None)
        assert back["text_reader"] and lib.catalog.get_meta(trp.CHOICE_KEY) is None


def test_a_text_reader_and_a_search_model_are_checked_by_one_function_and_say_the_same(
    tmp_path: Path, tiny_model: Path
) -> None:
    """One file check (``manifest.verify_files``) for both kinds of package: a missing file, a file of
    another size and a changed file of the same size are each named with whose file it is, what differs
    and since when; the text reader's message also says what to do."""
    from photosearch.models.manifest import load_package

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(ocr.model_dir() / REC, src / REC)
    models = tmp_path / "models"
    reader = trp.import_text_reader(src, models, scripts=["latin"], reader_id="added").root
    search = tmp_path / "search-model"
    shutil.copytree(tiny_model, search)
    model_id = json.loads((search / "manifest.json").read_text())["id"]
    advice = (
        "; import it again, or go back to the bundled reader with 'photosearch models use pp-ocrv6-bundled'"
    )

    def why(load, folder: Path, name: str, change) -> str:  # type: ignore[no-untyped-def]
        original = (folder / name).read_bytes()
        change(folder / name, original)
        try:
            with pytest.raises(ManifestError) as e:
                load()
            return str(e.value)
        finally:
            (folder / name).write_bytes(original)

    def flip(p: Path, data: bytes) -> None:
        p.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))

    def cut(p: Path, data: bytes) -> None:
        p.write_bytes(data[:-10])

    def gone(p: Path, data: bytes) -> None:
        p.unlink()

    for load, folder, name, owner, origin, tail in (
        (lambda: trp.load_text_reader(models, "added"), reader, REC, "text reader 'added'", "imported", advice),
        (lambda: load_package(search, verify="sha256"), search, "visual.onnx", f"model '{model_id}'", "packaged", ""),
    ):  # fmt: skip
        size = (folder / name).stat().st_size
        changed = why(load, folder, name, flip)
        assert changed.startswith(
            f"{owner}: its file '{name}' is not the file that was {origin} (checksum mismatch: sha256 "
        )
        assert changed.endswith(f"; changed or damaged){tail}")
        assert why(load, folder, name, cut) == (
            f"{owner}: its file '{name}' has {size - 10} bytes, the manifest says {size} "
            f"(changed or damaged since it was {origin}){tail}"
        )
        assert why(load, folder, name, gone) == (
            f"{owner}: its file '{name}', listed in the manifest, is missing from {folder}{tail}"
        )
        load()  # the file put back: it loads again


def test_the_import_lists_its_files_as_a_search_models_manifest_does(tmp_path: Path) -> None:
    """The imported manifest's ``files`` are ``manifest.file_entries`` of the source folder (size and sha256,
    the one function that writes them for search models too), the unused dictionary left out."""
    from photosearch.models.manifest import file_entries

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy2(ocr.model_dir() / REC, src / REC)
    (src / "dict.txt").write_text("a\nb\n", encoding="utf-8")  # not used: the ONNX carries its list
    pkg = trp.import_text_reader(src, tmp_path / "models", scripts=["cjk"])
    written = json.loads((pkg.root / "manifest.json").read_text())["files"]
    assert written == file_entries(src, [REC]) == file_entries(pkg.root, [REC])
    assert written[REC]["size"] == (ocr.model_dir() / REC).stat().st_size
