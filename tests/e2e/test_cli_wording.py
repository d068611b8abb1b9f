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
