"""What the third audit found on the command line, each checked as a person runs it (real files, a real
catalog and index, the CLI in a subprocess)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHAPES_MODEL
from tests.support.cli import cli_env, run_cli, run_json
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


def test_a_file_too_large_to_write_is_said_with_the_file_being_written_not_a_traceback(
    tmp_path: Path,
) -> None:
    """A file-size limit (ulimit -f; a FAT32 disk's 4 GB is the same error, EFBIG) met while a model is copied
    in: before, a traceback ending in 'OSError: [Errno 27] File too large'; and a full disk was reported with
    the file being copied (the source), not the one being written."""
    data = tmp_path / "data"
    limit = 300_000  # bytes: the shapes model's ONNX files are larger

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "photosearch", "models", "import", str(SHAPES_MODEL)],
        env=cli_env(data),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=small_files,
    )
    assert proc.returncode == 6, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("photosearch: a file is larger than the disk or a file-size limit allows (")
    assert str(data / "models") in proc.stderr and str(SHAPES_MODEL) not in proc.stderr
    assert not [p for p in (data / "models").iterdir()]  # nothing half-copied is left
