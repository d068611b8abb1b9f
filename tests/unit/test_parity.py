"""Parity with the reference implementation, per family, with identical random weights.

Our path: exact preprocessing (``Preprocessor.exact``) + our tokenizer + ONNX Runtime, on a package made
by our import adapters. Reference: transformers' image processor (PIL path) + tokenizer (SentencePiece
itself for XLM-R) + the torch model, recorded by ``models/tools/make_family_fixtures.py`` in
``tests/fixtures/families/<family>/reference.npz``. No torch here.

Bar: cosine scores (image × text) differ by ≤ 1e-3 and every embedding has cosine ≥ 0.9999 to the
reference. Negative controls (bilinear instead of bicubic, ImageNet mean/std, a 1-pixel crop shift) must
miss the bar in the same test.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.models.adapters import adapt_folder
from photosearch.models.encoders import ModelRuntime, RuntimeSettings, l2_normalize
from photosearch.models.manifest import load_package
from photosearch.models.preprocess import Preprocessor

FAMILIES = Path(__file__).resolve().parents[1] / "fixtures" / "families"
SCORE_TOL = 1e-3
COSINE_MIN = 0.9999
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


@pytest.fixture(scope="module")
def photo_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("skimage")
    from models.tools.make_family_fixtures import sample_photos

    d = tmp_path_factory.mktemp("photos")
    out = {}
    for name, arr in sample_photos().items():
        p = d / f"{name}.png"
        Image.fromarray(arr).save(p, compress_level=1)
        out[name] = p
    return out


@pytest.fixture(scope="module")
def strings() -> list[str]:
    return json.loads((FAMILIES / "strings.json").read_text(encoding="utf-8"))


def _package(family: str, tmp: Path) -> ModelRuntime:
    src = FAMILIES / family / "model"
    root = (
        src
        if (src / "manifest.json").is_file()
        else adapt_folder(src, tmp / family, model_id=f"family-{family}")
    )
    return ModelRuntime(load_package(root, verify="sha256"), RuntimeSettings(intra_op_threads=2))


class ShiftedCrop(Preprocessor):
    """Negative control: the centre crop one pixel off along the long side."""

    def center_crop(self, img: Image.Image, s: int) -> Image.Image:
        w, h = img.size
        left, top = (w - s) // 2, (h - s) // 2
        left, top = (left + 1, top) if w > h else (left, top + 1)
        return img.crop((left, top, left + s, top + s))


def _figures(ours_img: np.ndarray, ours_txt: np.ndarray, ref_img: np.ndarray, ref_txt: np.ndarray) -> dict:
    return {
        "score_diff": float(np.abs(ours_img @ ours_txt.T - ref_img @ ref_txt.T).max()),
        "min_image_cos": float((ours_img * ref_img).sum(1).min()),
        "min_text_cos": float((ours_txt * ref_txt).sum(1).min()),
    }


def _passes(f: dict) -> bool:
    return (
        f["score_diff"] <= SCORE_TOL and f["min_image_cos"] >= COSINE_MIN and f["min_text_cos"] >= COSINE_MIN
    )


@pytest.mark.parametrize("family", ["clip", "siglip", "xlmr"])
def test_family_parity_with_reference(
    family: str, photo_paths: dict[str, Path], strings: list[str], tmp_path: Path
) -> None:
    ref = np.load(FAMILIES / family / "reference.npz")
    names = [str(n) for n in ref["photos"]]
    assert len(strings) >= 1000 and len(names) >= 6
    rt = _package(family, tmp_path)
    expected_family = {"clip": "clip", "siglip": "siglip", "xlmr": "xlmr-clip"}[family]
    assert rt.package.manifest.family == expected_family
    paths = [photo_paths[n] for n in names]

    # tokenizer: same ids as the reference tokenizer
    tok = rt.text.tokenizer
    ref_ids = [list(r[:n]) for r, n in zip(ref["text_ids"], ref["text_lengths"], strict=True)]
    if rt.package.manifest.text.pad_id == rt.package.manifest.text.eos_id:  # pad = eos (SigLIP): trim pads
        ref_ids = [r[: r.index(rt.package.manifest.text.eos_id) + 1] for r in ref_ids]
    same = sum(tok.ids(s) == r for s, r in zip(strings, ref_ids, strict=True))

    ref_img, ref_txt = l2_normalize(ref["image_embeds"]), l2_normalize(ref["text_embeds"])
    decoded = [rt.preprocessor.decode_exact(p).image for p in paths]  # the exact path: full decode, no draft
    assert all(
        np.array_equal(rt.preprocessor.to_tensor(d), rt.preprocessor.exact(p))
        for d, p in zip(decoded[:2], paths[:2], strict=True)
    )
    ours_img = rt.image.encode_tensors(rt.preprocessor.batch(decoded))
    # encode in length order (less padding; outputs don't depend on padding), then restore the order
    order = np.argsort([len(tok.ids(s)) for s in strings], kind="stable")
    ours_txt = np.empty((len(strings), rt.dim), np.float32)
    ours_txt[order] = rt.text.encode([strings[i] for i in order])
    f = _figures(ours_img, ours_txt, ref_img, ref_txt)

    spec = rt.package.manifest.vision
    controls = {
        "bilinear": Preprocessor(dataclasses.replace(spec, interpolation="bilinear")),
        "imagenet mean/std": Preprocessor(dataclasses.replace(spec, mean=IMAGENET_MEAN, std=IMAGENET_STD)),
        "1-px crop shift": ShiftedCrop(spec)
        if spec.crop == "center"
        else ShiftedCrop(dataclasses.replace(spec, resize_mode="shortest", crop="center")),
    }
    control_figs = {}
    for name, pre in controls.items():
        img = rt.image.encode_tensors(pre.batch(decoded))
        control_figs[name] = _figures(img, ours_txt, ref_img, ref_txt)

    print(
        f"\n{family}: {len(names)} photos x {len(strings)} strings; token ids identical {same}/{len(strings)}; "
        f"max score diff {f['score_diff']:.2e}; min cosine image {f['min_image_cos']:.6f} "
        f"text {f['min_text_cos']:.6f}"
    )
    for name, cf in control_figs.items():
        print(
            f"  control {name:18}: max score diff {cf['score_diff']:.2e}, min image cosine {cf['min_image_cos']:.6f}"
            f" -> {'PASSES (bad)' if _passes(cf) else 'fails the bar (as it must)'}"
        )
    assert same == len(strings)
    assert _passes(f), f
    for name, cf in control_figs.items():
        assert not _passes(cf), (
            f"negative control '{name}' passed the bar: the test can't see that slip ({cf})"
        )
