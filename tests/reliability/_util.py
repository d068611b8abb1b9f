"""Helpers for the reliability tests: run the real CLI in a subprocess (optionally as an unprivileged
user, measuring its peak memory), install the tiny model, make small photo sets, mount a small tmpfs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534

# Runs the CLI as another user: everything the commands need is imported first, as root (the Python
# installation may live where that user cannot read, e.g. under /root), then the process drops to the
# user for good (groups, gid, uid) before any photo or data file is touched.
DROP_TO_USER = """
import os, sys
import concurrent.futures, json, sqlite3, logging, encodings.idna, _strptime, datetime, base64
import numpy, numpy.ma, onnxruntime, hnswlib, tokenizers
import PIL.Image
PIL.Image.init()
import photosearch.cli, photosearch.doctor, photosearch.indexing.pipeline, photosearch.library.library
import photosearch.models.encoders, photosearch.models.preprocess, photosearch.models.tokenize
import photosearch.search.engine, photosearch.store.vectors, photosearch.library.thumbs
for _name in ("photosearch.search.duplicates", "photosearch.library.watch", "photosearch.indexing.service",
              "pillow_heif", "photosearch.app.understand", "photosearch.app.places"):
    try:
        __import__(_name)
    except ImportError:
        pass
uid = int(os.environ.pop("PHOTOSEARCH_TEST_UID"))
os.setgroups([])
os.setgid(uid)
os.setuid(uid)
assert os.getuid() == uid and os.geteuid() == uid
sys.exit(photosearch.cli.main(sys.argv[1:]))
"""


# The command runs as this small launcher's child, never as pytest's: on Linux a process's peak RSS
# (``ru_maxrss``) starts at its parent's resident size at fork and survives ``exec``, so a direct child of a
# pytest process grown to 1.5 GB "peaked" at 1.5 GB however little it used. The launcher is a fresh Python
# (~10 MB); it writes its child's own peak (KiB) to the file named by its first argument and exits as it did.
LAUNCHER = """
import os, signal, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_pid, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
"""


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


def run_cli(
    data_dir: Path,
    *args: str,
    timeout: float = 120,
    user: int | None = None,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
) -> Run:
    """``python -m photosearch ARGS`` in a subprocess; ``user``: run as that uid (and gid).
    Reports the child's own peak RSS (through ``LAUNCHER``) and kills it after ``timeout`` seconds."""
    cmd = [sys.executable, "-m", "photosearch", *args]
    env = dict(env or cli_env(data_dir))
    if user is not None:
        cmd = [sys.executable, "-c", DROP_TO_USER, *args]
        env["PHOTOSEARCH_TEST_UID"] = str(user)
    if prefix:
        cmd = [*prefix, *cmd]
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as tmp,
    ):
        peak_file = Path(tmp) / "peak"
        launch = [sys.executable, "-c", LAUNCHER, str(peak_file), *cmd]
        p = subprocess.Popen(launch, stdout=out, stderr=err, env=env, cwd=str(REPO), start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        try:
            _pid, status, _usage = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            p.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            int(peak_file.read_text()) / 1024.0 if peak_file.exists() else float("nan"),  # nan: killed
            timed_out.is_set(),
        )


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
    d = world_dir("ps-nobody-check-")
    try:
        os.chown(d, NOBODY, NOBODY)
        r = run_cli(d / "data", "status", "--json", user=NOBODY, timeout=60)
    finally:
        remove_tree(d)
    if r.returncode != 0:
        return f"cannot run photosearch as nobody: {r.stderr.strip()[-300:]}"
    return None


@contextlib.contextmanager
def small_tmpfs(point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (mount's words: "12m") made at ``point`` for a disk-full test and unmounted after;
    the test is skipped where one cannot be mounted (it needs root)."""
    point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for the disk-full test needs root")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or f'mount exited {r.returncode}'})")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize
