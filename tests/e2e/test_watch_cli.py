"""``photosearch watch`` in a subprocess: a copied photo becomes searchable from another process,
``status`` shows the polling fallback, a second writer is refused, SIGTERM stops it cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from photosearch.config import Paths
from photosearch.models.install import install_package_dir
from tests.support.photos import make_image

ROOT = Path(__file__).resolve().parents[2]


def ps(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "photosearch", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=60,
    )


def start_watch(env: dict[str, str]) -> subprocess.Popen:
    """``photosearch watch --json`` in a subprocess, its events on stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "photosearch", "watch", "--json", "--poll-interval", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def running_watch(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """``start_watch``, then its first "idle" event waited for (the start-up scan and embedding done, the
    owner listening); killed on the way out if the test did not stop it (``stop_watch``)."""
    proc = start_watch(env)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if json.loads(line).get("phase") == "idle":
                break
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_watch(proc: subprocess.Popen) -> tuple[str, str]:
    """SIGTERM, then the rest of its stdout and its stderr."""
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=30)


def one_photo_library(model: Path, data_dir: Path, tmp_path: Path) -> tuple[Paths, Path, str]:
    """A library with ``model`` installed and one folder of one photo added: (paths, the folder, model id)."""
    paths = Paths.resolve(data_dir)
    paths.ensure()
    installed = install_package_dir(model, paths.models_dir)
    pics = tmp_path / "pics"
    make_image(pics / "a.jpg")
    assert ps("folders", "add", str(pics)).returncode == 0
    return paths, pics, installed.id


def test_watch_cli_end_to_end(tiny_model: Path, data_dir: Path, tmp_path: Path) -> None:
    paths = Paths.resolve(data_dir)
    paths.ensure()
    install_package_dir(tiny_model, paths.models_dir)
    pics, polled = tmp_path / "pics", tmp_path / "polled"
    make_image(pics / "a.jpg")
    for i in range(3):
        make_image(polled / f"d{i}" / "x.jpg")
    assert ps("folders", "add", str(pics), str(polled)).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PHOTOSEARCH_MAX_WATCHES": "2"}
    with running_watch(env) as proc:
        new = make_image(tmp_path / "src" / "new.jpg")
        shutil.copyfile(new, pics / "new.jpg")
        deadline = time.monotonic() + 10
        while True:
            out = ps("search", "--image", str(pics / "new.jpg"), "-k", "1", "--json")
            res = json.loads(out.stdout)["results"] if out.returncode == 0 else []
            if res and res[0]["path"] == str(pics / "new.jpg"):
                break
            assert time.monotonic() < deadline, "the copied photo never became searchable"
        status = json.loads(ps("status", "--json").stdout)
        modes = {f["path"]: (f["watch"], f["watch_note"]) for f in status["folders"]}
        assert modes[str(pics)][0] == "events"
        assert modes[str(polled)][0] == "polling" and "limit" in modes[str(polled)][1]
        assert "polling" in ps("status").stdout or "limit" in ps("status").stdout
        second = ps("watch")
        assert second.returncode == 4 and "another PhotoSearch process" in second.stderr
        rest, err = stop_watch(proc)
    assert proc.returncode == 0, err
    final = json.loads(rest.strip().splitlines()[-1])
    assert final["event"] == "stopped" and final["encoded"] == 5 and final["counts"]["indexed"] == 5


def test_models_import_and_use_are_handed_to_a_running_watch(
    tiny_model: Path, shapes_model: Path, data_dir: Path, tmp_path: Path
) -> None:
    """While `photosearch watch` owns the library, `models import` and `models use` are done by it (exit 0),
    not refused on the writer lock (exit 4) after the model was already copied."""
    paths, _pics, tiny_id = one_photo_library(tiny_model, data_dir, tmp_path)
    with running_watch({**os.environ, "PYTHONPATH": str(ROOT)}) as proc:  # the owner listens once idle
        imported = ps("models", "import", str(shapes_model), "--json")
        assert imported.returncode == 0, imported.stderr
        answer = json.loads(imported.stdout)
        assert answer["action"] == "import" and answer["installed"] == "shapes-tiny"
        assert (paths.models_dir / "shapes-tiny" / "manifest.json").is_file()
        used = ps("models", "use", tiny_id, "--json")
        assert used.returncode == 0, used.stderr
        assert json.loads(used.stdout)["target"] == tiny_id
        _rest, err = stop_watch(proc)
    assert proc.returncode == 0, err


def test_reading_text_on_and_off_is_handed_to_a_running_watch(
    tiny_model: Path, data_dir: Path, tmp_path: Path
) -> None:
    """`folders text-off/text-on` while `photosearch watch` owns the library: done by it (exit 0, not
    refused on the writer lock), and kept with the folder."""
    paths, pics, _model = one_photo_library(tiny_model, data_dir, tmp_path)
    with running_watch({**os.environ, "PYTHONPATH": str(ROOT)}) as proc:
        off = ps("folders", "text-off", str(pics), "--json")
        assert off.returncode == 0, off.stderr
        assert json.loads(off.stdout) == [{"path": str(pics), "read_text": False}]
        assert "(done by the running PhotoSearch)" in ps("folders", "text-on", str(pics)).stdout
        assert ps("folders", "text-off", str(pics)).returncode == 0
        _rest, err = stop_watch(proc)
    assert proc.returncode == 0, err
    saved = json.loads((paths.data_dir / "folders.json").read_text(encoding="utf-8"))
    assert [f.get("read_text", True) for f in saved] == [False]
