"""``photosearch doctor`` on a damaged model package: its advice is to install the model again (which repairs
the package and keeps the photos embedded with it), never 'remove' first (removing drops every embedding made
with the model). Before, it said 'remove and install it again'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHAPES_MODEL
from tests.unit._cli import cli_main as _cli
from tests.unit._cli import indexed_with_shapes


def test_doctor_says_install_it_again_for_a_damaged_model_and_not_remove(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    photos = tmp_path / "photos"
    indexed_with_shapes(capsys, photos, 4)
    (data_dir / "models" / "shapes-tiny" / "textual.onnx").unlink()

    rc, out, err = _cli(capsys, "doctor", "--json")
    findings = [f for f in json.loads(out)["findings"] if f["check"] == "models"]
    assert len(findings) == 1, (out, err)
    message = findings[0]["message"]
    assert "model package shapes-tiny is damaged" in message, message
    assert "remove" not in message, message
    # an imported model (not from the registry): it is imported again from its folder
    assert message.endswith(
        "install it again (photosearch models import FOLDER, the folder it came from): "
        "the photos embedded with it stay"
    ), message
    # what it advises keeps the photos: importing the model again repairs it, the embeddings stay
    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    rc, out, _ = _cli(capsys, "doctor", "--json")
    assert not [f for f in json.loads(out)["findings"] if f["check"] == "models"], out
    rc, out, _ = _cli(capsys, "models", "list", "--json")
    assert [(r["id"], r["embeddings"]) for r in json.loads(out)["installed"]] == [("shapes-tiny", 4)]


def test_doctor_names_the_registry_id_of_a_damaged_downloaded_model(data_dir: Path) -> None:
    """A package downloaded from the registry: the advice names the id 'models install' takes."""
    import shutil

    from photosearch.config import Paths
    from photosearch.doctor.checks import Finding, _check_models

    dest = data_dir / "models" / "tiny-random"
    shutil.copytree(SHAPES_MODEL, dest)
    m = json.loads((dest / "manifest.json").read_text())
    m["id"] = "tiny-random"
    m["extra"] = {"download": {"registry_id": "tiny-served"}}
    (dest / "manifest.json").write_text(json.dumps(m))
    (dest / "textual.onnx").unlink()
    out: list[Finding] = []
    _check_models(Paths(data_dir=data_dir), out, False)
    assert [f.message.split("; ", 1)[1] for f in out] == [
        "install it again (photosearch models install tiny-served): the photos embedded with it stay"
    ], out
