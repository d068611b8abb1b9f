"""Benchmark dataset loaders (CIRR, FashionIQ, Flickr30k, COCO) on tiny files in their real formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import datasets

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


def test_cirr() -> None:
    ds = datasets.load_cirr(ROOT / "cirr", "val")
    assert len(ds.images) == 4
    assert all(p.is_file() for p in ds.images.values())
    q = ds.queries[0]
    assert (q.id, q.reference, q.text, q.targets) == ("0", "dev-0-0-img0", "make it green", ["dev-1-0-img1"])
    assert q.subset == ["dev-0-0-img0", "dev-1-0-img1", "dev-2-0-img2"]
    with pytest.raises(datasets.DatasetError):
        datasets.load_cirr(ROOT / "cirr", "test1")
    with pytest.raises(datasets.DatasetError):
        datasets.load_cirr(ROOT / "cirr", "train")  # no such file


def test_fashioniq_joins_the_two_captions() -> None:
    ds = datasets.load_fashioniq(ROOT / "fashioniq", "dress", "val")
    assert len(ds.images) == 4 and all(p.is_file() for p in ds.images.values())
    q = ds.queries[0]
    assert q.reference == "B000000R" and q.targets == ["B000001G"]
    assert q.text == "is green and has no red"


@pytest.mark.parametrize("name", ["results_20130124.token", "results.csv"])
def test_flickr30k_token_and_csv(name: str) -> None:
    ds = datasets.load_flickr30k(ROOT / "flickr30k" / name, ROOT / "flickr30k" / "images")
    assert len(ds.images) == 4 and all(p.is_file() for p in ds.images.values())
    assert len(ds.captions) == 8
    assert ds.captions[0] == ("a red picture", "100000.jpg")


def test_flickr30k_karpathy_split() -> None:
    ds = datasets.load_flickr30k(
        ROOT / "flickr30k" / "dataset_flickr30k.json", ROOT / "flickr30k" / "images", "test"
    )
    assert sorted(ds.images) == ["100000.jpg", "100001.jpg", "100002.jpg"]
    assert len(ds.captions) == 6


def test_coco_annotations_and_karpathy() -> None:
    ds = datasets.load_coco(ROOT / "coco" / "captions_val2014.json", ROOT / "coco" / "val2014")
    assert len(ds.images) == 4 and len(ds.captions) == 8
    assert all(p.is_file() for p in ds.images.values())
    assert ("A red square.", "COCO_val2014_000000000000.jpg") in ds.captions
    k = datasets.load_coco(ROOT / "coco" / "dataset_coco.json", ROOT / "coco", "test")
    assert len(k.images) == 2 and all(p.is_file() for p in k.images.values())


def test_bad_files_say_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "captions").mkdir()
    (tmp_path / "image_splits").mkdir()
    (tmp_path / "captions" / "cap.rc2.val.json").write_text("{not json")
    (tmp_path / "image_splits" / "split.rc2.val.json").write_text("{}")
    with pytest.raises(datasets.DatasetError, match="not valid JSON"):
        datasets.load_cirr(tmp_path)
    (tmp_path / "captions" / "cap.rc2.val.json").write_text(json.dumps([{"pairid": 1}]))
    with pytest.raises(datasets.DatasetError, match="lacks"):
        datasets.load_cirr(tmp_path)
    bad = tmp_path / "x.token"
    bad.write_text("no tab here\n")
    with pytest.raises(datasets.DatasetError):
        datasets.load_flickr30k(bad, tmp_path)
