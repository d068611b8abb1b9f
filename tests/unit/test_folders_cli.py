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


def test_three_cli_index_runs_count_only_the_photos_a_person_put_there(
    tmp_path: Path, tiny_model: Path
) -> None:
    """Issue 18's case through `photosearch index`: the data folder inside the added folder, a venv, a
    CACHEDIR.TAG folder and another library's data folder, all under arbitrary names."""
    from photosearch.config import Paths
    from photosearch.library.folders import CACHEDIR_TAG_TEXT
    from photosearch.library.library import Library

    top = tmp_path / "Photos"
    mine = make_photos(top, 5) + make_photos(top / "2024", 3, seed=2)
    data = top / "library data"
    make_photos(top / "py" / "share" / "icons", 3, seed=3)
    (top / "py" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    make_photos(top / "renders", 2, seed=4)
    (top / "renders" / "CACHEDIR.TAG").write_text(CACHEDIR_TAG_TEXT)
    other = Paths(top / "Mum's")
    with Library(other, write=True) as o:
        o.add_folder(top / "2024")
    make_photos(other.thumbs_dir / "aa", 2, seed=5)
    run_cli(data, "models", "import", str(tiny_model))
    run_cli(data, "folders", "add", str(top))
    counts = [run_json(data, "index")["counts"]["indexed"] for _ in range(3)]
    assert counts == [len(mine)] * 3
    assert any((data / "thumbs").rglob("*.jpg"))


def test_a_folder_verb_without_a_folder_says_so(data_dir: Path) -> None:
    """`folders add` (or remove, pause, …) with no folder did nothing and exited 0 — `add` even said "run
    'photosearch index' to index them". Each says what it needs, exit code 2, nothing changed."""
    from tests.support.cli import invoke

    for action in ("add", "remove", "pause", "resume", "exclude", "include", "text-on", "text-off"):
        out = invoke(data_dir, "folders", action)
        assert out.code == 2 and out.error is None, (action, out)
        assert f"folders {action} needs" in out.stderr and "FOLDER" in out.stderr, (action, out.stderr)
        assert out.stdout == "", (action, out.stdout)
    assert invoke(data_dir, "folders", "list", "--json").json() == []


def test_a_folder_whose_name_is_not_utf8_is_refused_in_one_line(tmp_path: Path, data_dir: Path) -> None:
    """A folder named in another encoding (Latin-1 'é' from an old disk) crashed `folders add` with a
    UnicodeEncodeError traceback from SQLite; it is refused like such a file is skipped: rename it."""
    from tests.support.cli import invoke

    odd = os.fsdecode(bytes(tmp_path) + b"/fold\xe9r")
    make_photos(Path(odd), 1)
    out = invoke(data_dir, "folders", "add", odd)
    assert out.code == 2 and out.error is None, out
    assert "not valid text (UTF-8)" in out.stderr and "rename" in out.stderr, out.stderr
    assert "fold\\xe9r" in out.stderr, out.stderr  # shown escaped, as skipped files are
    assert invoke(data_dir, "folders", "list", "--json").json() == []
