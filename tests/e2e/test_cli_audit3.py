"""What the third audit found on the command line, each checked as a person runs it (real files, a real
catalog and index, the CLI in a subprocess)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli, run_json
from tests.support.photos import make_photos


@pytest.fixture
def library(tmp_path: Path, data_dir: Path, tiny_model: Path) -> tuple[Path, Path]:
    run_cli(data_dir, "models", "import", str(tiny_model))
    photos = tmp_path / "disk" / "Pictures"
    make_photos(photos, 4)
    run_cli(data_dir, "folders", "add", str(photos))
    run_cli(data_dir, "index")
    return photos, data_dir


def test_status_says_a_folder_that_cannot_be_reached_now_is_offline(library: tuple[Path, Path]) -> None:
    photos, data = library
    assert [f["state"] for f in run_json(data, "status")["folders"]] == ["online"]
    photos.rename(photos.with_name("unplugged"))  # the disk went away; nothing has scanned since
    assert [f["state"] for f in run_json(data, "status")["folders"]] == ["offline"]  # before: 'online'
    assert "offline" in run_cli(data, "status").stdout
    photos.with_name("unplugged").rename(photos)
    assert [f["state"] for f in run_json(data, "status")["folders"]] == ["online"]
