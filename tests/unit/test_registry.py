"""The model registry: required models present, licences marked, default justified, shipped copy in sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from photosearch.errors import ManifestError
from photosearch.models.registry import load_registry, parse_registry, safe_relpath

ROOT = Path(__file__).resolve().parents[2]


def test_source_and_packaged_registry_are_identical() -> None:
    src = ROOT / "models" / "registry.json"
    shipped = ROOT / "photosearch" / "data" / "registry.json"
    assert src.read_bytes() == shipped.read_bytes(), "copy models/registry.json to photosearch/data/registry.json"


def test_registry_has_the_required_models() -> None:
    reg = load_registry(ROOT / "models" / "registry.json")
    by_id = {m.id: m for m in reg.models}
    rclip = by_id["openclip-vit-b-32-256-datacomp"]
    assert rclip.hub_repo == "yurijmikhalevich/rclip-models" and rclip.layout == "rclip" and rclip.dynamic_batch
    assert by_id["openai-clip-vit-b-32"].layout == "xenova"
    assert "laion2b" in by_id["openclip-vit-b-32-laion2b"].hub_repo
    assert any(m.family == "siglip" and "SigLIP2" in m.hub_repo for m in reg.models)
    assert any(m.family == "xlmr-clip" and "multilingual" in m.languages for m in reg.models)
    for m in reg.models:
        assert m.licence and m.speed_class and m.embedding_dim > 0
        assert m.quality, m.id
    nc = [m for m in reg.models if not m.commercial_use]
    assert nc and all("NC" in m.licence for m in nc)


def test_default_is_best_published_b32_with_dynamic_batch() -> None:
    reg = load_registry(ROOT / "models" / "registry.json")
    d = reg.default_entry
    assert d.dynamic_batch and d.commercial_use and d.image_gflops is not None and d.image_gflops <= 12
    b32 = [m for m in reg.models if m.image_gflops is not None and m.image_gflops <= 12 and m.dynamic_batch
           and m.quality.get("coco5k_t2i_recall_1_5_10")]
    best = max(b32, key=lambda m: m.quality["coco5k_t2i_recall_1_5_10"][0])
    assert best.id == d.id
    assert "dynamic batch" in reg.default_reason


def test_bad_registries_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError):
        parse_registry({"format": "nope"})
    base = {"format": "photosearch-registry/1", "default": "x", "models": [
        {"id": "x", "name": "x", "family": "clip", "layout": "weird", "hub_repo": "a/b", "files": [],
         "licence": "MIT", "commercial_use": True, "embedding_dim": 4}]}
    with pytest.raises(ManifestError, match="layout"):
        parse_registry(base)
    base["models"][0]["layout"] = "immich"
    base["default"] = "y"
    with pytest.raises(ManifestError, match="default"):
        parse_registry(base)
    assert safe_relpath("visual/model.onnx") == "visual/model.onnx"
    p = tmp_path / "r.json"
    p.write_text(json.dumps({**base, "default": "x"}))
    assert load_registry(p).get("x").layout == "immich"
    with pytest.raises(ManifestError, match="unknown model"):
        load_registry(p).get("nope")
