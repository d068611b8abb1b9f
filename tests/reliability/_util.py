"""Helpers for the reliability tests: run the real CLI in a subprocess (optionally as an unprivileged
user, measuring its peak memory), install the tiny model, make small photo sets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    timed_out: bool


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PHOTOSEARCH_DATA_DIR"] = str(data_dir)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def run_cli(data_dir: Path, *args: str, timeout: float = 120, user: int | None = None,
            env: dict[str, str] | None = None, prefix: list[str] | None = None) -> Run:
    """``python -m photosearch ARGS`` in a subprocess; ``user``: run as that uid (and gid) via setpriv.
    Reports the child's own peak RSS (``wait4``) and kills it after ``timeout`` seconds."""
    cmd = [sys.executable, "-m", "photosearch", *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *cmd]
    if prefix:
        cmd = [*prefix, *cmd]
    env = env or cli_env(data_dir)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=str(REPO))
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            p.kill()

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            _pid, status, usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(p.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   usage.ru_maxrss / 1024.0, timed_out.is_set())


def install_model(data_dir: Path, model_dir: Path) -> None:
    from photosearch.config import Paths
    from photosearch.models.install import install_package_dir

    paths = Paths.resolve(data_dir)
    paths.ensure()
    install_package_dir(model_dir, paths.models_dir)


def make_photos(folder: Path, n: int, seed: int = 0, size: tuple[int, int] = (96, 72)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        small = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
        p = folder / f"photo_{seed}_{i:04d}.jpg"
        Image.fromarray(small, "RGB").resize(size, Image.Resampling.BILINEAR).save(p, quality=85)
        out.append(p)
    return out


def world_dir(prefix: str) -> Path:
    """A fresh folder everyone may enter (pytest's own temporary folders are private to root)."""
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    d.chmod(0o755)
    return d


def remove_tree(d: Path) -> None:
    for dirpath, dirnames, _files in os.walk(d, followlinks=False):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
    shutil.rmtree(d, ignore_errors=True)


def can_run_as_nobody() -> str | None:
    """None when ``setpriv`` can run Python as nobody here; otherwise why not."""
    if os.geteuid() != 0:
        return "needs root to switch to the unprivileged user"
    if shutil.which("setpriv") is None:
        return "setpriv is not available"
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
                        sys.executable, "-c", "import PIL, numpy, onnxruntime, hnswlib; import os; print(os.getuid())"],
                       capture_output=True, text=True, cwd="/", env=cli_env(Path("/tmp")))
    if r.returncode != 0 or r.stdout.strip() != str(NOBODY):
        return f"cannot run Python as nobody: {r.stderr.strip()[-300:]}"
    return None
