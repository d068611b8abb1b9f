"""``models import`` of another model under the id of an installed one: refused, the installed package and
the photos embedded with it untouched. Before, the import replaced the installed package silently, and the
library's embeddings — made by the old model under that id — were then searched with the new model's text
and photo vectors. Importing the same model again stays harmless."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from photosearch.errors import ManifestError
from tests.conftest import SHAPES_MODEL
from tests.unit._cli import cli_main as _cli
from tests.unit._cli import indexed_with_shapes


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_another_model_under_an_installed_id_is_refused(
    data_dir: Path, tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = tmp_path / "photos"
    indexed_with_shapes(capsys, photos, 6)
    installed = data_dir / "models" / "shapes-tiny"
    before = {p.name: _sha(p) for p in installed.iterdir() if p.is_file()}

    impostor = tmp_path / "impostor"
    shutil.copytree(tiny_model, impostor)
    m = json.loads((impostor / "manifest.json").read_text())
    m["id"] = "shapes-tiny"
    (impostor / "manifest.json").write_text(json.dumps(m))
    rc, _, err = _cli(capsys, "models", "import", str(impostor))
    assert rc == ManifestError.exit_code, err
    assert "another model with the id 'shapes-tiny' is installed" in err, err
    assert "photosearch models remove shapes-tiny" in err, err
    assert {p.name: _sha(p) for p in installed.iterdir() if p.is_file()} == before
    rc, out, _ = _cli(capsys, "status", "--json")
    assert json.loads(out)["counts"]["indexed"] == 6

    rc, out, err = _cli(capsys, "models", "import", str(SHAPES_MODEL))  # the same model again: fine
    assert rc == 0, err
    assert {p.name: _sha(p) for p in installed.iterdir() if p.is_file()} == before
