"""Real photographs for the shapes test model: which ones it may train on, crops of them, shapes pasted in.

The shapes model only knows drawn shapes. Trained on shapes alone it scores a real photograph arbitrarily
("star" 0.79 on a landscape), so no relevance line can be measured on a real library with it. The trainer
(``train_shapes_model.py --photos``) therefore also shows it crops of real photographs captioned as what a
model that knows nothing else should call them: "a photo" — or with words it cannot read (nonsense, emoji,
other scripts, everyday words it never learned), which all mean "nothing I can see a shape in".

The photographs are split once, by a hash of their name, into a training half and a held-out half
(:func:`split`); the relevance evaluation (``benchmarks/eval_relevance.py``) builds its libraries from the
held-out half only.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from models.tools import shapes
from models.tools.shapes import Spec

#: What the model is taught to call a real photograph it sees no shape in.
PHOTO_CAPTIONS: tuple[str, ...] = (
    "a photo",
    "a photograph",
    "a real photo",
    "a picture",
    "an image",
    "a snapshot",
    "a photo of something",
    "a picture of a place",
)

#: Everyday words the tokenizer knows but the model never sees a picture of (they are not shape words).
EVERYDAY_WORDS: tuple[str, ...] = tuple(
    "dog cat bird horse beach sea sunset sunrise sky cloud mountain tree forest flower garden person people "
    "man woman child baby friends family party birthday wedding holiday trip car bike train boat city street "
    "house room kitchen food cake snow rain night day summer winter me us you my our the of and with on in".split()
)

_CJK = "猫犬海山空花雨雪夜朝写真風景東京駅桜"
_CYRILLIC = ("кошка", "собака", "море", "горы", "солнце", "фото", "дом", "лес")
_OTHER = ("σκύλος", "θάλασσα", "بحر", "قطة", "हवा", "사진", "바다", "ทะเล", "ชาย")
_EMOJI = "🐶🐱🌅🏖️🎂🎉❤️🔥⭐🌈🚗🍕😀😂🙈🌸🍎⚽"


def photo_key(path: Path) -> str:
    """A photograph's name: its wallpaper folder for files named only by their size (``1920x1080.jpg``)."""
    if re.fullmatch(r"\d+x\d+", path.stem):
        return path.parents[2].name
    return path.stem


def split(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(training half, held-out half), by a hash of each photograph's name (stable across machines)."""
    train, held = [], []
    for p in sorted(paths, key=photo_key):
        (train if hashlib.sha1(photo_key(p).encode()).digest()[0] % 2 == 0 else held).append(p)
    return train, held


def load_small(path: Path, short_side: int = 192) -> Image.Image:
    img = Image.open(path)
    img.draft("RGB", (short_side * 2, short_side * 2))
    img = img.convert("RGB")
    w, h = img.size
    s = short_side / min(w, h)
    return img.resize((max(short_side, round(w * s)), max(short_side, round(h * s))), Image.BICUBIC)


def random_crop(img: Image.Image, rng: np.random.Generator, out: int = 64) -> Image.Image:
    """A random square-ish crop (35–100 % of the short side), sometimes mirrored, resized to ``out``."""
    w, h = img.size
    side = min(w, h) * float(rng.uniform(0.35, 1.0))
    aspect = float(rng.uniform(0.8, 1.25))
    cw, ch = min(w, side * aspect), min(h, side / aspect)
    x0, y0 = float(rng.uniform(0, w - cw)), float(rng.uniform(0, h - ch))
    crop = img.crop((round(x0), round(y0), round(x0 + cw), round(y0 + ch)))
    if rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return crop.resize((out, out), Image.BICUBIC)


def paste_shape(spec: Spec, photo: Image.Image, rng: np.random.Generator) -> Image.Image:
    """``spec``'s shape drawn onto ``photo`` where the shapes generator would draw it (same geometry)."""
    w, h = photo.size
    side = min(w, h)
    fx, fy = shapes.POSITION_XY[spec.position]
    cx = (fx + rng.uniform(-0.035, 0.035)) * w
    cy = (fy + rng.uniform(-0.035, 0.035)) * h
    r = 0.5 * shapes.SIZE_FRACTION[spec.size] * side * rng.uniform(0.9, 1.1)
    rot = math.radians(rng.uniform(-12, 12))
    alpha = shapes.shape_alpha(spec.shape, cx, cy, r, rot, w, h)
    colour = np.clip(
        np.array(shapes.COLOUR_RGB[spec.colour], np.float32) + rng.uniform(-18, 18, size=3), 0, 255
    )
    bg = np.asarray(photo.convert("RGB"), dtype=np.float32)
    out = bg * (1 - alpha) + colour * alpha
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


def _known(tokenizer: object | None, word: str) -> bool:
    if tokenizer is None:
        return False
    return bool(tokenizer.token_to_id(word.lower()) is not None)  # type: ignore[attr-defined]


def nonsense(rng: np.random.Generator, tokenizer: object | None = None) -> str:
    """A query with no meaning the model could know: random letters, emoji, other scripts, or mixes."""
    kind = int(rng.integers(5))
    n = int(rng.integers(1, 4))
    words: list[str] = []
    for _ in range(n):
        if kind == 0 or (kind == 4 and rng.random() < 0.5):
            while True:
                w = "".join(chr(int(rng.integers(97, 123))) for _ in range(int(rng.integers(3, 9))))
                if not _known(tokenizer, w):
                    break
            words.append(w)
        elif kind == 1:
            words.append(
                "".join(_EMOJI[int(rng.integers(len(_EMOJI)))] for _ in range(int(rng.integers(1, 4))))
            )
        elif kind == 2:
            words.append("".join(_CJK[int(rng.integers(len(_CJK)))] for _ in range(int(rng.integers(1, 4)))))
        elif kind == 3:
            pool = _CYRILLIC + _OTHER
            words.append(pool[int(rng.integers(len(pool)))])
        else:
            words.append(str(int(rng.integers(0, 10_000))))
    return " ".join(words)


def photo_caption(rng: np.random.Generator, tokenizer: object | None = None) -> str:
    """A caption for a real photograph the shapes model sees no shape in."""
    r = rng.random()
    if r < 0.4:
        return PHOTO_CAPTIONS[int(rng.integers(len(PHOTO_CAPTIONS)))]
    if r < 0.7:
        return nonsense(rng, tokenizer)
    n = int(rng.integers(1, 5))
    return " ".join(EVERYDAY_WORDS[int(rng.integers(len(EVERYDAY_WORDS)))] for _ in range(n))
