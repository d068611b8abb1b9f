from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from photosearch.errors import ManifestError
from photosearch.models.encoders import ModelRuntime
from photosearch.models.manifest import load_package, parse_manifest


@pytest.fixture
def pkg(tiny_model: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "pkg"
    shutil.copytree(tiny_model, dest)
    return dest


def _edit(pkg: Path, fn) -> None:
    data = json.loads((pkg / "manifest.json").read_text())
    fn(data)
    (pkg / "manifest.json").write_text(json.dumps(data))


def _one_line(e: pytest.ExceptionInfo) -> str:
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_valid_package_loads_with_checksums(pkg: Path) -> None:
    p = load_package(pkg, verify="sha256")
    assert p.manifest.family == "clip"
    assert p.manifest.vision.image_size == 32
    assert p.manifest.text.dynamic_sequence is True
    # round trip through to_json keeps it valid
    again = parse_manifest(p.manifest.to_json())
    assert again == p.manifest


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        (("vision", "mean"), "vision.mean"),
        (("text", "context_length"), "text.context_length"),
        (("embedding_dim",), "embedding_dim"),
        (("licence",), "licence"),
        (("vision", "input"), "vision.input"),
    ],
)
def test_missing_field_is_named(pkg: Path, path: tuple[str, ...], needle: str) -> None:
    def drop(d: dict) -> None:
        for key in path[:-1]:
            d = d[key]
        del d[path[-1]]

    _edit(pkg, drop)
    with pytest.raises(ManifestError) as e:
        load_package(pkg)
    msg = _one_line(e)
    assert needle in msg and "missing" in msg


def test_bad_values_are_named(pkg: Path) -> None:
    _edit(pkg, lambda d: d["vision"].__setitem__("interpolation", "cubic-ish"))
    with pytest.raises(ManifestError, match=r"vision\.interpolation.*bicubic"):
        load_package(pkg)


def test_wrong_embedding_dim_is_named_when_the_model_runs(pkg: Path) -> None:
    _edit(pkg, lambda d: d.__setitem__("embedding_dim", 99))
    rt = ModelRuntime.from_path(pkg)
    with pytest.raises(ManifestError) as e:
        rt.text.encode(["a red circle"])
    msg = _one_line(e)
    assert "embedding_dim" in msg and "99" in msg and "16" in msg


def test_checksum_mismatch_is_named(pkg: Path) -> None:
    data = bytearray((pkg / "visual.onnx").read_bytes())
    data[-1] ^= 0xFF
    (pkg / "visual.onnx").write_bytes(bytes(data))
    load_package(pkg, verify="size")  # same size: the cheap check passes
    with pytest.raises(ManifestError) as e:
        load_package(pkg, verify="sha256")
    msg = _one_line(e)
    assert "checksum mismatch" in msg and "visual.onnx" in msg


def test_size_mismatch_and_missing_file(pkg: Path) -> None:
    (pkg / "tokenizer.json").write_text("{}")
    with pytest.raises(ManifestError, match="tokenizer.json.*bytes"):
        load_package(pkg)
    (pkg / "tokenizer.json").unlink()
    with pytest.raises(ManifestError, match="tokenizer.json.*missing"):
        load_package(pkg)


def test_paths_outside_the_package_are_refused(pkg: Path) -> None:
    _edit(pkg, lambda d: d["vision"].__setitem__("file", "../evil.onnx"))
    with pytest.raises(ManifestError, match="inside the package"):
        load_package(pkg)


def test_wrong_input_name_is_named(pkg: Path) -> None:
    _edit(pkg, lambda d: d["vision"]["input"].__setitem__("name", "image"))
    rt = ModelRuntime.from_path(pkg)
    with pytest.raises(ManifestError, match=r"vision\.input\.name"):
        rt.image.load()


def test_cli_reports_bad_manifest_in_one_line(pkg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from photosearch.cli import main

    _edit(pkg, lambda d: d.pop("family"))
    assert main(["models", "import", str(pkg)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "family" in err


def test_fixed_batch_model_is_chunked(tiny_model: Path, tmp_path: Path) -> None:
    from tests.tinymodel import build_tiny_model

    fixed = build_tiny_model(tmp_path / "fixed", dynamic_batch=False, dynamic_sequence=False)
    rt_fixed = ModelRuntime.from_path(fixed)
    rt_dyn = ModelRuntime.from_path(tiny_model)
    rng = np.random.default_rng(1)
    batch = rng.standard_normal((5, 3, 32, 32)).astype(np.float32)
    a = rt_fixed.image.encode_tensors(batch)
    b = rt_dyn.image.encode_tensors(batch)
    assert a.shape == (5, 16)
    np.testing.assert_allclose(a, b, atol=1e-5)
    texts = ["a red circle", "the dog", "blue square at the top left"]
    np.testing.assert_allclose(rt_fixed.text.encode(texts), rt_dyn.text.encode(texts), atol=1e-5)
