"""Import adapters: Immich, transformers.js/Xenova and rclip layouts (tiny random models made by
models/tools/export_layouts.py and models/tools/export.py) import, index and search correctly; fixed
batch axes are made dynamic only when batch-8 output equals batch-1 output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.errors import ManifestError
from photosearch.models.adapters import adapt_folder, batch_equivalence, detect_layout, graph_io
from photosearch.models.encoders import ModelRuntime, RuntimeSettings
from photosearch.models.manifest import load_package

FIX = Path(__file__).resolve().parents[1] / "fixtures"
IMMICH = FIX / "layouts" / "immich-clip"
XENOVA = FIX / "families" / "clip" / "model"


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("skimage")
    from models.tools.make_family_fixtures import sample_photos

    d = tmp_path_factory.mktemp("library")
    for name, arr in sample_photos().items():
        Image.fromarray(arr).save(d / f"{name}.png", compress_level=1)
    return d


def _rt(root: Path) -> ModelRuntime:
    return ModelRuntime(load_package(root, verify="sha256"), RuntimeSettings(intra_op_threads=2))


def test_detect_layout(tmp_path: Path, tiny_model: Path) -> None:
    assert detect_layout(IMMICH) == "immich"
    assert detect_layout(XENOVA) == "xenova"
    assert detect_layout(tiny_model) == "photosearch"
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "model.onnx").write_bytes(b"")
    with pytest.raises(ManifestError, match="Immich layout"):
        detect_layout(tmp_path / "x")


def test_immich_fixed_batch_made_dynamic_and_proven(tmp_path: Path, photos: Path) -> None:
    ins, _ = graph_io(IMMICH / "visual" / "model.onnx")
    assert ins[0].name == "image" and ins[0].dims[0] == 1  # the published export: batch fixed at 1
    t_ins, _ = graph_io(IMMICH / "textual" / "model.onnx")
    assert t_ins[0].dtype == "int32" and t_ins[0].dims == (1, 77)

    pkg = adapt_folder(IMMICH, tmp_path / "dyn", model_id="immich-dyn")
    fixed = adapt_folder(IMMICH, tmp_path / "fixed", model_id="immich-fixed", make_dynamic=False)
    m = load_package(pkg).manifest
    assert m.vision.dynamic_batch and m.text.dynamic_batch and not m.text.dynamic_sequence
    assert (
        m.vision.crop_rounding == "round" and m.vision.output.normalized and m.text.input_ids.dtype == "int32"
    )
    assert "made dynamic" in m.extra["import_checks"]["vision_batch"]
    assert not load_package(fixed).manifest.vision.dynamic_batch

    dyn, one = _rt(pkg), _rt(fixed)
    paths = sorted(photos.glob("*.png"))
    tensors = np.stack([dyn.preprocessor.exact(p) for p in paths])
    # batch-8 output equals batch-1 output, on real photos, through the rewritten graph
    diff = batch_equivalence(pkg / "visual.onnx", "embedding", {"image": tensors})
    print(f"\nImmich visual: batch-{len(paths)} vs batch-1 max relative diff {diff:.2e}")
    assert len(paths) == 8 and diff <= 1e-4
    a, b = dyn.image.encode_tensors(tensors), one.image.encode_tensors(tensors)
    assert one.image.max_batch == 1 and float(np.abs(a - b).max()) < 1e-5
    texts = ["a dog on a beach", "red car", "snow", "two kids at a birthday party with a cake"] * 2
    ta, tb = dyn.text.encode(texts), one.text.encode(texts)
    assert float(np.abs(ta - tb).max()) < 1e-5


def test_rclip_layout_imports_with_converted_bpe(tmp_path: Path) -> None:
    from models.tools.export import RCLIP_SUBDIR, package_to_rclip

    xen = _rt(adapt_folder(XENOVA, tmp_path / "xen", model_id="xen"))
    datadir = package_to_rclip(xen.package.root, tmp_path / "rclip-data")
    src = datadir / RCLIP_SUBDIR
    assert detect_layout(src) == "rclip"
    rc = _rt(adapt_folder(src, tmp_path / "rc", model_id="rc"))
    m = rc.package.manifest
    assert m.vision.input.name == "input" and m.text.input_ids.name == "input" and m.vision.dynamic_batch
    texts = json.loads((FIX / "families" / "strings.json").read_text(encoding="utf-8"))[:200]
    assert [rc.text.tokenizer.ids(t) for t in texts] == [xen.text.tokenizer.ids(t) for t in texts]
    assert float(np.abs(rc.text.encode(texts) - xen.text.encode(texts)).max()) < 1e-5


def test_rclip_data_folder_imports_its_model(tmp_path: Path, data_dir: Path) -> None:
    """`models import ~/.local/share/rclip` (rclip's own data folder: the model folder, tokenizer/ and its
    database) was refused as "not a model folder PhotoSearch knows"; only the model subfolder imported. The
    data folder now imports the one model inside it, the same model as its subfolder gives."""
    from models.tools.export import RCLIP_SUBDIR, package_to_rclip
    from tests.e2e.helpers import run_json

    xen = _rt(adapt_folder(XENOVA, tmp_path / "xen", model_id="xen"))
    datadir = package_to_rclip(xen.package.root, tmp_path / "share" / "rclip")
    (datadir / "db.sqlite3").write_bytes(b"SQLite format 3\x00")  # rclip's catalog lies beside the model
    assert detect_layout(datadir) == "rclip"
    out = run_json(data_dir, "models", "import", str(datadir))
    assert out["layout"] == "rclip", out
    rc = _rt(data_dir / "models" / out["installed"])
    assert rc.package.manifest.name == RCLIP_SUBDIR
    texts = json.loads((FIX / "families" / "strings.json").read_text(encoding="utf-8"))[:50]
    assert float(np.abs(rc.text.encode(texts) - xen.text.encode(texts)).max()) < 1e-5
    shutil.copytree(datadir / RCLIP_SUBDIR, datadir / "another-model")  # two models: which is not guessed
    with pytest.raises(ManifestError, match="2 rclip model folders"):
        detect_layout(datadir)


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    from photosearch.cli import main

    assert main([*args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("layout", ["immich", "xenova"])
def test_layout_folder_imports_indexes_and_searches(
    layout: str, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / f"{layout}-model"
    shutil.copytree(IMMICH if layout == "immich" else XENOVA, src)
    out = _cli(["models", "import", str(src)], capsys)
    assert out["layout"] == layout
    model_id = out["installed"]
    _cli(["folders", "add", str(photos)], capsys)
    idx = _cli(["index", "-q"], capsys)
    assert idx["counts"]["indexed"] == 8

    rt = _rt(Path(__import__("os").environ["PHOTOSEARCH_DATA_DIR"]) / "models" / model_id)
    names = sorted(p.name for p in photos.glob("*.png"))
    img = rt.image.encode_tensors(np.stack([rt.preprocessor.exact(photos / n) for n in names]))
    if layout == "xenova":  # our own vectors match the torch reference first
        ref = np.load(FIX / "families" / "clip" / "reference.npz")
        r = ref["image_embeds"] / np.linalg.norm(ref["image_embeds"], axis=1, keepdims=True)
        order = [names.index(f"{n}.png") for n in ref["photos"]]
        assert float((img[order] * r).sum(1).min()) > 0.9999
    for query in ("a photo of a dog on a beach", "snowy mountains at sunset", "a red car"):
        res = _cli(["search", query, "-k", "8"], capsys)
        got = [Path(x["path"]).name for x in res["results"]]
        expected = [names[i] for i in np.argsort(-(img @ rt.text.encode([query])[0]), kind="stable")]
        assert got == expected, (query, got, expected)
    res = _cli(["similar", str(photos / "coffee.png"), "-k", "3"], capsys)
    assert Path(res["results"][0]["path"]).name != "coffee.png" or len(res["results"]) >= 1
    res = _cli(["search", "--image", str(photos / "coffee.png"), "-k", "1"], capsys)
    assert Path(res["results"][0]["path"]).name == "coffee.png"
