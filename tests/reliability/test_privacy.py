"""Privacy and safe hand-offs: once a model is installed, indexing and searching open no network
connection (socket calls patched to fail, and a network namespace without interfaces); no shell is
ever used to open files or folders; model downloads write only inside the data directory."""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from photosearch.errors import PhotoSearchError
from tests.reliability._util import REPO, cli_env, install_model, make_photos, run_cli

# Loaded at interpreter start (PYTHONPATH): every way to reach the network fails and is recorded.
SITECUSTOMIZE = '''
import os, socket, traceback

_LOG = os.environ["PHOTOSEARCH_NET_LOG"]


def _refuse(what, *args, **kwargs):
    with open(_LOG, "a") as f:
        f.write(f"{what} {args!r}\\n" + "".join(traceback.format_stack(limit=8)) + "\\n")
    raise OSError(101, f"network blocked by the privacy test: {what}")


def _connect(self, address, *a):
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address, *a)
    return _refuse("connect", address)


_real_connect = socket.socket.connect
socket.socket.connect = _connect
socket.socket.connect_ex = lambda self, address: _refuse("connect_ex", address)
socket.socket.sendto = lambda self, *a: _refuse("sendto", *a)
socket.getaddrinfo = lambda *a, **k: _refuse("getaddrinfo", *a)
socket.gethostbyname = lambda *a: _refuse("gethostbyname", *a)
socket.create_connection = lambda *a, **k: _refuse("create_connection", *a)
'''

COMMANDS = (
    ("status", "--json"),
    ("search", "--json", "-k", "3", "a red circle"),
    ("search", "--json", "-k", "3", "beach + 0.5:sunset - dog"),
    ("doctor", "--json"),
)


@pytest.fixture
def library(tmp_path: Path, data_dir: Path, tiny_model: Path) -> Path:
    install_model(data_dir, tiny_model)  # the model is installed before the network goes away
    return tmp_path / "photos"


def _run_all(data_dir: Path, photos: Path, full: bool = True, **kw) -> None:  # noqa: ANN003
    make_photos(photos, 12, seed=len(list(photos.glob("*"))) if photos.exists() else 0)
    r = run_cli(data_dir, "index", "-q", "--json", "--add", str(photos), **kw)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"]["pending"] == 0
    ref = next(photos.glob("*.jpg"))
    commands = [*COMMANDS, ("search", "--json", "-k", "3", "--image", str(ref)),
                ("search", "--json", "-k", "3", "--image", str(ref), "at night"),
                ("similar", "--json", "-k", "3", str(ref))]
    for args in commands if full else commands[1:2] + commands[-2:-1]:
        r = run_cli(data_dir, *args, **kw)
        assert r.returncode == 0, (args, r.stderr)
        assert "Traceback" not in r.stderr


def test_index_and_search_with_sockets_blocked(library: Path, data_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net.log"
    env = cli_env(data_dir, PHOTOSEARCH_NET_LOG=str(log))
    env["PYTHONPATH"] = f"{site}:{env['PYTHONPATH']}"
    # the guard really is active in the child
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.getaddrinfo('example.com', 443)"], env=env,
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "network blocked" in probe.stderr
    log.unlink()
    _run_all(data_dir, library, env=env)
    assert not log.exists(), f"network use attempted:\n{log.read_text()}"


def test_index_and_search_in_a_network_namespace_without_interfaces(library: Path, data_dir: Path) -> None:
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {probe.stderr.strip()}")
    _run_all(data_dir, library, full=False, prefix=["unshare", "-n"])


# -- safe hand-offs ------------------------------------------------------------------------------------


def _python_files() -> list[Path]:
    return sorted(p for p in (REPO / "photosearch").rglob("*.py")) + [REPO / "main.py"] * (REPO / "main.py").exists()


def test_no_shell_is_ever_used() -> None:
    """Files and folders are opened with argument lists: no shell=True, os.system, os.popen, getoutput."""
    banned_calls = {("os", "system"), ("os", "popen"), ("subprocess", "getoutput"), ("subprocess", "getstatusoutput"),
                    ("os", "execlp"), ("os", "spawnlp")}
    found = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in banned_calls:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {f.value.id}.{f.attr}")
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}: shell={ast.unparse(kw.value)}")
            # a command given as one string (split by a shell) to subprocess
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "subprocess" \
                    and node.args and isinstance(node.args[0], (ast.Constant, ast.JoinedStr)):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: subprocess.{f.attr} with a command string")
    assert not found, "\n".join(found)


UNSAFE_NAMES = ["../evil.onnx", "../../etc/cron.d/x", "/etc/passwd", "sub/../../x.onnx", "C:/x.onnx", "a\\..\\b.onnx",
                ""]


@pytest.mark.parametrize("name", UNSAFE_NAMES)
def test_registry_refuses_file_names_outside_the_download_folder(name: str) -> None:
    pytest.importorskip("photosearch.models.registry")
    from photosearch.models.registry import load_registry, parse_registry

    data = json.loads((REPO / "photosearch" / "data" / "registry.json").read_text())
    evil = copy.deepcopy(data)
    evil["models"][0]["files"][0]["path"] = name
    with pytest.raises(PhotoSearchError):
        parse_registry(evil)
    assert load_registry(REPO / "photosearch" / "data" / "registry.json")  # the shipped one is fine


@pytest.mark.parametrize("model_id", ["../x", "/abs", ".hidden", "a/b"])
def test_registry_refuses_model_ids_that_leave_the_downloads_folder(model_id: str) -> None:
    pytest.importorskip("photosearch.models.registry")
    from photosearch.models.registry import parse_registry

    data = json.loads((REPO / "photosearch" / "data" / "registry.json").read_text())
    data["models"][0]["id"] = model_id
    data["default"] = model_id
    with pytest.raises(PhotoSearchError):
        parse_registry(data)


@pytest.mark.parametrize("name", UNSAFE_NAMES[:5])
def test_download_refuses_to_write_outside_its_folder_before_any_request(name: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("photosearch.models.download")
    import dataclasses
    import socket

    from photosearch.models import download
    from photosearch.models.registry import RegistryFile, load_registry

    def no_network(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a request was made for an unsafe file name")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(download, "download_file", no_network)
    entry = load_registry(REPO / "photosearch" / "data" / "registry.json").models[0]
    entry = dataclasses.replace(entry, subfolder="", files=(RegistryFile(path=name, size=3, sha256="0" * 64),))
    staging = tmp_path / "data" / "downloads" / "m"
    with pytest.raises(PhotoSearchError):
        download.download_entry(entry, staging, base_url="http://127.0.0.1:9")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not written, written


def test_manifest_refuses_file_names_outside_the_package(tmp_path: Path, tiny_model: Path) -> None:
    import shutil

    from photosearch.models.manifest import load_package

    pkg = tmp_path / "pkg"
    shutil.copytree(tiny_model, pkg)
    m = json.loads((pkg / "manifest.json").read_text())
    for bad in ("../visual.onnx", "/etc/passwd"):
        m2 = copy.deepcopy(m)
        m2["vision"]["file"] = bad
        m2["files"][bad] = m2["files"].pop("visual.onnx") if "visual.onnx" in m2["files"] else {}
        (pkg / "manifest.json").write_text(json.dumps(m2))
        with pytest.raises(PhotoSearchError):
            load_package(pkg, verify="size")
