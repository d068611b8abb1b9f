"""A new library on a nearly full disk (a small tmpfs made for the test): creating the catalog's schema fails
when its COMMIT meets the full disk. SQLite has rolled the transaction back itself by then, and the
migration's own ROLLBACK raised "cannot rollback - no transaction is active": a traceback and exit 1.
Now: the plain full-disk message (exit 6) and, with room again, the same command works."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability._util import free_bytes, run_cli, small_tmpfs


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "tinyfs", "1m") as point:
        yield point


def _leave_free(fs: Path, nbytes: int) -> Path:
    free = free_bytes(fs)
    filler = fs / "filler.bin"
    filler.unlink(missing_ok=True)
    with open(filler, "wb") as f:
        f.truncate(0)
        os.posix_fallocate(f.fileno(), 0, max(free - nbytes, 1))
    return filler


@pytest.mark.parametrize("free_kb", [40, 80, 120])
def test_a_new_library_on_a_full_disk_says_so_in_plain_words(tiny_fs: Path, free_kb: int) -> None:
    photos = tiny_fs / "photos"
    photos.mkdir()
    data = tiny_fs / "data"
    filler = _leave_free(tiny_fs, free_kb * 1024)
    r = run_cli(data, "folders", "add", str(photos))
    assert "Traceback" not in r.stderr and "cannot rollback" not in r.stderr, r.stderr
    assert r.returncode == 6, (r.returncode, r.stderr)
    assert r.stderr.startswith("photosearch: the disk holding") and "is full" in r.stderr, r.stderr
    assert "free some space" in r.stderr, r.stderr
    filler.unlink()  # room again: the same command works on what was left behind
    r = run_cli(data, "folders", "add", str(photos))
    assert r.returncode == 0, r.stderr
