"""Resource faults on a small filesystem made for the test (tmpfs): a full disk or a read-only data
directory gives a clear message and no corruption; work resumes when space returns."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability._util import cli_env, free_bytes, install_model, make_photos, run_cli, small_tmpfs


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "smallfs", "16m") as point:
        yield point


def test_disk_full_clear_message_no_corruption_and_resume(
    small_fs: Path, tmp_path: Path, tiny_model: Path
) -> None:
    data = small_fs / "data"
    install_model(data, tiny_model)
    photos = tmp_path / "photos"
    make_photos(photos, 250, size=(400, 300))
    assert run_cli(data, "folders", "add", str(photos), env=cli_env(data)).returncode == 0
    filler = small_fs / "filler.bin"
    with open(filler, "wb") as f:  # leave ~1.5 MB: scanning fits, thumbnails and embeddings run out of space
        f.write(b"\0" * max(free_bytes(small_fs) - 1500 * 1024, 0))

    r = run_cli(data, "index", "-q", "--batch-size", "8", timeout=180)
    assert r.returncode == 6, (r.returncode, r.stderr)
    assert "full" in r.stderr and "free some space" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    doctor = run_cli(data, "doctor", "--json", "--full")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stdout
    status = json.loads(run_cli(data, "status", "--json").stdout)
    assert status["counts"]["error"] == 0, "a full disk must not mark photos as unreadable"
    partial = status["counts"]["indexed"]

    filler.unlink()  # space returns: the work resumes and completes
    r = run_cli(data, "index", "-q", "--json", "--batch-size", "8", timeout=180)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"] == {"pending": 0, "indexed": 250, "error": 0}
    doctor = run_cli(data, "doctor", "--json", "--full")
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stdout
    search = run_cli(data, "search", "--json", "-k", "3", "a red circle")
    assert search.returncode == 0 and len(json.loads(search.stdout)["results"]) == 3
    print(f"\ndisk full after {partial} of 250 photos; resumed to 250 after freeing space")


def test_read_only_data_dir_clear_message_no_corruption(
    small_fs: Path, tmp_path: Path, tiny_model: Path
) -> None:
    data = small_fs / "data"
    install_model(data, tiny_model)
    photos = tmp_path / "photos"
    make_photos(photos, 20)
    r = run_cli(data, "index", "-q", "--add", str(photos))
    assert r.returncode == 0, r.stderr
    make_photos(photos, 5, seed=3)  # new work waiting
    before = (data / "catalog.sqlite3").read_bytes()
    rr = subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], capture_output=True, text=True)
    if rr.returncode != 0:
        pytest.skip(f"cannot remount read-only: {rr.stderr.strip()}")
    try:
        r = run_cli(data, "index", "-q")
        assert r.returncode in (5, 6), (r.returncode, r.stderr)
        assert "read-only" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
        for args in (("status",), ("search", "a red circle")):
            r = run_cli(data, *args)
            assert "Traceback" not in r.stderr, r.stderr
            assert r.returncode == 0 or "read-only" in r.stderr or "cannot open" in r.stderr, r.stderr
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=False)
    assert (data / "catalog.sqlite3").read_bytes() == before
    r = run_cli(data, "index", "-q", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"]["indexed"] == 25
    assert json.loads(run_cli(data, "doctor", "--json").stdout)["clean"]
