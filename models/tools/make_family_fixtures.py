"""Make the committed parity fixtures in ``tests/fixtures/families/`` (torch and transformers needed here only).

For each family (CLIP, SigLIP, XLM-R text tower) a tiny random-initialised model is exported in a
published layout (``models/tools/export_layouts.py``) and the *reference* outputs are recorded from
Hugging Face transformers: its image processor (PIL path) + the torch model on scikit-image's sample
photographs, and its tokenizer + the torch model on ≥ 1,000 varied strings. The tests
(``tests/unit/test_parity.py``) compare our pipeline (exact preprocessing + tokenizer + ONNX) against
these numbers without torch.

    python models/tools/make_family_fixtures.py [--out tests/fixtures/families]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PHOTOS = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "retina",
    "immunohistochemistry",
    "camera",
    "motorcycle",
)


def sample_photos() -> dict[str, np.ndarray]:
    """scikit-image's bundled photographs as RGB uint8 arrays (upright; grey ones expanded to RGB)."""
    import skimage.data as d

    out = {}
    for name in PHOTOS:
        img = d.stereo_motorcycle()[0] if name == "motorcycle" else getattr(d, name)()
        if img.ndim == 2:
            img = np.stack([img] * 3, -1)
        out[name] = np.ascontiguousarray(img[..., :3]).astype(np.uint8)
    return out


_SUBJECTS = (
    "dog",
    "cat",
    "two kids",
    "an old man",
    "a woman",
    "a red car",
    "a bicycle",
    "the Eiffel tower",
    "a birthday cake",
    "fireworks",
    "a sailboat",
    "snowy mountains",
    "a bowl of ramen",
    "my grandmother",
    "a golden retriever puppy",
    "a café terrace",
    "crème brûlée",
    "a naïve painting",
    "São Paulo at night",
)
_PLACES = (
    "on a beach",
    "at sunset",
    "in the snow",
    "in a forest",
    "at a wedding",
    "in the kitchen",
    "under the rain",
    "next to a lake",
    "in Paris",
    "at the zoo",
    "on a train",
    "in 2019",
    "at 5pm",
)
_EXTRA = (
    "",
    "!",
    "?",
    ".",
    "...",
    " :)",
    " 🙂",
    " 🐶🌊",
    " #holiday",
    " (blurry)",
    " - close up",
    " 3x",
    " 東京タワー",
    " 海边的日落",
    " 강아지",
    " Ελλάδα",
    " ДОМ",
    " 100%",
    " @home",
    " $5",
    " e-mail",
    " don't",
    " it's",
    " we'll",
)
_MULTI = (
    "Hund am Strand",
    "chien sur la plage",
    "perro en la playa",
    "cane sulla spiaggia",
    "kat op het strand",
    "Sonnenuntergang über den Bergen",
    "coucher de soleil à la montagne",
    "niños jugando en el parque",
)


def parity_strings(n: int = 1200, seed: int = 0) -> list[str]:
    """Varied captions: cases, punctuation, digits, accents, emoji, CJK, Greek, Cyrillic, multilingual,
    extra spaces and over-long texts (past the 77-token context)."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        k = rng.random()
        if k < 0.06:
            s = " ".join(
                rng.choice(_SUBJECTS) + " " + rng.choice(_PLACES) for _ in range(rng.randint(12, 25))
            )
        elif k < 0.14:
            s = rng.choice(_MULTI) + rng.choice(_EXTRA)
        else:
            s = (
                f"{rng.choice(['a photo of ', 'A picture of ', '', 'PHOTO: ', 'an image of '])}"
                f"{rng.choice(_SUBJECTS)} {rng.choice(_PLACES)}{rng.choice(_EXTRA)}"
            )
            if rng.random() < 0.2:
                s = s.upper()
            if rng.random() < 0.1:
                s = "  " + s.replace(" ", "   ", 2) + "\t"
        out.append(s)
    return out


def _np(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy().astype(np.float32)


def _images(processor: Any, photos: dict[str, np.ndarray]) -> Any:
    from PIL import Image

    return processor(images=[Image.fromarray(a) for a in photos.values()], return_tensors="pt")[
        "pixel_values"
    ]


def make_clip(out: Path, strings: list[str], photos: dict[str, np.ndarray]) -> None:
    from transformers import CLIPTokenizer

    from models.tools.export_layouts import export_xenova_clip, write_clip_vocab_merges

    model_dir = out / "model"
    info = export_xenova_clip(model_dir)
    model = info["model"]
    ref_dir = out / "_ref"
    ref_dir.mkdir(exist_ok=True)
    write_clip_vocab_merges(info["tokenizer"], ref_dir)
    ref_tok = CLIPTokenizer(
        vocab=json.loads((ref_dir / "vocab.json").read_text()),
        merges=[tuple(m.split(" ")) for m in (ref_dir / "merges.txt").read_text().splitlines()[1:] if m],
    )
    shutil.rmtree(ref_dir)
    enc = ref_tok(strings, padding="max_length", truncation=True, max_length=77, return_tensors="pt")
    _save_reference(out, model, info["processor"], photos, enc)


def _save_reference(out: Path, model: Any, processor: Any, photos: dict[str, np.ndarray], enc: Any) -> None:
    """The torch model's image and text features (text in chunks of 100) saved as the reference outputs."""
    import torch

    with torch.no_grad():
        img = _np(model.get_image_features(pixel_values=_images(processor, photos)).pooler_output)
        ids = enc["input_ids"]
        txt = np.concatenate(
            [
                _np(model.get_text_features(input_ids=ids[i : i + 100]).pooler_output)
                for i in range(0, len(ids), 100)
            ]
        )
    _save(out, photos, img, txt, enc["input_ids"].numpy(), enc["attention_mask"].numpy())


def make_siglip(out: Path, strings: list[str], photos: dict[str, np.ndarray]) -> None:

    from models.tools.export_layouts import export_xenova_siglip

    info = export_xenova_siglip(out / "model")
    model, ref_tok = info["model"], info["ref_tokenizer"]
    enc = ref_tok(strings, padding="max_length", truncation=True, max_length=64, return_tensors="pt")
    _save_reference(out, model, info["processor"], photos, enc)


def make_xlmr(out: Path, strings: list[str], photos: dict[str, np.ndarray]) -> None:
    import torch

    from models.tools.export_layouts import clip_vision_tower, export_xlmr_package

    info = export_xlmr_package(out / "model")
    sp = info["ref_tokenizer"]  # SentencePiece itself: <s> + pieces + </s>, truncated to 77, padded
    rows = [[sp.bos_id(), *sp.encode(s)[:75], sp.eos_id()] for s in strings]
    n = max(len(r) for r in rows)
    ids = torch.full((len(rows), n), sp.pad_id(), dtype=torch.int64)
    mask = torch.zeros((len(rows), n), dtype=torch.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    enc = {"input_ids": ids, "attention_mask": mask}
    with torch.no_grad():
        img = _np(clip_vision_tower(info["clip"])(_images(info["processor"], photos)))
        txt = np.concatenate(
            [
                _np(info["tower"](enc["input_ids"][i : i + 100], enc["attention_mask"][i : i + 100]))
                for i in range(0, len(strings), 100)
            ]
        )
    _save(out, photos, img, txt, enc["input_ids"].numpy(), enc["attention_mask"].numpy())


def _save(
    out: Path,
    photos: dict[str, np.ndarray],
    img: np.ndarray,
    txt: np.ndarray,
    ids: np.ndarray,
    mask: np.ndarray,
) -> None:
    lengths = mask.sum(1).astype(np.int16)
    np.savez_compressed(
        out / "reference.npz",
        photos=np.array(list(photos)),
        image_embeds=img,
        text_embeds=txt,
        text_ids=ids.astype(np.int32),
        text_lengths=lengths,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "families")
    )
    ap.add_argument("--only", choices=["clip", "siglip", "xlmr"])
    args = ap.parse_args(argv)
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    strings = parity_strings()
    (root / "strings.json").write_text(json.dumps(strings, ensure_ascii=False, indent=0))
    photos = sample_photos()
    for fam, fn in (("clip", make_clip), ("siglip", make_siglip), ("xlmr", make_xlmr)):
        if args.only and args.only != fam:
            continue
        d = root / fam
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        fn(d, strings, photos)
        size = sum(p.stat().st_size for p in d.rglob("*") if p.is_file())
        print(f"{fam}: {size / 1e6:.2f} MB in {d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
