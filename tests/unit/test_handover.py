"""The single-owner hand-over: a private socket per data directory, one owner, requests answered with
progress and typed errors; `photosearch folders add` while `photosearch watch` runs is done by `watch`."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from photosearch.app import handover as H
from photosearch.errors import QueryError
from tests.e2e.helpers import make_photos, popen_cli, run_cli, run_json

pytestmark = pytest.mark.skipif(not H.supported(), reason="AF_UNIX sockets only (no named pipe yet)")


def wait_until(pred: Any, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_request_progress_answer_and_errors(tmp_path: Path) -> None:
    def echo(args: dict[str, Any], progress: Any) -> Any:
        for i in range(3):
            progress({"done": i + 1, "total": 3})
        return {"echo": args}

    def refuse(args: dict[str, Any], progress: Any) -> Any:
        raise QueryError("not a folder: /nowhere")

    owner = H.Owner(tmp_path / "data", {"echo": echo, "refuse": refuse})
    assert not H.owner_running(tmp_path / "data")
    with pytest.raises(H.NoOwner):
        H.hand_over(tmp_path / "data", "echo", {})
    assert owner.start()
    try:
        assert stat.S_IMODE(os.stat(owner.path).st_mode) == 0o600
        assert H.owner_running(tmp_path / "data")
        seen: list[dict[str, Any]] = []
        assert H.hand_over(tmp_path / "data", "echo", {"x": 1}, seen.append) == {"echo": {"x": 1}}
        assert seen == [{"done": 1, "total": 3}, {"done": 2, "total": 3}, {"done": 3, "total": 3}]
        with pytest.raises(H.HandoverError, match="not a folder") as e:
            H.hand_over(tmp_path / "data", "refuse", {})
        assert e.value.exit_code == 2
        with pytest.raises(H.HandoverError, match="cannot do 'nope'"):
            H.hand_over(tmp_path / "data", "nope", {})
        # one owner per data directory
        second = H.Owner(tmp_path / "data", {})
        assert not second.start()
    finally:
        owner.stop()
    assert not H.owner_running(tmp_path / "data")
    assert H.Owner(tmp_path / "data", {}).start()  # the lock went with the owner (closed fd)


def test_a_stale_socket_is_replaced_and_a_long_path_stays_short(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(H.socket_path(data)))
    stale.close()  # a killed owner leaves its socket file behind
    with pytest.raises(H.NoOwner):
        H.hand_over(data, "x", {})
    owner = H.Owner(data, {"ping": lambda a, p: "pong"})
    assert owner.start()
    try:
        assert H.hand_over(data, "ping", {}) == "pong"
    finally:
        owner.stop()
    deep = tmp_path / ("a-rather-long-folder-name-" * 5) / "PhotoSearch"
    path = H.socket_path(deep)
    assert len(os.fsencode(str(path))) <= H.MAX_SOCKET_PATH and path.parent != deep
    owner = H.Owner(deep, {"ping": lambda a, p: "pong"})
    assert owner.start()
    try:
        assert H.hand_over(deep, "ping", {}) == "pong"
    finally:
        owner.stop()


def test_cli_folder_changes_are_handed_to_a_running_watch(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    run_cli(data_dir, "models", "import", str(tiny_model))
    first, second = tmp_path / "first", tmp_path / "second"
    make_photos(first, 3)
    make_photos(second, 4, seed=5)
    (second / "sub").mkdir()
    proc = popen_cli(data_dir, "watch", "--add", str(first), "--debounce", "0.1", "-q")
    try:
        wait_until(lambda: H.owner_running(data_dir), what="watch to own the library")
        r = run_cli(data_dir, "folders", "add", str(second))
        assert "done by the running PhotoSearch" in r.stdout and r.returncode == 0
        r = run_cli(data_dir, "folders", "add", str(second / ".." / "second" / "sub"), check=False)
        assert r.returncode == 2 and "already covered" in r.stderr and r.stderr.count("\n") == 1
        r = run_cli(data_dir, "index")  # handed over: returns when the owner is idle again
        assert "7 photos indexed" in r.stdout and "done by the running PhotoSearch" in r.stdout, r.stdout
        assert run_json(data_dir, "status")["counts"]["indexed"] == 7
        out = run_json(data_dir, "folders", "remove", str(second))
        assert out == [{"path": str(second), "photos": 4}]
        wait_until(lambda: run_json(data_dir, "status")["counts"]["indexed"] == 3, what="the owner to forget")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert not H.owner_running(data_dir)
