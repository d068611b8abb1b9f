"""Installing from the local hub (127.0.0.1) as a hostile tester would: two installs of the same model at
once (before: the second crashed with a traceback, FileNotFoundError on the shared '.part' file, exit 1),
and Ctrl-C in the middle of a slow download, then the same command again (it resumes with a Range request;
before, Ctrl-C ended with no word on what was kept or how to go on)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SHAPES_MODEL
from tests.hub_fixtures import native_registry
from tests.hub_server import HubState, hub_server

REPO = "test-org/tiny-models"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], HubState, threading.Event, Path]]:
    """The shapes model on the local hub as registry entry 'm', its visual.onnx held after half its bytes
    until the event is set; the environment for a CLI subprocess, and the data folder."""
    native_registry(tmp_path, SHAPES_MODEL, "m", REPO, dim=64, name="Shapes served")
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(
        PHOTOSEARCH_REGISTRY=str(tmp_path / "registry.json"),
        PHOTOSEARCH_DATA_DIR=str(data),
        PYTHONPATH=str(ROOT),
    )
    gate = threading.Event()
    with hub_server() as (base, hub):
        for p in SHAPES_MODEL.iterdir():
            hub.add(REPO, f"m/{p.name}", p.read_bytes())
        commit = hub.repos[REPO].refs["main"]
        hub.hold[f"/{REPO}/resolve/{commit}/m/visual.onnx"] = gate
        env["PHOTOSEARCH_HUB_URL"] = base
        try:
            yield env, hub, gate, data
        finally:
            gate.set()


def _install(env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "photosearch", "models", "install", "m", *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_install(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    """``photosearch models install m`` run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "photosearch", "models", "install", "m", *extra],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _wait_for_part(data: Path) -> int:
    part = data / "downloads" / "m" / "visual.onnx.part"
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size > 0):
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.05)  # polling a file another process writes (no event to wait on)
    return part.stat().st_size


def test_two_installs_of_one_model_at_once(
    served: tuple[dict[str, str], HubState, threading.Event, Path],
) -> None:
    env, _hub, gate, data = served
    first = _install(env, "-q")
    _wait_for_part(data)  # the first holds the half-downloaded file
    second = _run_install(env, "-q")
    assert "Traceback" not in second.stderr, second.stderr
    assert second.returncode == 7, second.stderr
    assert "another PhotoSearch is downloading Shapes served" in second.stderr, second.stderr
    gate.set()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert out.startswith("installed model shapes-tiny")
    assert sorted(os.listdir(data / "models")) == ["shapes-tiny"]
    assert os.listdir(data / "downloads") == []  # no partial file, no lock file left


def test_ctrl_c_in_a_slow_download_says_what_was_kept_and_the_same_command_resumes(
    served: tuple[dict[str, str], HubState, threading.Event, Path],
) -> None:
    env, hub, gate, data = served
    p = _install(env)
    kept = _wait_for_part(data)
    p.send_signal(signal.SIGINT)
    _out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Traceback" not in err, err
    assert "interrupted: the download is kept" in err and "photosearch models install m" in err, err
    assert not (data / "models").exists() or os.listdir(data / "models") == []
    gate.set()
    n = len(hub.requests)
    again = _run_install(env, "-q")
    assert again.returncode == 0, again.stderr
    assert any(rng == f"bytes={kept}-" for _path, rng in hub.requests[n:]), hub.requests[n:]
    assert sorted(os.listdir(data / "models")) == ["shapes-tiny"]


class _Looping:
    """A 'hub' whose every answer is a redirect to itself."""

    def __enter__(self) -> str:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Loop(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self.send_response(302)
                self.send_header("Location", self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Loop)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _install_json(env: dict[str, str]) -> tuple[int, dict[str, object], str]:
    r = _run_install(env, "--json")
    return r.returncode, json.loads(r.stdout or "{}"), r.stderr


def test_a_404_for_one_file_and_a_redirect_loop_leave_nothing_behind(
    served: tuple[dict[str, str], HubState, threading.Event, Path],
) -> None:
    env, hub, gate, data = served
    gate.set()
    commit = hub.repos[REPO].refs["main"]
    del hub.repos[REPO].commits[commit]["m/tokenizer.json"]  # the hub lost one file
    rc, answer, err = _install_json(env)
    assert rc == 7, err
    assert "has no file" in str(answer["error"]) and "m/tokenizer.json" in str(answer["error"])
    assert not (data / "models").exists() or os.listdir(data / "models") == []
    assert os.listdir(data / "downloads") == []  # before: an empty downloads/m was left
    with _Looping() as base:
        rc, answer, err = _install_json({**env, "PHOTOSEARCH_HUB_URL": base})
    assert rc == 7, err
    assert "redirect" in str(answer["error"])
    assert os.listdir(data / "downloads") == []


def test_installing_an_installed_model_again_downloads_nothing_unless_it_is_damaged(
    served: tuple[dict[str, str], HubState, threading.Event, Path],
) -> None:
    """Before, the same 'models install' run twice downloaded the whole model again (about 600 MB for a
    real one) and replaced the installed package, then said "switch with 'photosearch models use …'" of
    the model already in use."""
    env, hub, gate, data = served
    gate.set()
    rc, first, err = _install_json(env)
    assert rc == 0 and first["installed"] == "shapes-tiny", err
    sent = sum(hub.bytes_sent.values())
    r = _run_install(env)
    assert r.returncode == 0, r.stderr
    assert sum(hub.bytes_sent.values()) == sent  # not a byte again
    assert r.stdout.startswith("shapes-tiny is already installed"), r.stdout
    assert "in use" in r.stdout and "switch with" not in r.stdout, r.stdout
    # a damaged package (a file gone) is installed again
    (data / "models" / "shapes-tiny" / "tokenizer.json").unlink()
    rc, again, err = _install_json(env)
    assert rc == 0 and again["installed"] == "shapes-tiny", err
    assert (data / "models" / "shapes-tiny" / "tokenizer.json").is_file()
    assert sum(hub.bytes_sent.values()) > sent


class _Portal(_Looping):
    """A hotel Wi-Fi's login page: '200 OK' and the same HTML for every request."""

    def __enter__(self) -> str:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        page = b"<html><body>Please log in to use the Wi-Fi</body></html>"

        class Portal(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()

            def do_GET(self) -> None:
                self.do_HEAD()
                self.wfile.write(page)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.mark.parametrize(
    "model_id",
    ["openclip-vit-b-32-256-datacomp", "openclip-vit-b-32-laion2b", "siglip2-vit-b-32-256"],
)
def test_a_wifi_login_page_answering_for_the_hub_is_named_as_the_likely_cause(
    model_id: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, the same situation said 'the hub has 57 bytes, the registry pins 1,356,917', or 'not JSON',
    or — for an entry pinned to a commit — 'no hash … Install anyway only if you trust the source
    (--allow-unverified)', which would have downloaded the login page as the model's files."""
    from photosearch.cli import main

    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)
    with _Portal() as base:
        monkeypatch.setenv("PHOTOSEARCH_HUB_URL", base)
        rc = main(["models", "install", model_id, "-q"])
    err = capsys.readouterr().err
    assert rc == 7, err
    assert "a Wi-Fi login page or a proxy may be answering instead of the hub" in err, err
    assert "Install anyway only if you trust the source" not in err, err
    assert not (data_dir / "models").exists() or os.listdir(data_dir / "models") == []


def test_a_library_busy_after_the_download_keeps_the_download_for_the_next_try(
    served: tuple[dict[str, str], HubState, threading.Event, Path],
) -> None:
    """Another PhotoSearch writing the library (e.g. 'photosearch index' in another terminal) when the
    download ends: nothing installed, and the message says the download is kept — the next try installs
    it without downloading it again (before: only 'another PhotoSearch process is updating this library')."""
    from photosearch.config import Paths
    from photosearch.store.lock import WriterLock

    env, hub, gate, data = served
    gate.set()
    lock = WriterLock(Paths.resolve(data).lock_file, "photosearch index").acquire()
    try:
        rc, answer, err = _install_json(env)
    finally:
        lock.release()
    assert rc == 4, err
    assert "the download is kept" in str(answer["error"]) and "models install m" in str(answer["error"])
    assert not (data / "models").exists() or os.listdir(data / "models") == []
    sent = sum(hub.bytes_sent.values())
    rc, answer, err = _install_json(env)
    assert rc == 0 and answer["installed"] == "shapes-tiny", err
    assert sum(hub.bytes_sent.values()) == sent  # installed from what was kept
