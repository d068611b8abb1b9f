"""Loaders for public retrieval benchmarks, so a person with real weights and the data can reproduce
published numbers with ``benchmarks/eval_retrieval.py``.

Composed image retrieval (reference image + modification text → target image):

* **CIRR** (Liu et al. 2021, github.com/Cuberick-Orion/CIRR): ``ROOT/captions/cap.rc2.<split>.json`` — a
  list of ``{"pairid", "reference", "target_hard", "target_soft": {name: score}, "caption",
  "img_set": {"id", "members": [names]}}``; ``ROOT/image_splits/split.rc2.<split>.json`` — ``{name:
  "./dev/dev-…-img0.png"}`` (paths relative to ROOT). The test split has no targets (scored on the
  CIRR server), so only ``train``/``val`` can be evaluated here.
* **FashionIQ** (Wu et al. 2021, github.com/XiaoxiaoGuo/fashion-iq): ``ROOT/captions/cap.<category>.<split>.json``
  — a list of ``{"target", "candidate", "captions": [two relative captions]}``;
  ``ROOT/image_splits/split.<category>.<split>.json`` — the list of gallery image names; images in
  ``ROOT/images/<name>.(png|jpg)``. Categories: dress, shirt, toptee. The two captions are joined as
  "c1 and c2" (the usual zero-shot protocol).

Text → image (caption files):

* **Flickr30k**: the original ``results_20130124.token`` / ``results.token`` (``1000092795.jpg#0<TAB>caption``),
  the Kaggle ``results.csv`` (``image_name| comment_number| comment``), or Karpathy's
  ``dataset_flickr30k.json`` (``{"images": [{"filename", "split", "sentences": [{"raw"}]}]}``; test = 1k).
* **COCO**: ``annotations/captions_<split>.json`` (``{"images": [{"id", "file_name"}], "annotations":
  [{"image_id", "caption"}]}``) or Karpathy's ``dataset_coco.json`` (``filepath`` + ``filename``; test = 5k).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp")


@dataclass
class ComposedQuery:
    id: str
    reference: str  # image name
    text: str
    targets: list[str]  # relevant image names
    subset: list[str] = field(default_factory=list)  # CIRR's img_set (for Recall_subset), else empty


@dataclass
class ComposedSet:
    name: str
    images: dict[str, Path]  # gallery: image name -> file
    queries: list[ComposedQuery]


@dataclass
class CaptionSet:
    name: str
    images: dict[str, Path]  # image name -> file
    captions: list[tuple[str, str]]  # (caption, image name)


class DatasetError(ValueError):
    """A dataset file that is missing or not in the expected format."""


def _read_json(path: Path) -> object:
    if not path.is_file():
        raise DatasetError(f"missing file: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path} is not valid JSON: {e}") from e


# -- composed ----------------------------------------------------------------------------------------


def load_cirr(root: str | Path, split: str = "val") -> ComposedSet:
    root = Path(root)
    if split.startswith("test"):
        raise DatasetError(
            "CIRR's test split has no public targets (it is scored on the CIRR server); use val"
        )
    caps = _read_json(root / "captions" / f"cap.rc2.{split}.json")
    names = _read_json(root / "image_splits" / f"split.rc2.{split}.json")
    if not isinstance(caps, list) or not isinstance(names, dict):
        raise DatasetError("CIRR: captions must be a list and the image split a {name: path} object")
    images = {str(k): (root / str(v)).resolve() for k, v in names.items()}
    queries = []
    for c in caps:
        try:
            target = str(c["target_hard"])
            queries.append(
                ComposedQuery(
                    str(c["pairid"]),
                    str(c["reference"]),
                    str(c["caption"]).strip(),
                    [target],
                    [str(m) for m in c.get("img_set", {}).get("members", [])],
                )
            )
        except (KeyError, TypeError) as e:
            raise DatasetError(f"CIRR: a caption entry lacks {e}") from e
    return ComposedSet(f"cirr-{split}", images, queries)


def _find_image(folder: Path, name: str) -> Path:
    for ext in ("", *IMAGE_EXTS):
        p = folder / f"{name}{ext}"
        if p.is_file():
            return p
    return folder / f"{name}.png"


def load_fashioniq(root: str | Path, category: str = "dress", split: str = "val") -> ComposedSet:
    root = Path(root)
    caps = _read_json(root / "captions" / f"cap.{category}.{split}.json")
    names = _read_json(root / "image_splits" / f"split.{category}.{split}.json")
    if not isinstance(caps, list) or not isinstance(names, list):
        raise DatasetError("FashionIQ: captions and the image split must be lists")
    images = {str(n): _find_image(root / "images", str(n)) for n in names}
    queries = []
    for i, c in enumerate(caps):
        try:
            texts = [str(t).strip().rstrip(".") for t in c["captions"] if str(t).strip()]
            queries.append(
                ComposedQuery(f"{category}-{i}", str(c["candidate"]), " and ".join(texts), [str(c["target"])])
            )
        except (KeyError, TypeError) as e:
            raise DatasetError(f"FashionIQ: a caption entry lacks {e}") from e
    return ComposedSet(f"fashioniq-{category}-{split}", images, queries)


# -- captions ----------------------------------------------------------------------------------------


def _karpathy(path: Path, images_dir: Path, split: str, name: str) -> CaptionSet:
    data = _read_json(path)
    if not isinstance(data, dict) or "images" not in data:
        raise DatasetError(f"{path}: expected Karpathy's {{'images': [...]}} layout")
    images: dict[str, Path] = {}
    captions: list[tuple[str, str]] = []
    for im in data["images"]:
        if split and im.get("split") != split:
            continue
        rel = Path(im.get("filepath", "")) / im["filename"]
        images[im["filename"]] = images_dir / rel
        captions += [(s["raw"].strip(), im["filename"]) for s in im.get("sentences", [])]
    return CaptionSet(name, images, captions)


def load_flickr30k(captions_file: str | Path, images_dir: str | Path, split: str = "test") -> CaptionSet:
    """``split`` applies to Karpathy's JSON only (the token/CSV files have no splits: all images)."""
    path, images_dir = Path(captions_file), Path(images_dir)
    if path.suffix == ".json":
        return _karpathy(path, images_dir, split, f"flickr30k-{split}")
    if not path.is_file():
        raise DatasetError(f"missing file: {path}")
    pairs: list[tuple[str, str]] = []
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f, delimiter="|"):
                if len(row) < 3 or row[0].strip() == "image_name":
                    continue
                pairs.append((row[2].strip(), row[0].strip()))
    else:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            key, _, cap = line.partition("\t")
            if not cap:
                raise DatasetError(f"{path}: expected 'image.jpg#n<TAB>caption', got {line[:60]!r}")
            pairs.append((cap.strip(), key.split("#")[0].strip()))
    images = {name: images_dir / name for _, name in pairs}
    return CaptionSet("flickr30k", images, pairs)


def load_coco(captions_file: str | Path, images_dir: str | Path, split: str = "test") -> CaptionSet:
    """COCO's own annotation file (all its images) or Karpathy's ``dataset_coco.json`` (``split``)."""
    path, images_dir = Path(captions_file), Path(images_dir)
    data = _read_json(path)
    if isinstance(data, dict) and "annotations" in data:
        files = {int(im["id"]): str(im["file_name"]) for im in data["images"]}
        images = {name: images_dir / name for name in files.values()}
        captions = [
            (str(a["caption"]).strip(), files[int(a["image_id"])])
            for a in data["annotations"]
            if int(a["image_id"]) in files
        ]
        return CaptionSet(f"coco-{path.stem}", images, captions)
    return _karpathy(path, images_dir, split, f"coco-{split}")
