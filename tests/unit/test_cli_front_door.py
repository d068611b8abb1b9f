"""The command line's front door for a new user: ``photosearch --version`` (before: 'the following arguments
are required: COMMAND', exit 2), ``photosearch models --help`` naming every action with examples that parse
(before: the bare list of action names), and ``photosearch models verify`` (before: 'invalid choice'), which
checks installed models as an install does — a manifest that lies about its embedding size is found here."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from photosearch.errors import ManifestError, ModelNotInstalled
from tests.conftest import SHAPES_MODEL
from tests.unit._cli import cli_main as _cli

REPO = Path(__file__).resolve().parents[2]


def test_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = subprocess.run(
        [sys.executable, "-m", "photosearch", "--data-dir", str(data), "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"photosearch (\d+\.\d+\S*|unknown \(.*\))\n", r.stdout), r.stdout
    assert not data.exists()  # asking the version creates nothing


def test_models_help_names_every_action_and_its_examples_parse() -> None:
    from photosearch.cli import build_parser
    from photosearch.cli.models_cmd import MODELS_HELP

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    models = sub.choices["models"]  # type: ignore[index]
    action = next(a for a in models._actions if a.dest == "action")
    assert models.format_help().rstrip().endswith(MODELS_HELP.rstrip().splitlines()[-1])
    listed = {ln.split()[0] for ln in MODELS_HELP.split("examples:")[0].splitlines() if re.match(r"  \S", ln)}
    assert listed == set(action.choices)
    examples = [ln.strip() for ln in MODELS_HELP.split("examples:")[1].splitlines() if ln.strip()]
    assert len(examples) >= 4
    for line in examples:
        args = parser.parse_args(shlex.split(line)[1:])
        assert args.command == "models" and args.action in action.choices


def test_models_verify(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _cli(capsys, "models", "verify")
    assert rc == 0 and out.startswith("no model is installed")
    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    rc, out, err = _cli(capsys, "models", "verify")
    assert rc == 0 and out == "ok      model shapes-tiny\n", (out, err)
    # copied in by hand, with a manifest that lies about the embedding size
    liar = data_dir / "models" / "liar-dims"
    shutil.copytree(SHAPES_MODEL, liar)
    m = json.loads((liar / "manifest.json").read_text())
    m["id"], m["embedding_dim"] = "liar-dims", 512
    (liar / "manifest.json").write_text(json.dumps(m))
    rc, out, err = _cli(capsys, "models", "verify", "--json")
    assert rc == ManifestError.exit_code
    found = {v["id"]: v for v in json.loads(out)["models"]}
    assert found["shapes-tiny"]["ok"] and not found["liar-dims"]["ok"]
    assert "'embedding_dim' is 512, but the image model outputs 64" in found["liar-dims"]["problem"]
    # a changed byte in an installed file
    with open(data_dir / "models" / "shapes-tiny" / "tokenizer.json", "r+b") as f:
        first = f.read(1)
        f.seek(0)
        f.write(bytes([first[0] ^ 0x20]))
    rc, out, err = _cli(capsys, "models", "verify", "shapes-tiny")
    assert rc == ManifestError.exit_code and out.startswith("BROKEN  model shapes-tiny: "), out
    assert "tokenizer.json" in out and "models remove NAME" in err
    rc, _, err = _cli(capsys, "models", "verify", "shapes-tiy")
    assert rc == ModelNotInstalled.exit_code and "did you mean 'shapes-tiny'?" in err


def test_models_verify_of_the_bundled_text_reader(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The text reader that ships with the OCR package is installed (before: 'is not installed', exit 3)."""
    rc, out, err = _cli(capsys, "models", "verify", "pp-ocrv6-bundled")
    assert rc == 0 and out == "ok      text reader pp-ocrv6-bundled\n", (out, err)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("uninstall", "remove"),  # before: "did you mean 'install'?", the opposite
        ("delete", "remove"),
        ("rm", "remove"),
        ("download", "install"),
        ("switch", "use"),
        ("activate", "use"),
        ("check", "verify"),
        ("ls", "list"),
    ],
)
def test_a_models_action_by_another_word_suggests_the_one_meant(
    typed: str, meant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from photosearch.cli import main

    with pytest.raises(SystemExit) as e:
        main(["models", typed, "x"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith(f"did you mean '{meant}'?"), err


def test_an_option_of_another_action_is_refused_before_anything_changes(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'models remove NAME --dry-run' removed the model (and every embedding made with it): --dry-run is
    install's, and every option that does not apply to the action was silently ignored."""
    from photosearch.errors import QueryError

    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    for args, word in (
        (("remove", "shapes-tiny", "--dry-run"), "--dry-run"),
        (("use", "shapes-tiny", "--script", "latin"), "--script"),
        (("import", str(SHAPES_MODEL), "--later"), "--later"),
        (("remove", "shapes-tiny", "--use"), "--use"),
        (("list", "shapes-tiny"), "NAME"),
    ):
        rc, _, err = _cli(capsys, "models", *args)
        assert rc == QueryError.exit_code, (args, err)
        assert word in err and "nothing was changed" in err, (args, err)
    assert (data_dir / "models" / "shapes-tiny" / "manifest.json").is_file()
    rc, out, _ = _cli(capsys, "models", "list", "--json")
    assert json.loads(out)["active"] == "shapes-tiny"
