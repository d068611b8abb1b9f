"""The hand-over's channel (``multiprocessing.connection``: an AF_UNIX socket here, a named pipe on Windows):
only a caller that can read the data directory's private key is answered, only bytes are exchanged (a pickle
is never unpickled), a caller that connects and says nothing holds up nobody, the Windows pipe's name follows
the data directory's real path, the one-owner lock is the OS lock, and the Windows-only lines type-check."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
import threading
from multiprocessing.connection import Client
from pathlib import Path
from typing import Any

import pytest

from photosearch.app import handover as H
from photosearch.store import lock as L

REPO = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the POSIX half (AF_UNIX) runs here")


def _owner(data: Path, calls: list[Any]) -> H.Owner:
    def ping(args: dict[str, Any], progress: Any) -> Any:
        calls.append(args)
        return "pong"

    owner = H.Owner(data, {"ping": ping})
    assert owner.start()
    return owner


class _Trap:
    """Unpickling this writes a file: the proof that a pickle was (wrongly) loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.path, "unpickled"))


@posix_only
def test_the_key_is_private_and_a_caller_without_it_is_not_answered(tmp_path: Path) -> None:
    data = tmp_path / "data"
    calls: list[Any] = []
    owner = _owner(data, calls)
    try:
        key = data / H.KEY_NAME
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and len(key.read_bytes()) == H.KEY_BYTES
        assert H.hand_over(data, "ping", {"n": 1}) == "pong"
        key.write_bytes(os.urandom(H.KEY_BYTES))  # a caller that knows another key
        with pytest.raises(H.NoOwner):
            H.hand_over(data, "ping", {"n": 2})
        assert not H.owner_running(data)
        key.unlink()  # a caller that cannot read the key
        with pytest.raises(H.NoOwner):
            H.hand_over(data, "ping", {"n": 3})
        assert calls == [{"n": 1}]
    finally:
        owner.stop()
    # a key readable by others is replaced by the next owner
    key.write_bytes(os.urandom(H.KEY_BYTES))
    os.chmod(key, 0o644)
    old = key.read_bytes()
    owner = _owner(data, calls)
    try:
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and key.read_bytes() != old
        assert H.hand_over(data, "ping", {"n": 4}) == "pong"
    finally:
        owner.stop()


@posix_only
def test_only_bytes_a_pickle_is_never_loaded_and_a_silent_caller_holds_up_nobody(tmp_path: Path) -> None:
    data = tmp_path / "data"
    calls: list[Any] = []
    owner = _owner(data, calls)
    trap = tmp_path / "trap.txt"
    try:
        silent = Client(H.address(data), family=H.FAMILY)  # connects and never answers the challenge
        try:
            assert H.hand_over(data, "ping", {}, timeout=10) == "pong"  # answered all the same
        finally:
            silent.close()
        key = (data / H.KEY_NAME).read_bytes()
        conn = Client(H.address(data), family=H.FAMILY, authkey=key)  # even a caller with the key …
        try:
            conn.send_bytes(pickle.dumps({"verb": "ping", "args": _Trap(trap)}))  # … is not unpickled
            assert not conn.poll(2) or conn.recv_bytes() == b""  # closed without an answer
        except EOFError:
            pass
        finally:
            conn.close()
        assert H.hand_over(data, "ping", {"after": True}, timeout=10) == "pong"  # the owner still serves
    finally:
        owner.stop()
    assert not trap.exists()
    assert calls == [{}, {"after": True}]


def test_the_windows_pipe_is_named_by_the_data_directory_real_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "PhotoSearch"
    real.mkdir()
    link = tmp_path / "via-link"
    link.symlink_to(real)
    monkeypatch.setattr(H, "WINDOWS", True)
    name = H.address(real)
    prefix = "\\\\.\\pipe\\photosearch-"
    assert name.startswith(prefix) and len(name) == len(prefix) + 16
    int(name[len(prefix) :], 16)
    assert H.address(link) == name  # one data directory, one pipe, whatever path names it
    assert H.address(tmp_path / "other") != name


@posix_only
def test_one_owner_lock_is_the_os_lock(tmp_path: Path) -> None:
    path = tmp_path / "owner.lock"
    a, b = L.open_lock_file(path), L.open_lock_file(path)
    try:
        assert L.try_lock(a)
        assert not L.try_lock(b)  # another open file (as another process has) is refused
        L.unlock(a)
        assert L.try_lock(b)
    finally:
        os.close(a)
        os.close(b)
    # a process that holds it and dies leaves nothing that blocks
    code = (
        "import sys; from photosearch.store import lock as L; fd = L.open_lock_file(sys.argv[1]); "
        "assert L.try_lock(fd); print('held', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        c = L.open_lock_file(path)
        try:
            assert not L.try_lock(c)
            proc.kill()
            proc.wait(timeout=30)
            assert L.try_lock(c)
        finally:
            os.close(c)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_windows_branches_type_check() -> None:
    """The lines that run only on Windows (the pipe, msvcrt.locking) are checked by mypy as Windows sees them."""
    files = ["photosearch/app/handover.py", "photosearch/store/lock.py"]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--platform", "win32", "--follow-imports=silent", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if "No module named mypy" in proc.stderr:
        pytest.skip("mypy not installed (pip install -e '.[test]')")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stop_returns_while_a_caller_is_connected(tmp_path: Path) -> None:
    if not H.supported():
        pytest.skip("no channel on this platform")
    data = tmp_path / "data"
    started = threading.Event()
    release = threading.Event()

    def slow(args: dict[str, Any], progress: Any) -> Any:
        started.set()
        release.wait(30)
        return "late"

    owner = H.Owner(data, {"slow": slow})
    assert owner.start()
    answers: list[Any] = []
    t = threading.Thread(target=lambda: answers.append(_call(data)), daemon=True)
    t.start()
    assert started.wait(30)
    owner.stop()  # returns with the request still in progress (its thread is not waited for)
    assert not owner.active
    again = H.Owner(data, {"ping": lambda a, p: "pong"})
    assert again.start()  # the lock and the address were let go
    try:
        assert H.hand_over(data, "ping", {}, timeout=10) == "pong"
    finally:
        again.stop()
        release.set()
        t.join(30)
    assert answers == ["late"]  # a request accepted before the stop is still answered


def _call(data: Path) -> Any:
    try:
        return H.hand_over(data, "slow", {})
    except (H.HandoverError, H.NoOwner) as e:
        return e
