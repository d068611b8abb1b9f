"""Model download against a local stand-in for the hub on 127.0.0.1: resume after a dropped connection,
corrupted files refused, proxies used, the offline message, unsafe names refused, registry install."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from photosearch.config import Paths
from photosearch.errors import Cancelled, DownloadError, ManifestError
from photosearch.models.download import (
    OFFLINE_MESSAGE,
    ChecksumMismatch,
    DownloadProgress,
    HubUnreachable,
    download_entry,
    download_file,
    file_url,
)
from photosearch.models.install import install_from_registry
from photosearch.models.registry import parse_registry
from tests.hub_fixtures import native_registry
from tests.hub_server import free_port, hub_server, proxy_server

REPO = "test-org/test-model"


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "no_proxy",
        "NO_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(k, raising=False)


def _blob(n: int, seed: int = 1) -> bytes:
    import numpy as np

    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_interrupted_at_half_then_resumed_with_range(tmp_path: Path) -> None:
    data = _blob(400_000)
    sha = hashlib.sha256(data).hexdigest()
    with hub_server() as (base, hub):
        key = hub.add(REPO, "visual.onnx", data)
        hub.drop_once[key] = len(data) // 2
        url = file_url(REPO, "visual.onnx", base=base)
        dest = tmp_path / "visual.onnx"
        with pytest.raises(DownloadError, match="interrupted"):
            download_file(url, dest, size=len(data), sha256=sha, retries=0)
        part = dest.with_name("visual.onnx.part")
        assert part.stat().st_size == len(data) // 2 and not dest.exists()
        res = download_file(url, dest, size=len(data), sha256=sha, retries=0)
        assert dest.read_bytes() == data and not part.exists()
        assert res.resumed_from == [len(data) // 2]
        sent = hub.bytes_sent[key]
        assert hub.requests[-1][1] == f"bytes={len(data) // 2}-"
    ratio = sent / len(data)
    print(
        f"\ninterrupted at 50%, resumed: server sent {sent:,} bytes for a {len(data):,}-byte file ({ratio:.3f}x)"
    )
    assert ratio <= 1.05


def test_dropped_connection_resumes_within_one_call(tmp_path: Path) -> None:
    data = _blob(300_000, seed=2)
    with hub_server() as (base, hub):
        key = hub.add(REPO, "f.bin", data)
        hub.drop_once[key] = 123_457
        seen: list[tuple[int, int | None]] = []
        res = download_file(
            file_url(REPO, "f.bin", base=base),
            tmp_path / "f.bin",
            sha256=hashlib.sha256(data).hexdigest(),
            progress=lambda d, t: seen.append((d, t)),
        )
        assert (tmp_path / "f.bin").read_bytes() == data
        assert res.attempts == 2 and res.resumed_from == [123_457]
        assert hub.bytes_sent[key] <= 1.05 * len(data)
    assert seen[-1] == (len(data), len(data))
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:], strict=False))


def test_server_ignoring_range_restarts_cleanly(tmp_path: Path) -> None:
    data = _blob(100_000, seed=3)
    with hub_server() as (base, hub):
        hub.add(REPO, "f.bin", data)
        hub.honour_range = False
        dest = tmp_path / "f.bin"
        dest.with_name("f.bin.part").write_bytes(data[:40_000])
        download_file(file_url(REPO, "f.bin", base=base), dest, size=len(data))
        assert dest.read_bytes() == data  # a 200 reply to a range request is not appended


def test_corrupted_file_is_refused(tmp_path: Path) -> None:
    good = _blob(50_000, seed=4)
    bad = bytearray(good)
    bad[25_000] ^= 0xFF
    with hub_server() as (base, hub):
        hub.add(REPO, "textual.onnx", bytes(bad))
        dest = tmp_path / "textual.onnx"
        with pytest.raises(ChecksumMismatch, match="refused"):
            download_file(
                file_url(REPO, "textual.onnx", base=base),
                dest,
                size=len(good),
                sha256=hashlib.sha256(good).hexdigest(),
            )
    assert not dest.exists() and not dest.with_name("textual.onnx.part").exists()


def test_proxy_from_environment_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _blob(80_000, seed=5)
    with hub_server() as (base, hub), proxy_server() as (proxy_url, proxy):
        hub.add(REPO, "tokenizer.json", data)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("http_proxy", proxy_url)
        download_file(
            file_url(REPO, "tokenizer.json", base=base),
            tmp_path / "t.json",
            sha256=hashlib.sha256(data).hexdigest(),
        )
        assert (tmp_path / "t.json").read_bytes() == data
        forwarded = list(proxy.forwarded)
    print(f"\nproxy forwarded {len(forwarded)} request(s): {forwarded}")
    assert forwarded and forwarded[0].startswith(base) and forwarded[0].endswith("/tokenizer.json")


def test_offline_gives_the_clear_message(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    with pytest.raises(HubUnreachable) as e:
        download_file(file_url(REPO, "visual.onnx", base=base), tmp_path / "v.onnx", retries=1)
    assert OFFLINE_MESSAGE in str(e.value)


def test_proxy_down_is_offline_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(HubUnreachable, match="couldn't reach the model hub"):
        download_file("https://hub.invalid/x/resolve/main/y", tmp_path / "y", retries=1)


def test_cancel_keeps_partial_file(tmp_path: Path) -> None:
    data = _blob(500_000, seed=6)
    with hub_server() as (base, hub):
        hub.add(REPO, "f.bin", data)
        dest = tmp_path / "f.bin"
        state = {"n": 0}

        def progress(done: int, total: int | None) -> None:
            state["n"] = done

        with pytest.raises(Cancelled):
            download_file(
                file_url(REPO, "f.bin", base=base),
                dest,
                progress=progress,
                cancel=lambda: state["n"] >= 100_000,
            )
        kept = dest.with_name("f.bin.part").stat().st_size
        assert kept >= 100_000
        res = download_file(file_url(REPO, "f.bin", base=base), dest, size=len(data))
        assert dest.read_bytes() == data
        # (the server's byte count includes what sat unread in socket buffers at cancel time)
        assert hub.requests[-1][1] == f"bytes={kept}-" and res.received == len(data) - kept


def test_unsafe_file_names_are_refused(tmp_path: Path) -> None:
    for bad in ("../evil.onnx", "/etc/passwd", "a/../../b", "C:/x", "a\\b", ""):
        reg = {
            "format": "photosearch-registry/1",
            "default": "m",
            "models": [
                {
                    "id": "m",
                    "name": "m",
                    "family": "clip",
                    "layout": "photosearch",
                    "hub_repo": REPO,
                    "files": [{"path": bad}],
                    "licence": "MIT",
                    "commercial_use": True,
                    "embedding_dim": 4,
                }
            ],
        }
        with pytest.raises(ManifestError):
            parse_registry(reg)
    with pytest.raises(ManifestError):
        file_url(REPO, "../../x")


def test_install_from_registry_with_progress(tmp_path: Path, tiny_model: Path) -> None:
    paths = Paths.resolve(tmp_path / "data")
    reg = parse_registry(json.loads(native_registry(tmp_path, tiny_model, "tiny-served", REPO).read_text()))
    entry = reg.get("tiny-served")
    events: list[DownloadProgress] = []
    with hub_server() as (base, hub):
        for p in tiny_model.iterdir():
            hub.add(REPO, f"tiny-served/{p.name}", p.read_bytes())
        hub.drop_once[f"/{REPO}/resolve/main/tiny-served/visual.onnx"] = 1000
        pkg = install_from_registry(entry, paths, progress=events.append, base_url=base)
    assert pkg.id == "tiny-random"  # the package's own id
    assert (paths.models_dir / "tiny-random" / "manifest.json").is_file()
    assert not (paths.downloads_dir / "tiny-served").exists()
    assert events[-1].done == events[-1].total == entry.total_size
    assert {e.file for e in events} == {p.name for p in tiny_model.iterdir()}


def test_cli_install_offline_and_online(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from photosearch.cli import main

    monkeypatch.setenv(
        "PHOTOSEARCH_REGISTRY", str(native_registry(tmp_path, tiny_model, "tiny-served", REPO))
    )
    monkeypatch.setenv("PHOTOSEARCH_HUB_URL", f"http://127.0.0.1:{free_port()}")
    assert main(["models", "install", "tiny-served"]) == DownloadError.exit_code
    assert "couldn't reach the model hub — import a model folder instead" in capsys.readouterr().err
    with hub_server() as (base, hub):
        for p in tiny_model.iterdir():
            hub.add(REPO, f"tiny-served/{p.name}", p.read_bytes())
        monkeypatch.setenv("PHOTOSEARCH_HUB_URL", base)
        assert main(["models", "install", "tiny-served"]) == 0
    out = capsys.readouterr()
    assert "installed" in out.out
    assert main(["models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["active"] == "tiny-random"
    # the registry entry is installed (as the package's own id): it is no longer offered for install
    assert [m["id"] for m in listing["installed"]] == ["tiny-random"] and listing["available"] == []
    assert listing["installed"][0]["active"] and listing["installed"][0]["size_on_disk"] > 0


def test_download_entry_skips_complete_files(tmp_path: Path, tiny_model: Path) -> None:
    reg = parse_registry(json.loads(native_registry(tmp_path, tiny_model, "t", REPO).read_text()))
    with hub_server() as (base, hub):
        for p in tiny_model.iterdir():
            hub.add(REPO, f"t/{p.name}", p.read_bytes())
        download_entry(reg.get("t"), tmp_path / "stage", base_url=base)
        n = len(hub.requests)
        download_entry(reg.get("t"), tmp_path / "stage", base_url=base)
        assert len(hub.requests) == n
    assert sorted(os.listdir(tmp_path / "stage")) == sorted(p.name for p in tiny_model.iterdir())
