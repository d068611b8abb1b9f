"""The model registry: required models present, licences marked, default justified, and every entry matches
what the real hub holds (tests/fixtures/hub_trees.json, transcribed from the shared hub facts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from photosearch.errors import ManifestError
from photosearch.models.registry import load_registry, parse_registry, safe_relpath

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "photosearch" / "data" / "registry.json"
TREES = json.loads((ROOT / "tests" / "fixtures" / "hub_trees.json").read_text(encoding="utf-8"))


def test_the_registry_has_one_source() -> None:
    assert not (ROOT / "models" / "registry.json").exists(), "the registry lives only in photosearch/data/"
    assert load_registry().source == REGISTRY


def test_every_registry_entry_names_what_the_real_hub_holds() -> None:
    reg = load_registry(REGISTRY)
    for m in reg.models:
        assert m.hub_repo in TREES["repos"], f"{m.id}: the hub has no repository {m.hub_repo}"
        assert m.hub_repo not in TREES["missing_repos"]
        tree = TREES["repos"][m.hub_repo]
        real = {f["path"]: f for f in tree["files"]}
        for f in m.files:
            assert f.path in real, f"{m.id}: {f.path} is not in the real tree of {m.hub_repo}"
            for key in ("size", "sha256"):
                assert getattr(f, key) == real[f.path].get(key), f"{m.id}: {f.path} {key}"
            assert f.approx_mb == real[f.path].get("approx_mb"), f"{m.id}: {f.path} approx_mb"
            assert f.path not in tree.get("absent", [])
        assert m.files_known == tree["files_known"], m.id
        if m.files_known:
            assert {f.path for f in m.files} == set(real), (
                f"{m.id}: registry and real tree list different files"
            )
        # pinned to the commit the facts give; else a branch resolved at install (never a made-up commit)
        if tree["commit"]:
            assert m.revision == tree["commit"] and m.pin == "commit", m.id
        else:
            assert m.revision == "main" and m.pin in ("none", "size+sha256") and m.pin_note, m.id
        assert m.unverified == (not tree["files_known"])


def test_licences_are_as_declared() -> None:
    by_id = {m.id: m for m in load_registry(REGISTRY).models}
    openai = by_id["openai-clip-vit-b-32"]
    assert openai.licence == "none declared" and not openai.commercial_use and "MIT" not in openai.licence
    assert by_id["nllb-clip-base-siglip"].licence == "CC-BY-NC-4.0"
    assert by_id["siglip-vit-b-16"].licence == "Apache-2.0" and by_id["siglip-vit-b-16"].commercial_use
    i18n = by_id["siglip-vit-b-16-i18n-256"]
    assert i18n.commercial_use and "multilingual" in i18n.languages and i18n.unverified
    rclip = by_id["openclip-vit-b-32-256-datacomp"]
    assert rclip.pin == "size+sha256" and "squash" in rclip.pin_note
    assert [f.path for f in rclip.files if f.sha256] == ["tokenizer/bpe_simple_vocab_16e6.txt.gz"]


def test_registry_has_the_required_models() -> None:
    reg = load_registry(REGISTRY)
    by_id = {m.id: m for m in reg.models}
    rclip = by_id["openclip-vit-b-32-256-datacomp"]
    assert (
        rclip.hub_repo == "yurijmikhalevich/rclip-models" and rclip.layout == "rclip" and rclip.dynamic_batch
    )
    assert by_id["openai-clip-vit-b-32"].layout == "xenova"
    assert by_id["openclip-vit-b-32-laion2b"].hub_repo == "immich-app/ViT-B-32__laion2b-s34b-b79k"
    assert by_id["siglip-vit-b-16"].hub_repo == "immich-app/ViT-B-16-SigLIP__webli"
    assert any(m.family == "siglip" and "SigLIP2" in m.hub_repo for m in reg.models)
    assert any(m.family == "xlmr-clip" and "multilingual" in m.languages for m in reg.models)
    for m in reg.models:
        assert m.licence and m.speed_class and m.embedding_dim > 0
        assert m.quality, m.id
    nc = [m for m in reg.models if not m.commercial_use]
    assert nc and all("NC" in m.licence or m.licence_note for m in nc)


def test_default_is_best_published_b32_with_dynamic_batch() -> None:
    reg = load_registry(REGISTRY)
    d = reg.default_entry
    assert d.dynamic_batch and d.commercial_use and d.image_gflops is not None and d.image_gflops <= 12
    b32 = [
        m
        for m in reg.models
        if m.image_gflops is not None
        and m.image_gflops <= 12
        and m.dynamic_batch
        and m.quality.get("coco5k_t2i_recall_1_5_10")
    ]
    best = max(b32, key=lambda m: m.quality["coco5k_t2i_recall_1_5_10"][0])
    assert best.id == d.id
    assert "dynamic batch" in reg.default_reason and "Fast on the computers" in reg.default_reason


def test_bad_registries_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError):
        parse_registry({"format": "nope"})
    base = {
        "format": "photosearch-registry/1",
        "default": "x",
        "models": [
            {
                "id": "x",
                "name": "x",
                "family": "clip",
                "layout": "weird",
                "hub_repo": "a/b",
                "files": [],
                "licence": "MIT",
                "commercial_use": True,
                "embedding_dim": 4,
            }
        ],
    }
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
