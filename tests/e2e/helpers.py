"""Kept for older imports: the CLI runner and photo makers live in ``tests/support/``."""

from __future__ import annotations

from tests.support.cli import REPO, cli_env, popen_cli, run_cli, run_json
from tests.support.photos import make_photos

__all__ = ["REPO", "cli_env", "make_photos", "popen_cli", "run_cli", "run_json"]
