"""The command line's arguments as a person types them. Options go anywhere on a sub-command's line:
`folders add --yes ~/`, as the refusal itself suggests, `models import --use PATH`, `folders add --json
PATH` (argparse alone binds an optional positional to nothing when an option comes between the verb and the
value, then refuses the value as "unrecognized arguments"); a filter alone browses; a number outside its
range is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.e2e.helpers import make_photos, run_cli


def test_options_between_the_verb_and_its_paths(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    r = run_cli(data_dir, "models", "import", "--use", str(tiny_model), check=False)
    assert r.returncode == 0, r.stderr
    listed = json.loads(run_cli(data_dir, "models", "list", "--json").stdout)
    assert listed["active"] == "tiny-random", listed["active"]

    home = Path(os.environ["HOME"])  # the test's own (tests/conftest.py), holding its data folder
    make_photos(home / "Pictures", 2)
    refused = run_cli(data_dir, "folders", "add", str(home), check=False)
    assert refused.returncode == 2 and "folders add --yes" in refused.stderr, refused.stderr
    # what the refusal suggests, typed as a person reads it
    r = run_cli(data_dir, "folders", "add", "--yes", str(home), check=False)
    assert r.returncode == 0, r.stderr
    pics = tmp_path / "Other"
    make_photos(pics, 1)
    r = run_cli(data_dir, "folders", "add", "--json", str(pics), check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)
    folders = json.loads(run_cli(data_dir, "folders", "list", "--json").stdout)
    assert sorted(f["path"] for f in folders) == sorted([str(home), str(pics)])


def test_search_words_around_options(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    """`search red -k 2 circle` is the query "red circle"; "--" still ends the options."""
    from tests.support.cli import invoke

    run_cli(data_dir, "models", "import", str(tiny_model))
    pics = tmp_path / "Pictures"
    make_photos(pics, 3)
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    out = invoke(data_dir, "search", "red", "-k", "2", "circle", "--json")
    assert out.code == 0, out.stderr
    assert out.json()["query"]["text"] == "red circle"
    dashed = invoke(data_dir, "search", "--json", "-k", "1", "--", "red", "--json")
    assert dashed.code == 0, dashed.stderr
    assert dashed.json()["query"]["text"] == "red --json"


def test_a_filter_alone_browses_like_a_place_alone(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    """`search --place Italy` lists every match, but `search --type png`, `--from 2019`, `--folder F` or
    `--orientation portrait` alone said "give some text to search for" (while the words "2019" alone do
    browse). Any filter alone is a browse; nothing at all is still the plain error."""
    from PIL import Image

    from tests.support.cli import invoke

    run_cli(data_dir, "models", "import", str(tiny_model))
    pics = tmp_path / "Pictures"
    make_photos(pics, 3)
    Image.new("RGB", (40, 80), (200, 30, 30)).save(pics / "tall.png")
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    for args, expected in (
        (("--type", "png"), {"tall.png"}),
        (("--orientation", "portrait"), {"tall.png"}),
        (("--folder", str(pics)), {p.name for p in pics.iterdir()}),
    ):
        out = invoke(data_dir, "search", *args, "--json")
        assert out.code == 0 and out.error is None, (args, out.stderr)
        assert {Path(r["path"]).name for r in out.json()["results"]} == expected, args
    nothing = invoke(data_dir, "search")
    assert nothing.code == 2 and "give some text" in nothing.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("index", "--batch-size", "0"),
        ("index", "--batch-size", "-5"),
        ("duplicates", "--threshold", "5"),
        ("duplicates", "--threshold", "-1"),
        ("duplicates", "--max-distance", "-1"),
        ("duplicates", "--max-distance", "65"),
        ("watch", "--debounce", "-1"),
        ("watch", "--poll-interval", "0"),
        ("album", "show", "x", "-k", "-1"),
    ],
)
def test_a_number_out_of_its_range_is_refused(data_dir: Path, args: tuple[str, ...]) -> None:
    """`index --batch-size 0` indexed nothing and exited 0 ("1 pending"); `duplicates --threshold 5` (0.95
    mistyped) said "no near-duplicates found"; `album show NAME -k -1` left the last member out (a Python
    slice); each is now refused with the option's range, exit code 2,
    before anything runs."""
    from tests.support.cli import invoke

    out = invoke(data_dir, *args)
    assert out.code == 2 and out.error is None, (args, out)
    assert [a for a in args if a.startswith("-")][0] in out.stderr and "must be" in out.stderr, out.stderr


def test_a_bare_verb_names_only_what_is_missing(data_dir: Path) -> None:
    """`photosearch folders` alone: the action is missing, not the (optional) folders."""
    from tests.support.cli import invoke

    out = invoke(data_dir, "folders")
    error = out.stderr.strip().splitlines()[-1]  # after the usage lines
    assert out.code == 2 and error.endswith("required: action"), out.stderr
