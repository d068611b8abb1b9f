"""Installing every registry entry from a local hub that holds each repository's REAL tree (file for file,
tests/fixtures/hub_trees.json) and answers with the hub's protocol: the install succeeds and is verified
against the hub's own hashes, from the pinned or resolved commit; a byte that differs from the hub's hash is
refused; an external-data model loads; a resumed download still verifies; a file without any hash needs
consent; the dry run lists exactly the requests the install makes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from photosearch.config import Paths
from photosearch.errors import DownloadError, ManifestError
from photosearch.models.download import ChecksumMismatch, UnverifiedDownload, download_file
from photosearch.models.hub import file_url, hub_base_url, list_tree
from photosearch.models.install import install_from_registry, install_package_dir
from photosearch.models.manifest import load_package
from photosearch.models.plan import dry_run
from photosearch.models.registry import RegistryEntry, RegistryFile, load_registry
from tests.hub_fixtures import bytes_for, hub_trees, repo_files
from tests.hub_server import fake_commit, real_hub

REGISTRY = load_registry()
TREES = hub_trees()


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(k, raising=False)


def served(entry: RegistryEntry) -> RegistryEntry:
    """The real entry, with the sizes/sha256 that tiny fixture models cannot have replaced by those of the
    bytes the local hub serves (repository, paths, revision and pin stay the real ones)."""
    tree = TREES["repos"][entry.hub_repo]
    files = []
    for f in entry.files:
        data = bytes_for(tree["fixture"], f.path)
        sha = hashlib.sha256(data).hexdigest()
        files.append(
            RegistryFile(
                f.path,
                len(data) if f.size is not None else None,
                sha if f.sha256 is not None else None,
                f.approx_mb,
            )
        )
    return dataclasses.replace(entry, files=tuple(files))


def head_commit(repo: str) -> str:
    tree = TREES["repos"][repo]
    return tree["commit"] or fake_commit(repo, "main")


def test_the_local_hub_holds_the_real_trees_and_answers_like_the_hub() -> None:
    import urllib.error
    import urllib.request

    with real_hub() as (base, hub):
        for repo, tree in TREES["repos"].items():
            listed = list_tree(repo, head_commit(repo), base)
            assert set(listed) == {f["path"] for f in repo_files(tree)}, repo
            for f in repo_files(tree):
                info = listed[f["path"]]
                assert (info.sha256 is not None) == f["lfs"] and (info.git_sha1 is not None) == (not f["lfs"])
            for absent in tree.get("absent", []):  # e.g. rclip's vocabulary inside the model folder
                with pytest.raises(urllib.error.HTTPError) as e:
                    urllib.request.urlopen(file_url(repo, absent, "main", base))
                assert e.value.code == 404
        for missing in TREES["missing_repos"]:  # the hub answers 401 for a repository that does not exist
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(file_url(missing, "config.json", "main", base))
            assert e.value.code == 401


@pytest.mark.parametrize("model_id", REGISTRY.ids())
def test_install_each_entry_from_its_real_tree(model_id: str, tmp_path: Path) -> None:
    entry = served(REGISTRY.get(model_id))
    paths = Paths.resolve(tmp_path / "data")
    with real_hub() as (base, hub):
        pkg = install_from_registry(entry, paths, base_url=base)
        requests = [(m, p) for m, p in hub.methods if not p.startswith("/_cdn/")]
    record = pkg.manifest.extra["download"]
    commit = head_commit(entry.hub_repo)
    assert record["commit"] == commit and record["repo"] == entry.hub_repo
    assert all(
        f["verified_by"] != "unverified" and "unverified" not in f["verified_by"]
        for f in record["files"].values()
    ), record["files"]
    assert all(f"/resolve/{commit}/" in f["url"] for f in record["files"].values())  # bytes from one commit
    load_package(pkg.root, verify="sha256")
    assert not (paths.downloads_dir / entry.id).exists()
    # every request is one the dry run announced (placeholders stand for what the hub answers)
    lines = dry_run(entry, base)
    announced = [
        (ln.split()[0], ln.split()[1].replace(base, "")) for ln in lines if ln.startswith(("HEAD", "GET"))
    ]
    for method, path in requests:
        ok = any(m == method and _matches(a, path, commit) for m, a in announced)
        ok = ok or (path.endswith("_data") and any(m == method and "model.onnx" in a for m, a in announced))
        assert ok, (method, path, announced)
    if entry.files_known:  # a known file list: exactly one HEAD + one GET per file, nothing else
        assert len(requests) == 2 * len(entry.files) + sum(1 for n in record["files"] if n.endswith("_data"))


def _matches(announced: str, path: str, commit: str) -> bool:
    import urllib.parse

    a = (
        urllib.parse.unquote(announced.split("?")[0])
        .replace("<X-Repo-Commit>", commit)
        .replace("<sha>", commit)
    )
    if "<path>" in a:
        return path.startswith(a.split("<path>")[0])
    return path == a


def test_pinned_commit_is_what_gets_installed_although_main_moved(tmp_path: Path) -> None:
    entry = served(REGISTRY.get("openclip-vit-b-32-laion2b"))
    with real_hub() as (base, hub):
        pkg = install_from_registry(entry, Paths.resolve(tmp_path / "data"), base_url=base)
        repo = hub.repos[entry.hub_repo]
        assert repo.refs["main"] != entry.revision
        pinned = repo.commits[entry.revision]["textual/tokenizer.json"].data
    assert (pkg.root / "tokenizer.json").read_bytes() == pinned
    assert all(entry.revision in p for m, p in hub.methods if "/resolve/" in p)


def test_a_file_whose_bytes_differ_from_the_hubs_hash_is_refused(tmp_path: Path) -> None:
    paths = Paths.resolve(tmp_path / "data")
    for model_id, path in (
        ("openclip-vit-b-32-laion2b", "visual/model.onnx"),  # LFS: sha256
        ("openclip-vit-b-32-laion2b", "config.json"),
    ):  # small file: git blob sha1
        entry = served(REGISTRY.get(model_id))
        with real_hub() as (base, hub):
            hub.corrupt.add(f"/{entry.hub_repo}/resolve/{entry.revision}/{path}")
            with pytest.raises(ChecksumMismatch, match="refused"):
                install_from_registry(entry, paths, base_url=base)
        assert not (paths.models_dir / entry.id).exists()


def test_registry_pin_that_the_hub_contradicts_is_refused_before_downloading(tmp_path: Path) -> None:
    entry = served(REGISTRY.get("openclip-vit-b-32-256-datacomp"))
    vocab = entry.files[2]
    assert (
        vocab.sha256 == "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
    )  # the real pin holds
    bad = dataclasses.replace(entry, files=(*entry.files[:2], dataclasses.replace(vocab, sha256="0" * 64)))
    with real_hub() as (base, hub), pytest.raises(ChecksumMismatch, match="registry pins"):
        install_from_registry(bad, Paths.resolve(tmp_path / "data"), base_url=base)
    assert not [p for m, p in hub.methods if m == "GET"]  # not one byte was downloaded


def test_external_data_model_installs_and_loads(tmp_path: Path) -> None:
    from photosearch.models.encoders import ModelRuntime, RuntimeSettings

    entry = served(REGISTRY.get("nllb-clip-base-siglip"))
    assert entry.unverified
    with real_hub() as (base, _hub):
        pkg = install_from_registry(entry, Paths.resolve(tmp_path / "data"), base_url=base)
    assert "textual/model.onnx_data" in pkg.manifest.files and pkg.manifest.text.file == "textual/model.onnx"
    assert "textual/model.onnx_data" in pkg.manifest.extra["download"]["files"]
    rt = ModelRuntime(load_package(pkg.root, verify="sha256"), RuntimeSettings(intra_op_threads=2))
    v = rt.text.encode(["a dog on a beach"])
    assert v.shape == (1, pkg.manifest.embedding_dim) and np.isfinite(v).all()
    assert pkg.manifest.text.query_prefix == "flores200"


def test_external_data_outside_the_folder_is_refused(tmp_path: Path) -> None:
    import onnx

    from tests.hub_fixtures import IMMICH

    m = onnx.load(str(IMMICH / "textual" / "model.onnx"))
    onnx.save_model(
        m, str(tmp_path / "model.onnx"), save_as_external_data=True, location="w.bin", size_threshold=0
    )
    m2 = onnx.load(str(tmp_path / "model.onnx"), load_external_data=False)
    for t in m2.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "../../evil.bin"
    evil = onnx._serialize(m2) if hasattr(onnx, "_serialize") else m2.SerializeToString()
    entry = served(REGISTRY.get("openclip-vit-b-32-laion2b"))
    entry = dataclasses.replace(
        entry, files=tuple(dataclasses.replace(f, sha256=None, size=None) for f in entry.files)
    )
    with real_hub() as (base, hub):
        hub.repos[entry.hub_repo].commits[entry.revision]["textual/model.onnx"] = type(
            hub.repos[entry.hub_repo].commits[entry.revision]["config.json"]
        )(evil, True)
        with pytest.raises(ManifestError, match="outside its folder"):
            install_from_registry(entry, Paths.resolve(tmp_path / "data"), base_url=base)
        assert not [p for m, p in hub.methods if "evil" in p]


def test_resumed_download_still_verifies(tmp_path: Path) -> None:
    entry = served(REGISTRY.get("openclip-vit-b-32-laion2b"))
    key = f"/{entry.hub_repo}/resolve/{entry.revision}/visual/model.onnx"
    with real_hub() as (base, hub):
        data = hub.files[key]
        sha = hashlib.sha256(data).hexdigest()
        url = file_url(entry.hub_repo, "visual/model.onnx", entry.revision, base)
        dest = tmp_path / "model.onnx"
        hub.drop_once[key] = len(data) // 2
        with pytest.raises(DownloadError, match="interrupted"):
            download_file(url, dest, size=len(data), sha256=sha, retries=0)
        part = dest.with_name("model.onnx.part")
        assert part.stat().st_size == len(data) // 2
        spoiled = bytearray(part.read_bytes())  # the kept half went bad on disk
        spoiled[100] ^= 0xFF
        part.write_bytes(bytes(spoiled))
        with pytest.raises(ChecksumMismatch, match="refused"):
            download_file(url, dest, size=len(data), sha256=sha, retries=0)
        assert not part.exists() and not dest.exists()
        hub.drop_once[key] = len(data) // 3
        with pytest.raises(DownloadError):
            download_file(url, dest, size=len(data), sha256=sha, retries=0)
        res = download_file(url, dest, size=len(data), sha256=sha, retries=0)
    assert res.resumed_from == [len(data) // 3] and dest.read_bytes() == data


def test_a_file_without_any_hash_needs_consent(tmp_path: Path) -> None:
    entry = served(REGISTRY.get("siglip-vit-b-16"))  # no hash in the registry: only the hub's
    paths = Paths.resolve(tmp_path / "data")
    with real_hub() as (base, hub):
        hub.hide_hash.add(f"/{entry.hub_repo}/resolve/main/textual/tokenizer.json")
        with pytest.raises(UnverifiedDownload, match="allow-unverified"):
            install_from_registry(entry, paths, base_url=base)
        assert not [p for m, p in hub.methods if m == "GET"]
        pkg = install_from_registry(entry, paths, base_url=base, allow_unverified=True)
    files = pkg.manifest.extra["download"]["files"]
    assert files["textual/tokenizer.json"]["verified_by"] == "unverified (allowed by the person)"
    assert files["visual/model.onnx"]["verified_by"] == "hub sha256"


def test_hub_endpoint_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHOTOSEARCH_HUB_URL", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example/")
    assert hub_base_url() == "https://mirror.example"
    assert dry_run(REGISTRY.default_entry)[1].startswith("HEAD https://mirror.example/yurijmikhalevich/")
    monkeypatch.setenv("PHOTOSEARCH_HUB_URL", "http://127.0.0.1:9")
    assert hub_base_url() == "http://127.0.0.1:9"


def test_dry_run_names_the_real_urls() -> None:
    lines = dry_run(REGISTRY.get("openclip-vit-b-32-256-datacomp"), "https://huggingface.co")
    assert (
        "HEAD https://huggingface.co/yurijmikhalevich/rclip-models/resolve/main/tokenizer/"
        "bpe_simple_vocab_16e6.txt.gz"
    ) in lines
    assert not any("datacomp_s34b_b86k/tokenizer" in ln for ln in lines)
    un = dry_run(REGISTRY.get("xlm-roberta-base-vit-b-32"), "https://huggingface.co")
    assert "UNVERIFIED" in un[0] and any(
        "/api/models/immich-app/XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k/tree/" in ln for ln in un
    )


def test_cli_dry_run_and_json_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.cli import main

    monkeypatch.setenv("PHOTOSEARCH_HUB_URL", "https://huggingface.co")
    assert main(["models", "install", "openclip-vit-b-32-laion2b", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "immich-app/ViT-B-32__laion2b-s34b-b79k/resolve/8204c663a7b5aa2edd55e0df578b39f57af07376/" in out
    assert main(["models", "install", "no-such-model", "--json"]) == ManifestError.exit_code
    err = json.loads(capsys.readouterr().out)
    assert err["kind"] == "ManifestError" and "unknown model" in err["error"]


def test_import_refuses_a_manifest_whose_dim_disagrees_with_the_model(
    tmp_path: Path, tiny_model: Path
) -> None:
    from photosearch.models.manifest import file_entries

    pkg = tmp_path / "pkg"
    shutil.copytree(tiny_model, pkg)
    m = json.loads((pkg / "manifest.json").read_text())
    m["embedding_dim"] = m["embedding_dim"] * 2
    m["files"] = file_entries(pkg, list(m["files"]))
    (pkg / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ManifestError, match="embedding_dim"):
        install_package_dir(pkg, tmp_path / "models")
    assert not (tmp_path / "models" / m["id"]).exists()


def test_truncated_onnx_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from photosearch.cli import main
    from tests.hub_fixtures import IMMICH

    src = tmp_path / "immich"
    shutil.copytree(IMMICH, src)
    data = (src / "visual" / "model.onnx").read_bytes()
    (src / "visual" / "model.onnx").write_bytes(data[: len(data) // 2])
    code = main(["models", "import", str(src)])
    err = capsys.readouterr().err.strip()
    assert code == ManifestError.exit_code and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "model.onnx" in err


def test_models_list_marks_unverified_entries(capsys: pytest.CaptureFixture[str]) -> None:
    from photosearch.cli import main

    assert main(["models", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    unverified = sorted(m["id"] for m in data["available"] if m["unverified"])
    assert unverified == sorted(e.id for e in REGISTRY.models if not e.files_known) and len(unverified) == 4
    assert (
        data["default"] == "openclip-vit-b-32-256-datacomp"
        and "Fast on the computers" in data["default_reason"]
    )
    openai = next(m for m in data["available"] if m["id"] == "openai-clip-vit-b-32")
    assert openai["licence"] == "none declared" and not openai["commercial_use"]
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("[unverified") == 4 and "NOT for commercial use" in out


def test_hub_requests_go_through_the_proxy_unless_no_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.models.hub import head_file
    from tests.hub_server import proxy_server

    entry = served(REGISTRY.get("openclip-vit-b-32-laion2b"))
    with real_hub() as (base, _hub), proxy_server() as (proxy_url, proxy):
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("http_proxy", proxy_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        info = head_file(file_url(entry.hub_repo, "visual/model.onnx", entry.revision, base))
        assert info.sha256 and info.lfs and info.commit == entry.revision
        assert proxy.forwarded and proxy.forwarded[-1].endswith("/visual/model.onnx")
        n = len(proxy.forwarded)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        head_file(file_url(entry.hub_repo, "config.json", entry.revision, base))
        assert len(proxy.forwarded) == n  # bypassed


def test_free_disk_space_is_checked_before_downloading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import collections

    from photosearch.errors import DiskFull
    from photosearch.models import download

    entry = served(REGISTRY.get("openclip-vit-b-32-laion2b"))
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(download.shutil, "disk_usage", lambda _p: usage(10**9, 10**9 - 1000, 1000))
    with real_hub() as (base, hub), pytest.raises(DiskFull, match="not enough disk space"):
        install_from_registry(entry, Paths.resolve(tmp_path / "data"), base_url=base)
    assert not [p for m, p in hub.methods if m == "GET"]
