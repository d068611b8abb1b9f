"""``models remove`` of the model in use, on a real indexed library: its package, its embeddings and its
vector index files all go (before, the index files stayed and 'doctor' warned of leftovers at once), and the
command says what went and what searches use now (before: 'removed model X', nothing about the embeddings
or that no model was left)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SHAPES_MODEL
from tests.unit._cli import cli_main as _cli
from tests.unit._cli import indexed_with_shapes


def test_removing_the_model_in_use_leaves_nothing_behind_and_says_so(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = tmp_path / "photos"
    indexed_with_shapes(capsys, photos, 6)
    assert any(p.name.startswith("shapes-tiny.g") for p in (data_dir / "index").iterdir())

    rc, out, err = _cli(capsys, "models", "remove", "shapes-tiny")
    assert rc == 0, err
    assert out.startswith("removed model shapes-tiny and its 6 embeddings"), out
    assert "no model is installed now" in out and "photosearch models install NAME" in out, out
    assert not (data_dir / "models" / "shapes-tiny").exists()
    assert not [p.name for p in (data_dir / "index").iterdir() if p.name.startswith("shapes-tiny.")]
    rc, out, _ = _cli(capsys, "doctor", "--json")
    findings = json.loads(out)["findings"]
    assert not [f for f in findings if f["check"] == "leftovers"], findings
    rc, out, _ = _cli(capsys, "status", "--json")
    assert json.loads(out)["counts"]["pending"] == 6  # the photos wait for the next model


def test_removing_a_model_not_in_use_keeps_the_one_in_use(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    other = tmp_path / "other"
    shutil.copytree(SHAPES_MODEL, other)
    m = json.loads((other / "manifest.json").read_text())
    m["id"] = "shapes-other"
    (other / "manifest.json").write_text(json.dumps(m))
    assert _cli(capsys, "models", "import", str(other))[0] == 0
    rc, out, _ = _cli(capsys, "models", "remove", "shapes-other", "--json")
    assert rc == 0
    assert json.loads(out) == {"removed": "shapes-other", "embeddings": 0, "active": "shapes-tiny"}
    rc, out, _ = _cli(capsys, "models", "list", "--json")
    assert json.loads(out)["active"] == "shapes-tiny"
