"""``models use`` on what a person (or a hostile tester) may have put in ``models/`` by hand: a package whose
manifest lists a file that is not there, points outside its folder (``..``), or whose folder name is another
model's id — refused with the reason and what to do, the model in use unchanged. Before, each was 'now using
…' (exit 0) and every search and index after it failed. A name that is not installed gets the command that
helps: 'models install ID' for a registry model, the id it was installed as, or the nearest installed id."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from photosearch.errors import ManifestError, ModelNotInstalled
from tests.conftest import SHAPES_MODEL
from tests.unit._cli import cli_main as _cli


def _copy_in(data: Path, folder: str, **changes: object) -> Path:
    """The shapes model copied into models/FOLDER by hand, its manifest changed as given (id = FOLDER)."""
    dest = data / "models" / folder
    shutil.copytree(SHAPES_MODEL, dest)
    m = json.loads((dest / "manifest.json").read_text())
    m["id"] = folder
    for key, value in changes.items():
        target = m
        *parents, leaf = key.split(".")
        for p in parents:
            target = target[p]
        target[leaf] = value
    (dest / "manifest.json").write_text(json.dumps(m))
    return dest


def _active(capsys: pytest.CaptureFixture[str]) -> str | None:
    rc, out, _ = _cli(capsys, "models", "list", "--json")
    assert rc == 0
    return json.loads(out)["active"]


@pytest.fixture
def library(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    assert _active(capsys) == "shapes-tiny"
    return data_dir


def test_a_hand_copied_package_missing_a_file_is_refused(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (_copy_in(library, "liar-missing") / "tokenizer.json").unlink()
    rc, _, err = _cli(capsys, "models", "use", "liar-missing")
    assert rc == ManifestError.exit_code, err
    assert "model 'liar-missing' cannot be used" in err and "'tokenizer.json'" in err and "missing" in err
    assert "photosearch models remove liar-missing" in err
    assert _active(capsys) == "shapes-tiny"


def test_a_hand_copied_package_pointing_outside_its_folder_is_refused(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _copy_in(library, "liar-dotdot", **{"vision.file": "../shapes-tiny/visual.onnx"})
    rc, _, err = _cli(capsys, "models", "use", "liar-dotdot")
    assert rc == ManifestError.exit_code, err
    assert "must be a path inside the package" in err
    assert _active(capsys) == "shapes-tiny"


def test_a_folder_holding_another_models_manifest_is_refused(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(SHAPES_MODEL, library / "models" / "my-model")  # its manifest says 'shapes-tiny'
    rc, _, err = _cli(capsys, "models", "use", "my-model")
    assert rc == ManifestError.exit_code, err
    assert "holds the model 'shapes-tiny'" in err and "photosearch models import FOLDER" in err
    assert _active(capsys) == "shapes-tiny"


def test_a_name_not_installed_gets_the_command_that_helps(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, _, err = _cli(capsys, "models", "use", "openclip-vit-b-32-laion2b")  # in the registry
    assert rc == ModelNotInstalled.exit_code
    assert "install it first: photosearch models install openclip-vit-b-32-laion2b" in err, err
    rc, _, err = _cli(capsys, "models", "use", "ViT-B-32__laion2b_s34b_b79k")  # Immich's name for it
    assert "photosearch models install openclip-vit-b-32-laion2b" in err, err
    rc, _, err = _cli(capsys, "models", "use", "shapes-tiy")  # a typo of an installed one
    assert rc == ModelNotInstalled.exit_code and "did you mean 'shapes-tiny'?" in err, err
    rc, _, err = _cli(capsys, "models", "remove", "shapes-tiy")
    assert rc == ModelNotInstalled.exit_code and "did you mean 'shapes-tiny'?" in err, err
    assert _active(capsys) == "shapes-tiny"
    assert (library / "models" / "shapes-tiny" / "manifest.json").is_file()


def test_a_broken_package_can_still_be_removed(library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (_copy_in(library, "liar-missing") / "visual.onnx").unlink()
    rc, out, err = _cli(capsys, "models", "remove", "liar-missing")
    assert rc == 0, err
    assert not (library / "models" / "liar-missing").exists()
    assert _active(capsys) == "shapes-tiny"
