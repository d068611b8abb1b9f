"""Run the real ``photosearch`` command line: in a subprocess (``run_cli``, ``run_json``, ``popen_cli``: the
installed entry point, exit codes as a shell sees them) or in this process (``invoke``: faster, same
``main``)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def cli_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PHOTOSEARCH_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PHOTOSEARCH_THREADS", "2")
    return env


def run_cli(
    data_dir: Path, *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "photosearch", *args],
        env=cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"photosearch {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def run_json(data_dir: Path, *args: str) -> Any:
    return json.loads(run_cli(data_dir, *args, "--json").stdout)


def popen_cli(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "photosearch", *args],
        env=cli_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    error: str | None = None  # an exception that escaped main() (a traceback in a shell): its type name

    def json(self) -> Any:
        return json.loads(self.stdout)


def invoke(data_dir: Path, *args: str) -> Outcome:
    """``photosearch --data-dir DATA ARGS`` through ``photosearch.cli.main`` in this process. An exception
    that escapes ``main`` is caught and reported (exit code 1, as Python's own handler would give)."""
    from photosearch.cli import main

    out, err = io.StringIO(), io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--data-dir", str(data_dir), *args])
        except SystemExit as e:  # argparse
            code = e.code if isinstance(e.code, int) else 1
        except Exception as e:  # recorded: the snapshot says which calls still crash
            code, error = 1, type(e).__name__
    return Outcome(code, out.getvalue(), err.getvalue(), error)
