"""``models list`` with packages copied into ``models/`` by hand that cannot work: each is listed under its
folder's name (what 'models use' and 'models remove' take) and marked with the reason. Before, a package
missing a listed file was listed as sound, one pointing outside its folder was left out (a log warning
only), and a copy under another folder name was listed under its manifest's id — two 'shapes-tiny' rows,
both marked in use."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import SHAPES_MODEL
from tests.unit._cli import cli_main as _cli
from tests.unit._cli import indexed_with_shapes


def _copy_in(data: Path, folder: str, manifest_id: str | None = None, **fields: str) -> Path:
    dest = data / "models" / folder
    shutil.copytree(SHAPES_MODEL, dest)
    m = json.loads((dest / "manifest.json").read_text())
    m["id"] = manifest_id or folder
    for key, value in fields.items():
        m["vision"][key] = value
    (dest / "manifest.json").write_text(json.dumps(m))
    return dest


def test_broken_packages_are_listed_by_folder_with_the_reason(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    (_copy_in(data_dir, "liar-missing") / "tokenizer.json").unlink()
    _copy_in(data_dir, "liar-dotdot", file="../shapes-tiny/visual.onnx")
    _copy_in(data_dir, "my-model", manifest_id="shapes-tiny")

    rc, out, _ = _cli(capsys, "models", "list", "--json")
    assert rc == 0
    listing = json.loads(out)
    rows = {r["id"]: r for r in listing["installed"]}
    assert sorted(rows) == ["liar-dotdot", "liar-missing", "my-model", "shapes-tiny"]
    assert rows["shapes-tiny"]["problem"] == "" and rows["shapes-tiny"]["active"]
    assert [r["id"] for r in listing["installed"] if r["active"]] == ["shapes-tiny"]
    assert "'tokenizer.json'" in rows["liar-missing"]["problem"]
    assert "must be a path inside the package" in rows["liar-dotdot"]["problem"]
    assert "holds the model 'shapes-tiny'" in rows["my-model"]["problem"]

    rc, out, err = _cli(capsys, "models", "list")
    assert rc == 0
    lines = out.splitlines()
    for name in ("liar-dotdot", "liar-missing", "my-model"):
        line = next(ln for ln in lines if ln.split()[:1] == [name])
        assert "cannot be used:" in line, line
    installed = lines[: next(i for i, ln in enumerate(lines) if ln.startswith("available to install"))]
    assert [ln.split()[1] for ln in installed if ln.startswith(" * ")] == ["shapes-tiny"]
    assert "ignoring broken model package" not in err


def test_a_damaged_model_in_use_is_repaired_by_importing_it_again_and_keeps_its_photos(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hint for a damaged package is to install it again (its embeddings stay), not only to remove it
    (which drops every embedding made with it)."""

    photos = tmp_path / "photos"
    indexed_with_shapes(capsys, photos, 6)
    (data_dir / "models" / "shapes-tiny" / "textual.onnx").unlink()
    rc, out, _ = _cli(capsys, "models", "list")
    assert rc == 0 and "cannot be used" in out
    assert "install it again" in out and "the photos embedded with it stay" in out, out
    rc, out, err = _cli(capsys, "models", "import", str(SHAPES_MODEL))
    assert rc == 0, err
    rc, out, _ = _cli(capsys, "models", "list", "--json")
    assert [(r["id"], r["problem"], r["embeddings"]) for r in json.loads(out)["installed"]] == [
        ("shapes-tiny", "", 6)
    ]
    rc, out, _ = _cli(capsys, "search", "a red circle", "--json", "-k", "3")
    assert rc == 0 and len(json.loads(out)["results"]) == 3
