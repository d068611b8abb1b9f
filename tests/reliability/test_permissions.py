"""Permission cases, run as an unprivileged user (the tests run as root, which reads everything):
unreadable files and folders are listed with a reason, everything else is indexed."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile import build_hostile_corpus, unlock
from tests.reliability._util import NOBODY, can_run_as_nobody, install_model, remove_tree, run_cli, world_dir
from tests.reliability.test_hostile import check_corpus_outcome


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    why = can_run_as_nobody()
    if why:
        pytest.skip(f"cannot run as an unprivileged user here: {why}")
    d = world_dir("ps-perm-")
    try:
        yield d
    finally:
        remove_tree(d)


def _chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid)
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            os.chown(os.path.join(dirpath, n), uid, uid, follow_symlinks=False)


def test_unreadable_files_listed_with_a_reason_as_unprivileged_user(
    shared_dir: Path, tiny_model: Path
) -> None:
    corpus = build_hostile_corpus(shared_dir / "corpus", seed=3)
    data = shared_dir / "data"
    install_model(data, tiny_model)
    _chown_tree(data, NOBODY)
    r = run_cli(data, "index", "-q", "--json", "--add", str(corpus.root), user=NOBODY, timeout=240)
    assert not r.timed_out
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    counts = check_corpus_outcome(corpus, data, as_root=False, user=NOBODY)
    skipped = {
        s["path"]: s["reason"]
        for s in json.loads(run_cli(data, "status", "--json", user=NOBODY).stdout)["skipped"]
    }
    root = corpus.root
    assert skipped[str(root / "locked" / "unreadable.jpg")] == "permission denied"
    assert skipped[str(root / "locked" / "closed_folder")].startswith("cannot list folder")
    assert skipped[str(root / "locked" / "list_only" / "cannot_stat.jpg")] == "permission denied"
    # the unprivileged run wrote its data files as that user, nothing as root
    assert all(p.stat().st_uid == NOBODY for p in data.rglob("*") if not p.is_symlink())
    print(f"\nas uid {NOBODY}: {counts['indexed']} indexed, {counts['skipped']} listed with a reason")

    # permissions given back: the next run indexes them
    unlock(corpus)
    r = run_cli(data, "index", "-q", "--json", user=NOBODY, timeout=240)
    assert r.returncode == 0, r.stderr
    with_access = check_corpus_outcome(corpus, data, as_root=True, user=NOBODY)
    assert with_access["indexed"] == counts["indexed"] + 3
