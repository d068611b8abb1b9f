"""The folder rules through the real CLI: refusals are one plain line with exit code 2, a broad folder
needs --yes, exclusions are edited with `folders exclude/include`, `duplicates` lists no false copies."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.helpers import make_photos, run_cli, run_json


def test_cli_folder_rules(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    run_cli(data_dir, "models", "import", str(tiny_model))
    pics = tmp_path / "Pictures"
    a, b = make_photos(pics, 2)
    os.link(a, pics / "same_file.jpg")
    (pics / "copy.jpg").write_bytes(b.read_bytes())
    (tmp_path / "alias").symlink_to(pics)
    run_cli(data_dir, "folders", "add", str(pics))
    for args, words in [
        (("folders", "add", str(tmp_path / "alias")), "is a link to the added folder"),
        (("folders", "add", str(pics / "sub")), None),
        (("folders", "remove", str(pics / "x")), None),
    ]:
        (pics / "sub").mkdir(exist_ok=True)
        (pics / "x").mkdir(exist_ok=True)
        r = run_cli(data_dir, *args, check=False)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.stderr and "Errno" not in r.stderr, r.stderr
        if words:
            assert words in lines[0]
    r = run_cli(data_dir, "folders", "add", "/", check=False)
    assert r.returncode == 2 and "--yes" in r.stderr and "photos" in r.stderr, r.stderr
    out = run_json(data_dir, "folders", "exclude", str(pics), "Screenshots")
    assert out["exclude"][-1] == "Screenshots"
    run_cli(data_dir, "index")
    groups = run_json(data_dir, "duplicates")["groups"]
    assert [sorted(Path(f["path"]).name for f in g["files"]) for g in groups] == [["copy.jpg", b.name]]
    assert [f["path"] for f in run_json(data_dir, "folders", "list")] == [str(pics)]
