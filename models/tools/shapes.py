"""Synthetic "shapes" photos: one coloured shape on a varied background, with exact labels.

Used to train the tiny CLIP-style test model (``train_shapes_model.py``) and by tests and
benchmarks to build libraries whose ground truth is known.  Only numpy and Pillow are needed.

Every image is fully described by a :class:`Spec` (shape, colour, size, position, background
style and a seed); :func:`render` is a pure function of the spec (the seed drives the
background and the small jitter of position, size, rotation and colour), so a library can be
re-rendered from its ``labels.json``.

Held-out combinations (:data:`HELD_OUT`) are full (shape, colour, size, position) tuples that
the test model never saw during training; they let tests check that retrieval generalises.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

log = logging.getLogger(__name__)

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross", "hexagon")
COLOURS: tuple[str, ...] = ("red", "green", "blue", "yellow", "purple", "orange")
SIZES: tuple[str, ...] = ("small", "medium", "large")
POSITIONS: tuple[str, ...] = ("top left", "top right", "bottom left", "bottom right", "centre")
BACKGROUNDS: tuple[str, ...] = ("plain", "gradient", "noise", "texture")

#: Nominal RGB of each colour (a little per-image jitter is added when rendering).
COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "red": (215, 25, 30),
    "green": (20, 160, 45),
    "blue": (25, 70, 225),
    "yellow": (245, 215, 20),
    "purple": (135, 35, 175),
    "orange": (250, 130, 0),
}

#: Shape extent (diameter) as a fraction of the shorter image side.
SIZE_FRACTION: dict[str, float] = {"small": 0.19, "medium": 0.3, "large": 0.44}

#: Shape centre as (x, y) fractions of the image width / height.
POSITION_XY: dict[str, tuple[float, float]] = {
    "top left": (0.27, 0.27),
    "top right": (0.73, 0.27),
    "bottom left": (0.27, 0.73),
    "bottom right": (0.73, 0.73),
    "centre": (0.5, 0.5),
}

Combo = tuple[str, str, str, str]  # (shape, colour, size, position)

#: Full (shape, colour, size, position) combinations never used for training the test model.
HELD_OUT: frozenset[Combo] = frozenset(
    {
        ("square", "red", "small", "top left"),
        ("circle", "green", "large", "bottom right"),
        ("triangle", "purple", "medium", "top right"),
        ("star", "orange", "small", "bottom left"),
        ("hexagon", "yellow", "large", "centre"),
        ("cross", "blue", "medium", "top left"),
    }
)

DEFAULT_IMAGE_SIZE = 96
LABELS_FILE = "labels.json"


@dataclass(frozen=True)
class Spec:
    """Everything needed to render one image."""

    shape: str
    colour: str
    size: str
    position: str
    bg_style: str = "plain"
    bg_seed: int = 0

    def __post_init__(self) -> None:
        for value, allowed, what in (
            (self.shape, SHAPES, "shape"),
            (self.colour, COLOURS, "colour"),
            (self.size, SIZES, "size"),
            (self.position, POSITIONS, "position"),
            (self.bg_style, BACKGROUNDS, "bg_style"),
        ):
            if value not in allowed:
                raise ValueError(f"unknown {what} {value!r}; expected one of {allowed}")

    @property
    def combo(self) -> Combo:
        return (self.shape, self.colour, self.size, self.position)

    def to_dict(self) -> dict[str, str | int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> Spec:
        return cls(
            shape=str(d["shape"]),
            colour=str(d["colour"]),
            size=str(d["size"]),
            position=str(d["position"]),
            bg_style=str(d.get("bg_style", "plain")),
            bg_seed=int(d.get("bg_seed", 0)),  # type: ignore[call-overload]
        )


def all_combos(exclude_held_out: bool = False) -> list[Combo]:
    """Every (shape, colour, size, position) tuple in a fixed order."""
    out = [(s, c, z, p) for s in SHAPES for c in COLOURS for z in SIZES for p in POSITIONS]
    if exclude_held_out:
        out = [t for t in out if t not in HELD_OUT]
    return out


def is_held_out(spec: Spec | Combo) -> bool:
    combo = spec.combo if isinstance(spec, Spec) else tuple(spec)
    return combo in HELD_OUT


def random_spec(rng: np.random.Generator, exclude_held_out: bool = False) -> Spec:
    """A uniformly random spec (optionally never a held-out combination)."""
    while True:
        spec = Spec(
            shape=SHAPES[int(rng.integers(len(SHAPES)))],
            colour=COLOURS[int(rng.integers(len(COLOURS)))],
            size=SIZES[int(rng.integers(len(SIZES)))],
            position=POSITIONS[int(rng.integers(len(POSITIONS)))],
            bg_style=BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))],
            bg_seed=int(rng.integers(2**31 - 1)),
        )
        if not (exclude_held_out and is_held_out(spec)):
            return spec


# --------------------------------------------------------------------------------------- captions


def _where(position: str) -> str:
    return "in the centre" if position == "centre" else f"at the {position}"


_FULL_TEMPLATES: tuple[str, ...] = (
    "a {size} {colour} {shape} {where}",
    "a photo of a {size} {colour} {shape} {where}",
    "a picture of a {size} {colour} {shape} {where}",
    "{size} {colour} {shape} {where}",
    "a {colour} {shape}, {size}, {where}",
    "{where}, a {size} {colour} {shape}",
    "an image of a {size} {colour} {shape} {where}",
    "a {size} {colour} {shape} {where_alt}",
)


def _where_alt(position: str) -> str:
    if position == "centre":
        return "in the middle"
    return f"in the {position} corner"


def caption(spec: Spec, rng: np.random.Generator | None = None) -> str:
    """Full caption naming all four attributes.

    Without ``rng`` the canonical form is returned, e.g. ``"a small red circle at the top left"``
    or ``"a large blue star in the centre"``; with ``rng`` one of a few templates is picked.
    """
    template = _FULL_TEMPLATES[0] if rng is None else _FULL_TEMPLATES[int(rng.integers(len(_FULL_TEMPLATES)))]
    return template.format(
        size=spec.size,
        colour=spec.colour,
        shape=spec.shape,
        where=_where(spec.position),
        where_alt=_where_alt(spec.position),
    )


#: Attribute subsets used for partial captions (name -> which attributes are mentioned).
_PARTIAL_SUBSETS: tuple[tuple[str, ...], ...] = (
    ("colour",),
    ("shape",),
    ("size",),
    ("position",),
    ("colour", "shape"),
    ("colour", "shape"),
    ("colour", "shape"),
    ("size", "shape"),
    ("shape", "position"),
    ("colour", "position"),
    ("colour", "size"),
    ("colour", "shape", "size"),
    ("colour", "shape", "position"),
    ("shape", "size", "position"),
    ("colour", "size", "position"),
)


def partial_caption(spec: Spec, rng: np.random.Generator) -> tuple[str, dict[str, str]]:
    """A caption naming a random subset of the attributes, and that subset.

    E.g. ``("red", {"colour": "red"})``, ``("a circle at the top left", {...})``,
    ``("something small and red", {...})``.
    """
    keys = _PARTIAL_SUBSETS[int(rng.integers(len(_PARTIAL_SUBSETS)))]
    attrs = {k: getattr(spec, k) for k in keys}
    return _phrase(attrs, rng), attrs


def _phrase(attrs: dict[str, str], rng: np.random.Generator) -> str:
    colour = attrs.get("colour")
    shape = attrs.get("shape")
    size = attrs.get("size")
    position = attrs.get("position")
    where = ""
    if position is not None:
        where = _where(position) if rng.random() < 0.75 else _where_alt(position)
    if shape is None:
        adjs = [a for a in (size, colour) if a is not None]
        if not position and len(adjs) == 1 and rng.random() < 0.5:
            return adjs[0]  # "red", "small"
        if adjs:
            noun = "something" if rng.random() < 0.5 else "a shape"
            if noun == "something":
                text = f"something {' and '.join(adjs)}"
            else:
                text = f"a {' '.join(adjs)} shape"
        else:
            text = "a shape" if rng.random() < 0.5 else "something"
        return f"{text} {where}".strip()
    adj = " ".join(a for a in (size, colour) if a is not None)
    article = "a" if rng.random() < 0.85 else "the"
    text = f"{article} {adj} {shape}" if adj else f"{article} {shape}"
    if rng.random() < 0.1 and not position:
        text = text.split(" ", 1)[1]  # drop the article: "red circle"
    return f"{text} {where}".strip()


def matches(spec: Spec, attrs: dict[str, str]) -> bool:
    """True when ``spec`` has every attribute value in ``attrs``."""
    return all(getattr(spec, k) == v for k, v in attrs.items())


# --------------------------------------------------------------------------------------- rendering


def _bg_tint(rng: np.random.Generator) -> np.ndarray:
    """A low-saturation colour: a grey level with a small tint (never close to a shape colour)."""
    level = float(rng.choice([rng.uniform(15, 70), rng.uniform(80, 170), rng.uniform(180, 235)]))
    tint = rng.uniform(-12, 12, size=3)
    return np.clip(level + tint, 0, 255)


def _background(style: str, w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    base = _bg_tint(rng)
    img = np.broadcast_to(base, (h, w, 3)).astype(np.float32)
    if style == "gradient":
        other = _bg_tint(rng)
        angle = rng.uniform(0, 2 * math.pi)
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xs / max(w - 1, 1) - 0.5) * math.cos(angle) + (ys / max(h - 1, 1) - 0.5) * math.sin(angle)
        t = np.clip(t + 0.5, 0, 1)[..., None]
        img = base * (1 - t) + other * t
    elif style == "noise":
        sigma = rng.uniform(4, 14)
        img = img + rng.normal(0, sigma, size=(h, w, 1)) + rng.normal(0, sigma / 3, size=(h, w, 3))
    elif style == "texture":
        cells = int(rng.integers(3, 9))
        grid = rng.uniform(-1, 1, size=(cells, cells)).astype(np.float32)
        amp = rng.uniform(10, 30)
        tex = Image.fromarray(((grid + 1) * 127.5).astype(np.uint8), "L").resize((w, h), Image.BICUBIC)
        field = (np.asarray(tex, dtype=np.float32) / 127.5 - 1.0)[..., None]
        img = img + amp * field + rng.normal(0, 3, size=(h, w, 1))
    return np.clip(img, 0, 255).astype(np.float32)


def _regular_polygon(n: int, r: float, rot: float) -> list[tuple[float, float]]:
    return [
        (r * math.cos(rot + 2 * math.pi * i / n), r * math.sin(rot + 2 * math.pi * i / n)) for i in range(n)
    ]


def _outline(shape: str, r: float, rot: float) -> list[tuple[float, float]] | None:
    """Polygon (relative to the centre) for ``shape`` with half-extent ``r``; None for a circle."""
    if shape == "circle":
        return None
    if shape == "square":
        return _regular_polygon(4, r * 1.13, rot + math.pi / 4)
    if shape == "triangle":
        # circumradius chosen so the triangle spans about 2r; centroid at the centre, apex up
        return [(x, y + 0.12 * r) for x, y in _regular_polygon(3, r * 1.2, rot - math.pi / 2)]
    if shape == "hexagon":
        return _regular_polygon(6, r * 1.05, rot)
    if shape == "star":
        pts = []
        for i in range(10):
            rad = r * 1.15 if i % 2 == 0 else r * 0.48
            a = rot - math.pi / 2 + math.pi * i / 5
            pts.append((rad * math.cos(a), rad * math.sin(a)))
        return pts
    if shape == "cross":
        a, b = r * 1.05, r * 0.36
        base = [
            (-b, -a),
            (b, -a),
            (b, -b),
            (a, -b),
            (a, b),
            (b, b),
            (b, a),
            (-b, a),
            (-b, b),
            (-a, b),
            (-a, -b),
            (-b, -b),
        ]
        c, s = math.cos(rot), math.sin(rot)
        return [(x * c - y * s, x * s + y * c) for x, y in base]
    raise ValueError(f"unknown shape {shape!r}")


_SUPERSAMPLE = 4


def shape_alpha(shape: str, cx: float, cy: float, r: float, rot: float, w: int, h: int) -> np.ndarray:
    """The anti-aliased coverage (h×w×1, 0–1) of ``shape`` of radius ``r`` centred at (cx, cy), rotated by
    ``rot``: drawn at ``_SUPERSAMPLE``× and box-filtered down (used by :func:`render` and by the
    photo-negatives tool that pastes shapes onto real photos)."""
    ss = _SUPERSAMPLE
    mask = Image.new("L", (w * ss, h * ss), 0)
    draw = ImageDraw.Draw(mask)
    pts = _outline(shape, r, rot)
    if pts is None:
        draw.ellipse([(cx - r) * ss, (cy - r) * ss, (cx + r) * ss, (cy + r) * ss], fill=255)
    else:
        draw.polygon([((cx + x) * ss, (cy + y) * ss) for x, y in pts], fill=255)
    return np.asarray(mask.resize((w, h), Image.BOX), dtype=np.float32)[..., None] / 255.0


def render(
    spec: Spec,
    image_size: int | tuple[int, int] = DEFAULT_IMAGE_SIZE,
    rng: np.random.Generator | None = None,
) -> Image.Image:
    """Render ``spec`` as an RGB image of ``image_size`` (side, or (width, height)).

    The background and the jitter come from ``rng``; by default ``np.random.default_rng(spec.bg_seed)``
    so the result depends on the spec alone.
    """
    if rng is None:
        rng = np.random.default_rng(spec.bg_seed)
    w, h = (image_size, image_size) if isinstance(image_size, int) else image_size
    side = min(w, h)
    bg = _background(spec.bg_style, w, h, rng)

    fx, fy = POSITION_XY[spec.position]
    cx = (fx + rng.uniform(-0.035, 0.035)) * w
    cy = (fy + rng.uniform(-0.035, 0.035)) * h
    r = 0.5 * SIZE_FRACTION[spec.size] * side * rng.uniform(0.9, 1.1)
    rot = math.radians(rng.uniform(-12, 12))

    alpha = shape_alpha(spec.shape, cx, cy, r, rot, w, h)

    colour = np.clip(
        np.array(COLOUR_RGB[spec.colour], dtype=np.float32) + rng.uniform(-18, 18, size=3), 0, 255
    )
    # mild shading across the shape so it is not perfectly flat
    shade = 1.0 + rng.uniform(-0.08, 0.08) * (np.linspace(-1, 1, h, dtype=np.float32)[:, None, None])
    fg = np.clip(colour * shade, 0, 255)
    out = bg * (1 - alpha) + fg * alpha
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


# --------------------------------------------------------------------------------------- libraries


def balanced_specs(n: int, seed: int, exclude_held_out: bool = False) -> list[Spec]:
    """``n`` specs cycling through shuffled full combinations (each appears once before any repeats)."""
    rng = np.random.default_rng(seed)
    combos = all_combos(exclude_held_out)
    out: list[Spec] = []
    while len(out) < n:
        order = rng.permutation(len(combos))
        for i in order[: n - len(out)]:
            shape, colour, size, position = combos[int(i)]
            out.append(
                Spec(
                    shape,
                    colour,
                    size,
                    position,
                    bg_style=BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))],
                    bg_seed=int(rng.integers(2**31 - 1)),
                )
            )
    return out


def make_library(
    folder: str | Path,
    n: int,
    seed: int,
    image_size: int | tuple[int, int] = DEFAULT_IMAGE_SIZE,
    fmt: str = "png",
    exclude_held_out: bool = False,
) -> list[tuple[Path, Spec]]:
    """Write ``n`` images (``img_00000.png`` ...) and ``labels.json`` into ``folder``.

    Deterministic for a given ``seed``. Combinations are balanced (see :func:`balanced_specs`);
    held-out combinations are included unless ``exclude_held_out``. ``fmt`` is ``"png"`` or
    ``"jpg"`` (quality 92).
    """
    fmt = fmt.lower().lstrip(".")
    if fmt == "jpeg":
        fmt = "jpg"
    if fmt not in ("png", "jpg"):
        raise ValueError(f"fmt must be 'png' or 'jpg', not {fmt!r}")
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    items: list[tuple[Path, Spec]] = []
    labels: list[dict[str, str | int]] = []
    for i, spec in enumerate(balanced_specs(n, seed, exclude_held_out)):
        path = root / f"img_{i:05d}.{fmt}"
        img = render(spec, image_size)
        if fmt == "jpg":
            img.save(path, "JPEG", quality=92)
        else:
            img.save(path, "PNG", compress_level=1)
        items.append((path, spec))
        labels.append({"file": path.name, **spec.to_dict(), "caption": caption(spec)})
    meta = {
        "format": "shapes-labels/1",
        "seed": seed,
        "image_size": list(image_size) if not isinstance(image_size, int) else image_size,
        "fmt": fmt,
        "items": labels,
    }
    (root / LABELS_FILE).write_text(json.dumps(meta, indent=1))
    log.debug("wrote %d shapes images to %s", n, root)
    return items


def load_labels(folder: str | Path) -> list[tuple[Path, Spec]]:
    """Read back the ``labels.json`` written by :func:`make_library`."""
    root = Path(folder)
    meta = json.loads((root / LABELS_FILE).read_text())
    return [(root / item["file"], Spec.from_dict(item)) for item in meta["items"]]


def relevant(specs: Iterable[Spec], attrs: dict[str, str]) -> list[int]:
    """Indices of the specs that have every attribute in ``attrs``."""
    return [i for i, s in enumerate(specs) if matches(s, attrs)]


def contact_sheet(images: Sequence[Image.Image], columns: int = 10) -> Image.Image:
    """Tile images into one sheet (for eyeballing the generator)."""
    w, h = images[0].size
    rows = (len(images) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * w, rows * h), (255, 255, 255))
    for i, im in enumerate(images):
        sheet.paste(im, ((i % columns) * w, (i // columns) * h))
    return sheet
