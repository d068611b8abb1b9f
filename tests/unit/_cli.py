"""The CLI run in this process, its output caught: for the tests that read what a command says."""

from __future__ import annotations

from pathlib import Path

import pytest


def cli_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``photosearch ARGS`` through ``photosearch.cli.main``: (exit code, stdout, stderr) of this run only."""
    from photosearch.cli import main

    capsys.readouterr()
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def indexed_with_shapes(capsys: pytest.CaptureFixture[str], photos: Path, n: int) -> None:
    """``n`` drawn photos made in ``photos``, the shapes model imported and those photos indexed with it
    (no text read), each through the CLI."""
    from tests.conftest import SHAPES_MODEL
    from tests.reliability._util import make_photos

    make_photos(photos, n)
    assert cli_main(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    assert cli_main(capsys, "index", "-q", "--no-text", "--add", str(photos))[0] == 0
