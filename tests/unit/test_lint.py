"""ruff (lint and format) and mypy run with the tests, so CI fails on lint, formatting or type errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_ruff_clean() -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff not installed (pip install -e '.[test]')")
    proc = subprocess.run(["ruff", "check", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_ruff_format_clean() -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        ["ruff", "format", "--check", "."], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_mypy_clean() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "photosearch"], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    if "No module named mypy" in proc.stderr:
        pytest.skip("mypy not installed (pip install -e '.[test]')")
    assert proc.returncode == 0, proc.stdout[-4000:]
