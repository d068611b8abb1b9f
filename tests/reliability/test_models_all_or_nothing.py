"""``models import`` and ``models install`` on a nearly full disk (a small tmpfs made for the test): the model
is installed and chosen with exit 0, or nothing is installed — one plain message, a non-zero exit, no package
left in ``models/``, the library's model choice as it was. Before, the package was installed first and the
library opened after: the library could not record it, the command exited 6, and the model stayed installed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHAPES_MODEL
from tests.hub_fixtures import native_registry
from tests.hub_server import hub_server
from tests.reliability._util import free_bytes, run_cli, small_tmpfs

REPO = "test-org/tiny-models"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "smallfs", "12m") as point:
        yield point


def _leave_free(fs: Path, nbytes: int) -> Path:
    filler = fs / "filler.bin"
    filler.unlink(missing_ok=True)
    with open(filler, "wb") as f:
        f.write(b"\0" * max(free_bytes(fs) - nbytes, 0))
    return filler


def _fill_up(fs: Path) -> None:
    """Every last block of ``fs`` taken."""
    with open(fs / "last-blocks.bin", "ab") as f:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    f.write(b"\0" * size)
                    f.flush()
            except OSError:
                pass


def _packages(models: Path) -> list[str]:
    """Everything in ``models/`` but the text readers' folder (created empty when listed)."""
    if not models.is_dir():
        return []
    return sorted(p.name for p in models.iterdir() if p.name != "text-readers")


@pytest.fixture
def full_when_choosing(small_fs: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The disk fills up just after the package is installed, as the library records the choice (the real
    activation then meets the real full disk); once only."""
    from photosearch.app import models as app_models

    real = app_models.activate_if_first
    calls: list[str] = []

    def fill_then_choose(lib: Any, model_id: str, use: bool = False) -> bool:
        calls.append(model_id)
        if len(calls) == 1:
            _fill_up(small_fs)
        return real(lib, model_id, use)

    monkeypatch.setattr(app_models, "activate_if_first", fill_then_choose)
    return calls


def test_import_that_the_library_cannot_record_installs_nothing(
    small_fs: Path, full_when_choosing: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from photosearch.cli import main

    data = small_fs / "data"
    rc = main(["--data-dir", str(data), "models", "import", str(SHAPES_MODEL)])
    err = capsys.readouterr().err
    assert full_when_choosing == ["shapes-tiny"]  # the package was installed, then the disk was full
    assert rc == 6, err
    assert err.startswith("photosearch: the disk holding") and "free some space" in err, err
    assert "shapes-tiny was not installed" in err, err
    assert _packages(data / "models") == []  # no package, no .incoming/.removing left over

    (small_fs / "last-blocks.bin").unlink()
    capsys.readouterr()
    assert main(["--data-dir", str(data), "models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["installed"] == [] and listing["active"] is None
    # space again: the same command installs and chooses it
    # space again: the same command installs and chooses it
    assert main(["--data-dir", str(data), "models", "import", str(SHAPES_MODEL)]) == 0, capsys.readouterr()
    assert full_when_choosing == ["shapes-tiny", "shapes-tiny"]
    capsys.readouterr()
    assert main(["--data-dir", str(data), "models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [m["id"] for m in listing["installed"]] == ["shapes-tiny"] and listing["active"] == "shapes-tiny"


def test_install_from_the_hub_that_the_library_cannot_record_installs_nothing_and_keeps_the_choice(
    small_fs: Path,
    tmp_path: Path,
    tiny_model: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from photosearch.app import models as app_models
    from photosearch.cli import main

    data = small_fs / "data"
    assert main(["--data-dir", str(data), "models", "import", str(SHAPES_MODEL)]) == 0  # in use
    monkeypatch.setenv(
        "PHOTOSEARCH_REGISTRY", str(native_registry(tmp_path, tiny_model, "tiny-served", REPO))
    )
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)
    real = app_models.activate_if_first
    monkeypatch.setattr(
        app_models,
        "activate_if_first",
        lambda lib, model_id, use=False: (_fill_up(small_fs), real(lib, model_id, use))[1],
    )
    capsys.readouterr()
    with hub_server() as (base, hub):
        for p in tiny_model.iterdir():
            hub.add(REPO, f"tiny-served/{p.name}", p.read_bytes())
        monkeypatch.setenv("PHOTOSEARCH_HUB_URL", base)
        rc = main(["--data-dir", str(data), "models", "install", "tiny-served", "--use", "-q"])
        err = capsys.readouterr().err
        assert rc == 6, err
        assert "tiny-random was not installed" in err and "free some space" in err, err
        assert _packages(data / "models") == ["shapes-tiny"]  # the new one is gone, the old one stays
        (small_fs / "last-blocks.bin").unlink()
        monkeypatch.setattr(app_models, "activate_if_first", real)
        assert main(["--data-dir", str(data), "models", "list", "--json"]) == 0
        listing = json.loads(capsys.readouterr().out)
        assert listing["active"] == "shapes-tiny" and listing["switching_to"] is None
        assert [m["id"] for m in listing["installed"]] == ["shapes-tiny"]
        # space again: the install completes and says so
        assert main(["--data-dir", str(data), "models", "install", "tiny-served", "--use", "-q"]) == 0
    assert "installed model tiny-random" in capsys.readouterr().out
    assert _packages(data / "models") == ["shapes-tiny", "tiny-random"]


@pytest.mark.parametrize("slack_kb", [-48, 0, 96, 176, 208, 240, 272, 320])
def test_import_at_any_free_space_is_all_or_nothing(small_fs: Path, slack_kb: int) -> None:
    """Free space from a little less than the model to a little more than the model and a new library: the
    command either installs and chooses the model (exit 0) or leaves no package behind, with a plain message.
    (The library is opened first: where even its catalog does not fit, that is the message.)"""
    data = small_fs / "data"
    model_bytes = sum(p.stat().st_size for p in SHAPES_MODEL.iterdir())
    _leave_free(small_fs, model_bytes + slack_kb * 1024)
    r = run_cli(data, "models", "import", str(SHAPES_MODEL))
    installed = _packages(data / "models")
    if r.returncode == 0:
        assert installed == ["shapes-tiny"], r.stdout
        (small_fs / "filler.bin").unlink()
        listing = json.loads(run_cli(data, "models", "list", "--json").stdout)
        assert listing["active"] == "shapes-tiny"
    else:
        assert "free some space" in r.stderr or "full" in r.stderr, r.stderr
        assert installed == [], (slack_kb, installed, r.stderr)
