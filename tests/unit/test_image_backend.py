"""The image encoder's backends: ONNX Runtime (exact) and OpenVINO (bf16 on CPUs with AMX), and how
``auto`` chooses between them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from models.tools import shapes
from photosearch.config import Paths
from photosearch.errors import ModelLoadError
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.models import runtime_settings
from photosearch.models.encoders import ModelRuntime, RuntimeSettings
from photosearch.models.install import install_package_dir
from photosearch.models.manifest import load_package
from photosearch.models.onnx_ops import is_quantised_onnx, onnx_op_types
from photosearch.search.engine import SearchEngine

openvino = pytest.importorskip("openvino", reason="the optional openvino package (pip install '.[accel]')")


def _settings(backend: str) -> RuntimeSettings:
    return RuntimeSettings(intra_op_threads=2, image_backend=backend)


def _shape_tensors(shapes_model: Path, n: int = 24) -> tuple[ModelRuntime, np.ndarray]:
    rng = np.random.default_rng(7)
    rt = ModelRuntime.from_path(shapes_model, _settings("onnxruntime"))
    imgs = [shapes.render(shapes.random_spec(rng)) for _ in range(n)]
    return rt, rt.preprocessor.batch(imgs)


def test_settings_reject_an_unknown_backend() -> None:
    with pytest.raises(ValueError, match="image backend must be one of auto, onnxruntime, openvino"):
        RuntimeSettings(intra_op_threads=1, image_backend="cuda")


def test_default_settings_take_the_backend_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(runtime_settings.ENV_IMAGE_BACKEND, raising=False)
    assert RuntimeSettings.default().image_backend == "auto"
    assert RuntimeSettings.default().openvino_cache  # the app keeps compiled models
    monkeypatch.setenv(runtime_settings.ENV_IMAGE_BACKEND, "OpenVINO")
    assert RuntimeSettings.default().image_backend == "openvino"
    monkeypatch.setenv(runtime_settings.ENV_IMAGE_BACKEND, "tpu")
    with caplog.at_level(logging.WARNING):
        assert RuntimeSettings.default().image_backend == "auto"
    assert "PHOTOSEARCH_IMAGE_BACKEND='tpu' is not one of" in caplog.text
    # settings made by hand are exact unless asked
    assert RuntimeSettings(intra_op_threads=1).image_backend == "onnxruntime"


def test_openvino_encodes_like_onnxruntime(shapes_model: Path) -> None:
    rt, x = _shape_tensors(shapes_model)
    ref = rt.image.encode_tensors(x)
    assert rt.image.backend == "onnxruntime"
    ov = ModelRuntime.from_path(shapes_model, _settings("openvino"))
    ov.image.load()  # checks the manifest's input name against the compiled model's inputs
    got = ov.image.encode_tensors(x)
    assert ov.image.backend == "openvino"
    assert got.shape == ref.shape and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cos = np.sum(got * ref, axis=1)
    assert cos.min() >= 0.99, cos.min()  # bf16 matrix units (AMX) or fp32, as OpenVINO picks for this CPU
    # the same nearest neighbours: retrieval does not change
    assert (
        np.argsort(-(got @ got.T), axis=1)[:, :3] == np.argsort(-(ref @ ref.T), axis=1)[:, :3]
    ).mean() >= 0.95
    # batches of any size (the model's batch axis is dynamic), and one image at a time
    np.testing.assert_allclose(ov.image.encode_tensors(x[:5]), got[:5], atol=1e-5)
    np.testing.assert_allclose(ov.image.encode_tensors(x[5:6]), got[5:6], atol=1e-5)
    assert ov.image.calls == len(x) + 6


def test_auto_keeps_quantised_models_on_onnxruntime(tiny_model: Path, tmp_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    pkg = load_package(tiny_model)
    assert not is_quantised_onnx(pkg.vision_path)
    q = tmp_path / "visual-int8.onnx"
    quantize_dynamic(str(pkg.vision_path), str(q), weight_type=QuantType.QInt8)
    assert is_quantised_onnx(q)
    assert _settings("auto").resolve_image_backend(q) == "onnxruntime"
    assert _settings("openvino").resolve_image_backend(q) == "openvino"  # asked for explicitly
    assert not is_quantised_onnx(tmp_path / "missing.onnx")
    # the operator list comes from a walk over the protobuf wire format: the same as onnx's own parse
    import onnx

    for path in (pkg.vision_path, pkg.text_path, q):
        assert onnx_op_types(path) == {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "MatMulInteger" in onnx_op_types(q)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x3a\xff\xff\xff\x7f" + b"\x00" * 64)  # graph field claiming 2 GB
    with pytest.raises(ValueError):
        onnx_op_types(junk)
    assert not is_quantised_onnx(junk)
    junk.write_bytes(q.read_bytes()[:5000])  # truncated
    assert not is_quantised_onnx(junk)


def test_auto_follows_the_cpus_native_precision(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vision = load_package(tiny_model).vision_path
    core = runtime_settings.openvino_core()
    native_bf16 = core.get_property("CPU", "INFERENCE_PRECISION_HINT") == openvino.Type.bf16
    assert _settings("auto").resolve_image_backend(vision) == ("openvino" if native_bf16 else "onnxruntime")

    class Fp32Cpu:
        def get_property(self, device: str, name: str):
            return openvino.Type.f32

    monkeypatch.setattr(runtime_settings, "openvino_core", lambda: Fp32Cpu())
    assert _settings("auto").resolve_image_backend(vision) == "onnxruntime"
    monkeypatch.setattr(runtime_settings, "openvino_core", lambda: None)  # openvino not installed
    assert _settings("auto").resolve_image_backend(vision) == "onnxruntime"
    rt = ModelRuntime.from_path(tiny_model, _settings("auto"))
    rt.image.encode_tensors(np.zeros((2, 3, 32, 32), np.float32))
    assert rt.image.backend == "onnxruntime"


def test_openvino_asked_for_but_not_installed_says_so(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_settings, "openvino_core", lambda: None)
    rt = ModelRuntime.from_path(tiny_model, _settings("openvino"))
    with pytest.raises(
        ModelLoadError, match="'openvino' package isn't installed .*PHOTOSEARCH_IMAGE_BACKEND=onnxruntime"
    ):
        rt.image.load()


def test_a_library_indexed_with_openvino_answers_like_onnxruntime(shapes_model: Path, tmp_path: Path) -> None:
    """Index the same photos with each backend (through the real pipeline): the text queries rank the
    same photos first."""
    photos = tmp_path / "photos"
    items = dict((str(p), s) for p, s in shapes.make_library(photos, 120, seed=4242))
    tops: dict[str, list[list[str]]] = {}
    queries = [f"a {c} {s}" for s in shapes.SHAPES[:3] for c in shapes.COLOURS[:4]]
    for backend in ("onnxruntime", "openvino"):
        paths = Paths.resolve(tmp_path / f"data-{backend}")
        with Library(paths, write=True, purpose="test", settings=_settings(backend)) as lib:
            lib.set_active_model(install_package_dir(shapes_model, paths.models_dir).id)
            lib.add_folder(photos)
            events = list(Indexer(lib).run())
            assert events[-1].phase == "done" and events[-1].encoded == 120
            rt = lib.runtime()
            assert rt.image.backend == backend
            engine = SearchEngine(lib.catalog, rt, lib.vector_index())
            tops[backend] = [[r.path for r in engine.search_text(q, k=3).results] for q in queries]
    same_first = sum(a[0] == b[0] for a, b in zip(tops["onnxruntime"], tops["openvino"], strict=True))
    assert same_first >= len(queries) - 1, tops
    hits = [
        shapes.matches(items[t[0]], {"shape": q.split()[2], "colour": q.split()[1]})
        for q, t in zip(queries, tops["openvino"], strict=True)
    ]
    assert sum(hits) >= len(queries) - 1


def test_openvino_compile_cache_per_model_is_reused_and_dropped_with_the_model(
    shapes_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.config import openvino_cache_dir
    from photosearch.models.install import remove_package

    monkeypatch.setenv("PHOTOSEARCH_CACHE_DIR", str(tmp_path / "cache"))
    models = tmp_path / "models"
    pkg = install_package_dir(shapes_model, models)
    cache = openvino_cache_dir(pkg.id)
    assert cache == tmp_path / "cache" / "openvino" / pkg.id
    settings = RuntimeSettings(intra_op_threads=2, image_backend="openvino", openvino_cache=True)
    rt, x = _shape_tensors(shapes_model, n=4)
    first = ModelRuntime.from_path(models / pkg.id, settings).image.encode_tensors(x)
    blobs = sorted(cache.rglob("*.blob"))
    assert len(blobs) == 1, blobs
    again = ModelRuntime.from_path(models / pkg.id, settings).image.encode_tensors(x)  # loads the cached blob
    np.testing.assert_allclose(again, first, atol=1e-6)
    assert sorted(cache.rglob("*.blob")) == blobs  # reused, not compiled anew
    remove_package(pkg.id, models)
    assert not cache.exists()


def test_an_unusable_compile_cache_does_not_stop_encoding(
    shapes_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("PHOTOSEARCH_CACHE_DIR", str(blocker))
    settings = RuntimeSettings(intra_op_threads=2, image_backend="openvino", openvino_cache=True)
    rt, x = _shape_tensors(shapes_model, n=3)
    got = ModelRuntime.from_path(shapes_model, settings).image.encode_tensors(x)
    assert np.sum(got * rt.image.encode_tensors(x), axis=1).min() >= 0.99


def test_a_model_replaced_in_place_is_compiled_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenVINO keys its cache by the file's path only; the cache folder is per content, so new weights
    at the same path are never served from the old model's compiled blob."""
    from tests.tinymodel import build_tiny_model

    monkeypatch.setenv("PHOTOSEARCH_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "tiny"
    x = np.random.default_rng(3).random((4, 3, 32, 32), dtype=np.float32)
    settings = RuntimeSettings(intra_op_threads=2, image_backend="openvino", openvino_cache=True)
    outs = []
    for seed in (0, 1):
        build_tiny_model(root, seed=seed)  # same folder, same file names, other weights
        ov = ModelRuntime.from_path(root, settings).image.encode_tensors(x)
        ref = ModelRuntime.from_path(root, _settings("onnxruntime")).image.encode_tensors(x)
        assert np.sum(ov * ref, axis=1).min() >= 0.99
        outs.append(ov)
    assert np.sum(outs[0] * outs[1], axis=1).min() < 0.99  # the weights did change
    assert len(list((tmp_path / "cache").rglob("*.blob"))) == 2


def test_status_says_what_runs_the_image_encoder_and_when_openvino_would_help(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    vision = load_package(tiny_model).vision_path
    info = runtime_settings.describe_image_backend(_settings("onnxruntime"), vision)
    assert info["backend"] == "onnxruntime" and info["hint"] is None
    # a CPU with AMX and no openvino installed: say how to get the faster path
    monkeypatch.setattr(runtime_settings, "cpu_has_amx_bf16", lambda: True)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real_find_spec(name, *a)
    )
    monkeypatch.setattr(runtime_settings, "openvino_core", lambda: None)
    info = runtime_settings.describe_image_backend(_settings("auto"), vision)
    assert info["backend"] == "onnxruntime" and not info["openvino_installed"]
    assert "installing OpenVINO" in info["hint"]
    monkeypatch.setattr(runtime_settings, "cpu_has_amx_bf16", lambda: False)
    assert runtime_settings.describe_image_backend(_settings("auto"), vision)["hint"] is None


def test_cli_status_reports_the_image_encoder(tiny_model: Path, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    data = tmp_path / "data"
    run = [sys.executable, "-m", "photosearch", "--data-dir", str(data)]
    subprocess.run([*run, "models", "import", str(tiny_model)], check=True, capture_output=True)
    out = subprocess.run([*run, "status", "--json"], check=True, capture_output=True, text=True).stdout
    enc = json.loads(out)["image_encoder"]
    assert enc["setting"] == enc["backend"] == "onnxruntime"  # tests/conftest.py pins the exact backend
    human = subprocess.run([*run, "status"], check=True, capture_output=True, text=True).stdout
    assert "encoder: images on onnxruntime" in human
