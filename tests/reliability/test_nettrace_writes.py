"""The privacy proof's detector (``tests/reliability/nettrace.py``) must see every way a run can change a
file outside PhotoSearch's folders, not only the files it creates: "your photos are never touched" is what
it stands for. A negative control, under the same strace: a program that writes into an existing photo,
truncates one, appends to a dotfile, deletes one and moves one into the data folder — each must be reported,
and the same program touching only the data folder must report nothing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.reliability import nettrace

VANDAL = """
import os, sys
photos, data = sys.argv[1], sys.argv[2]
with open(os.path.join(photos, "a.jpg"), "r+b") as f:  # written in place: no O_CREAT
    f.write(b"X")
os.truncate(os.path.join(photos, "b.jpg"), 0)
with open(os.path.join(photos, ".profile"), "a") as f:
    f.write("echo hi")
os.unlink(os.path.join(photos, "c.jpg"))
os.rename(os.path.join(photos, "d.jpg"), os.path.join(data, "d.jpg"))
with open(os.path.join(data, "own.txt"), "w") as f:  # inside the data folder: allowed
    f.write("ok")
"""


def _run(tmp_path: Path, photos: Path, data: Path) -> list[str]:
    t = nettrace.run_traced(
        [sys.executable, "-c", VANDAL, str(photos), str(data)],
        env=dict(os.environ),
        cwd=str(tmp_path),
        unix_ok=lambda _p: True,
        netns=[],
    )
    assert t.returncode == 0, t.stderr
    return t.problems(lambda p: nettrace.under(p, [data]))


def test_the_detector_reports_changed_and_removed_files_not_only_created_ones(tmp_path: Path) -> None:
    why = nettrace.strace_available()
    if why:
        pytest.skip(why)
    photos, data = tmp_path / "photos", tmp_path / "data"
    photos.mkdir()
    data.mkdir()
    for name in ("a.jpg", "b.jpg", ".profile", "c.jpg", "d.jpg"):
        (photos / name).write_bytes(b"\xff\xd8\xff photo")
    found = "\n".join(_run(tmp_path, photos, data))
    for name in ("a.jpg", "b.jpg", ".profile", "c.jpg", "d.jpg"):
        assert str(photos / name) in found, (name, found)
    assert "own.txt" not in found, found

    # the control's other half: the same kinds of calls inside the data folder are not reported
    inside = data / "photos"
    inside.mkdir()
    for name in ("a.jpg", "b.jpg", ".profile", "c.jpg", "d.jpg"):
        (inside / name).write_bytes(b"\xff\xd8\xff photo")
    assert _run(tmp_path, inside, data) == []
