"""What the command line says reads as English: counts agree with their nouns ("1 problem found", not
"1 problems found")."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import make_photos, run_cli


def test_doctor_counts_one_problem_in_the_singular(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    pics = tmp_path / "Pictures"
    make_photos(pics, 3)
    run_cli(data_dir, "models", "import", str(tiny_model))
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    (index_file,) = (data_dir / "index").glob("*.hnsw")
    with index_file.open("r+b") as f:  # a damaged cache file: one problem, repairable
        f.seek(200)
        f.write(b"\xff" * 64)
    r = run_cli(data_dir, "doctor", check=False)
    assert r.returncode == 1, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last == "1 problem found", r.stdout


def test_the_done_line_counts_the_files_the_scan_turned_away(
    tmp_path: Path, data_dir: Path, shapes_model: Path
) -> None:
    """2 good photos and 5 bad ones (3 damaged, 1 empty, 1 whose name is not UTF-8): the live line said
    "Done: 5 photos processed, 2 embedded, 3 skipped" above "2 photos indexed, 5 skipped" — the two files the
    scan rejects never reached the count. Both lines now say 5 skipped, and 7 photos were processed."""
    import os

    pics = tmp_path / "Pictures"
    good = make_photos(pics, 2)
    for i in range(3):
        (pics / f"damaged{i}.jpg").write_bytes(b"not a jpeg" * (i + 1))
    (pics / "empty.jpg").write_bytes(b"")
    with open(os.fsencode(pics) + b"/caf\xe9.jpg", "wb") as f:
        f.write(good[0].read_bytes())
    run_cli(data_dir, "models", "import", str(shapes_model))
    r = run_cli(data_dir, "index", "--add", str(pics))
    lines = [ln.strip() for ln in r.stderr.replace("\r", "\n").splitlines() if ln.strip()]
    done = [ln for ln in lines if ln.startswith("Done:")]
    assert done == ["Done: 7 photos processed, 2 embedded, 5 skipped"], r.stderr
    assert "2 photos indexed, 5 skipped, 0 pending" in r.stdout + r.stderr
    again = run_cli(data_dir, "index")  # nothing new: no count that reads like a contradiction of the summary
    again_lines = [ln.strip() for ln in again.stderr.replace("\r", "\n").splitlines() if ln.strip()]
    assert not [ln for ln in again_lines if "0 embedded, 0 skipped" in ln]
    # the file whose name is not UTF-8 was turned away before and is counted once, not on every run
    assert [ln for ln in again_lines if ln.startswith("Done:")] == ["Done: no new or changed photos"], (
        again.stderr
    )
