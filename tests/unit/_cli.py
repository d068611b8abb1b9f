"""The CLI run in this process, its output caught: for the tests that read what a command says."""

from __future__ import annotations

import pytest


def cli_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``photosearch ARGS`` through ``photosearch.cli.main``: (exit code, stdout, stderr) of this run only."""
    from photosearch.cli import main

    capsys.readouterr()
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err
