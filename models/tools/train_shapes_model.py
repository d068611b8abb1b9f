"""Train the tiny CLIP-style "shapes" test model and export it as a photosearch model package.

    python models/tools/train_shapes_model.py --out tests/fixtures/shapes-model --seed 0 --threads 1 --minutes 60

Image tower: a small CNN on 64x64 RGB (CLIP mean/std).  Text tower: a 2-layer transformer with a
causal mask, pooled at the EOS token (so right padding never changes the output).  Trained with a
CLIP contrastive loss (learned temperature) in which every caption/image pair whose attributes
agree counts as a positive, so partial captions such as "red" or "a circle at the top left" learn
to point at all matching images.  A second, image-image loss pulls the cosine of two photos towards
(number of shared attributes) / 4, which makes "reference photo x colour word" (product of cosines)
prefer the photo that differs only in colour.  Training images come from ``models/tools/shapes.py``
with the held-out combinations (``shapes.HELD_OUT``) removed.

Deterministic for a given --seed and --threads (byte-identical ONNX files), as long as the
--minutes budget is not hit.  On a busy 2-core machine ``--threads 1`` is much faster.

After export, the package is evaluated with onnxruntime only (no torch) on a fresh library.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import math
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from models.tools import shapes
from models.tools.manifest_parts import clip_text_section
from models.tools.shapes import Spec

log = logging.getLogger("train_shapes_model")

IMAGE_SIZE = 64
CONTEXT_LENGTH = 32
EMBED_DIM = 64
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>", "<unk>"]
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
RESCALE = 1.0 / 255.0
EVAL_SEED = 12345

#: Extra words so that the tokenizer knows some ordinary English (they are not trained on).
EXTRA_WORDS = (
    "a an the of and or with on in at to for is are this that my our your one two three some "
    "photo photos photograph snapshot real place picture pictures image images shape shapes something thing object colour color "
    "coloured colored centre center middle corner side upper lower big tiny little huge bright dark light "
    "white black grey gray pink brown cyan magenta gold silver round "
    "circles squares triangles stars crosses hexagons "
    "dog cat bird horse beach sea sunset sunrise sky cloud mountain tree forest flower garden "
    "person people man woman child baby friends family party birthday wedding holiday trip "
    "car bike train boat city street house room kitchen food cake snow rain night day summer winter "
    "me us you he she it they near next under over behind front back between"
)


# ------------------------------------------------------------------------------------ tokenizer


def build_tokenizer(path: Path) -> None:
    """Train a WordLevel tokenizer (lowercase, whitespace/punctuation split) and save it to ``path``."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel
    from tokenizers.trainers import WordLevelTrainer

    rng = np.random.default_rng(0)
    corpus: list[str] = []
    for combo in shapes.all_combos():
        spec = Spec(*combo)
        corpus.append(shapes.caption(spec))
        for _ in range(4):
            corpus.append(shapes.caption(spec, rng))
            corpus.append(shapes.partial_caption(spec, rng)[0])
    corpus.append(EXTRA_WORDS)
    tok = Tokenizer(WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = WordLevelTrainer(vocab_size=4096, min_frequency=1, special_tokens=SPECIAL_TOKENS)
    tok.train_from_iterator(corpus, trainer=trainer)
    for i, t in enumerate(SPECIAL_TOKENS):
        if tok.token_to_id(t) != i:
            raise RuntimeError(f"special token {t} has id {tok.token_to_id(t)}, expected {i}")
    tok.save(str(path))
    log.info("tokenizer: %d tokens -> %s", tok.get_vocab_size(), path)


class TextEncoderNp:
    """Tokenise like the app does (manifest ``normalization: clip``, ``add_special_tokens: false``)."""

    def __init__(self, tokenizer_path: Path, context_length: int = CONTEXT_LENGTH) -> None:
        from tokenizers import Tokenizer

        self.tok = Tokenizer.from_file(str(tokenizer_path))
        self.context_length = context_length
        self._cache: dict[str, list[int]] = {}

    @staticmethod
    def normalise(text: str) -> str:
        try:
            import ftfy

            text = ftfy.fix_text(text)
        except ImportError:  # pragma: no cover - ftfy is a project dependency
            pass
        import html

        text = html.unescape(html.unescape(text))
        return re.sub(r"\s+", " ", text).strip().lower()

    def ids(self, text: str) -> list[int]:
        got = self._cache.get(text)
        if got is None:
            enc = self.tok.encode(self.normalise(text), add_special_tokens=False).ids
            got = [BOS_ID] + enc[: self.context_length - 2] + [EOS_ID]
            self._cache[text] = got
        return got

    def batch(self, texts: list[str], pad_to: int | None = None) -> np.ndarray:
        rows = [self.ids(t) for t in texts]
        length = pad_to or max(len(r) for r in rows)
        out = np.full((len(rows), length), PAD_ID, dtype=np.int64)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out


# ------------------------------------------------------------------------------------ images


def preprocess(img: Image.Image, size: int = IMAGE_SIZE) -> np.ndarray:
    """Manifest pipeline: shortest side -> ``size`` (bicubic), centre crop (floor), rescale, mean/std.

    Returns float32 CHW.
    """
    img = img.convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = size, max(size, int(round(h * size / w)))
    else:
        nw, nh = max(size, int(round(w * size / h))), size
    img = img.resize((nw, nh), Image.BICUBIC)
    left, top = (nw - size) // 2, (nh - size) // 2
    img = img.crop((left, top, left + size, top + size))
    arr = np.asarray(img, dtype=np.float32) * RESCALE
    arr = (arr - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return arr.transpose(2, 0, 1).copy()


def _to_uint8_64(img: Image.Image) -> np.ndarray:
    """Resize/crop like :func:`preprocess` but keep uint8 HWC (for the training pool)."""
    w, h = img.size
    if w <= h:
        nw, nh = IMAGE_SIZE, max(IMAGE_SIZE, int(round(h * IMAGE_SIZE / w)))
    else:
        nw, nh = max(IMAGE_SIZE, int(round(w * IMAGE_SIZE / h))), IMAGE_SIZE
    img = img.resize((nw, nh), Image.BICUBIC)
    left, top = (nw - IMAGE_SIZE) // 2, (nh - IMAGE_SIZE) // 2
    return np.asarray(img.crop((left, top, left + IMAGE_SIZE, top + IMAGE_SIZE)), dtype=np.uint8)


@dataclass
class Pool:
    images: np.ndarray  # uint8 [N, 64, 64, 3]
    specs: list[Spec]


def make_pool(n: int, seed: int, photos: list[Image.Image] | None = None, on_photo: float = 0.0) -> Pool:
    """Render ``n`` training images (held-out combos excluded) at assorted sizes, some JPEG-compressed;
    a share ``on_photo`` of them drawn onto random crops of ``photos`` instead of a plain background."""
    from models.tools import photo_negatives

    rng = np.random.default_rng(seed)
    specs = shapes.balanced_specs(n, seed=seed * 1000 + 7, exclude_held_out=True)
    images = np.empty((n, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    sizes = (64, 72, 80, 96, 112, 128)
    t0 = time.time()
    for i, spec in enumerate(specs):
        side = int(sizes[int(rng.integers(len(sizes)))])
        if photos and rng.random() < on_photo:
            bg = photo_negatives.random_crop(photos[int(rng.integers(len(photos)))], rng, side)
            img = photo_negatives.paste_shape(spec, bg, rng)
        else:
            img = shapes.render(spec, side)
        if rng.random() < 0.3:
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=int(rng.integers(70, 96)))
            img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        images[i] = _to_uint8_64(img)
        if (i + 1) % 5000 == 0:
            log.info("rendered %d/%d training images (%.0fs)", i + 1, n, time.time() - t0)
    assert not any(shapes.is_held_out(s) for s in specs)
    return Pool(images, specs)


# ------------------------------------------------------------------------------------ model (torch)


def build_models(vocab_size: int):  # type: ignore[no-untyped-def]
    import torch
    from torch import nn

    class ConvBlock(nn.Sequential):
        def __init__(self, cin: int, cout: int, kernel: int) -> None:
            super().__init__(
                nn.Conv2d(cin, cout, kernel, stride=2, padding=kernel // 2, bias=False),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            )

    class ImageEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                ConvBlock(3, 32, 5),  # 64 -> 32
                ConvBlock(32, 64, 3),  # 16
                ConvBlock(64, 96, 3),  # 8
                ConvBlock(96, 128, 3),  # 4
            )
            self.proj = nn.Linear(128 * 4 * 4, EMBED_DIM)  # flatten keeps where the shape is

        def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
            return self.proj(torch.flatten(self.features(pixel_values), 1))

    class Block(nn.Module):
        def __init__(self, dim: int, heads: int, ff: int) -> None:
            super().__init__()
            self.heads = heads
            self.ln1 = nn.LayerNorm(dim)
            self.qkv = nn.Linear(dim, 3 * dim)
            self.out = nn.Linear(dim, dim)
            self.ln2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, ff), nn.GELU(), nn.Linear(ff, dim))

        def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            b, n, d = x.shape
            h = self.heads
            q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
            q = q.reshape(b, n, h, d // h).transpose(1, 2)
            k = k.reshape(b, n, h, d // h).transpose(1, 2)
            v = v.reshape(b, n, h, d // h).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h)) + mask
            y = att.softmax(dim=-1) @ v
            y = y.transpose(1, 2).reshape(b, n, d)
            x = x + self.out(y)
            return x + self.mlp(self.ln2(x))

    class TextEncoder(nn.Module):
        def __init__(self, dim: int = 96, layers: int = 2, heads: int = 4, ff: int = 256) -> None:
            super().__init__()
            self.tok = nn.Embedding(vocab_size, dim)
            self.pos = nn.Parameter(torch.randn(1, CONTEXT_LENGTH, dim) * 0.02)
            self.blocks = nn.ModuleList([Block(dim, heads, ff) for _ in range(layers)])
            self.ln = nn.LayerNorm(dim)
            self.proj = nn.Linear(dim, EMBED_DIM, bias=False)
            causal = torch.full((CONTEXT_LENGTH, CONTEXT_LENGTH), -1e9).triu(1)
            self.register_buffer("causal", causal, persistent=False)

        def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
            n = input_ids.shape[1]
            x = self.tok(input_ids) + self.pos[:, :n]
            mask = self.causal[:n, :n]
            for blk in self.blocks:
                x = blk(x, mask)
            x = self.ln(x)
            # pool at the (first) EOS token, like CLIP; causal attention => padding after it is inert
            eos = (input_ids == EOS_ID).to(torch.float32).argmax(dim=1)
            idx = eos.reshape(-1, 1, 1).expand(-1, 1, x.shape[2])
            return self.proj(x.gather(1, idx).squeeze(1))

    return ImageEncoder(), TextEncoder()


# ------------------------------------------------------------------------------------ training


ATTRS = ("shape", "colour", "size", "position")


def _attr_codes(specs: list[Spec]) -> np.ndarray:
    tables = (shapes.SHAPES, shapes.COLOURS, shapes.SIZES, shapes.POSITIONS)
    return np.array([[t.index(getattr(s, a)) for a, t in zip(ATTRS, tables, strict=True)] for s in specs])


def train(args: argparse.Namespace, out: Path) -> tuple[object, object, float]:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)
    t_start = time.time()

    tok_path = out / "tokenizer.json"
    build_tokenizer(tok_path)
    text_enc = TextEncoderNp(tok_path)
    vocab_size = text_enc.tok.get_vocab_size()

    photos: list[Image.Image] = []
    photo_crops = np.zeros((0, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    photo_of_crop = np.zeros(0, np.int64)  # which photograph each crop was cut from
    if args.photo_frac > 0:
        from models.tools import photo_negatives

        paths = photo_negatives.split(_real_photo_paths())[0]  # the training half only
        photos = [photo_negatives.load_small(p) for p in paths]
        crng = np.random.default_rng(args.seed + 99)
        photo_crops = np.stack(
            [
                np.asarray(photo_negatives.random_crop(photos[i % len(photos)], crng, IMAGE_SIZE))
                for i in range(args.photo_crops)
            ]
        )
        photo_of_crop = np.arange(args.photo_crops) % len(photos)
        log.info("%d real photographs (training half), %d crops", len(photos), len(photo_crops))
    pool = make_pool(args.pool, args.seed, photos, args.photo_shape_frac)
    codes = torch.from_numpy(_attr_codes(pool.specs))  # [N, 4]
    images_u8 = torch.from_numpy(pool.images).permute(0, 3, 1, 2).contiguous()  # [N,3,64,64]
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    log.info("pool of %d images ready after %.0fs", len(pool.specs), time.time() - t_start)

    visual, textual = build_models(vocab_size)
    logit_scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    params = list(visual.parameters()) + list(textual.parameters()) + [logit_scale]
    n_params = sum(p.numel() for p in params)
    log.info("model: %d parameters", n_params)
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05, betas=(0.9, 0.98))
    warmup = max(1, args.steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return args.lr * (step + 1) / warmup
        t = (step - warmup) / max(1, args.steps - warmup)
        return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))

    b = args.batch
    pad = 3
    deadline = t_start + args.minutes * 60
    visual.train()
    textual.train()
    t_train = time.time()
    step = 0
    for step in range(args.steps):
        if time.time() > deadline:
            log.warning("time budget of %.1f min reached at step %d; stopping early", args.minutes, step)
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        n_photo = int(round(b * args.photo_frac)) if len(photo_crops) else 0
        b_all, b = b, b - n_photo
        idx = rng.choice(len(pool.specs), size=b, replace=False)
        # images: small random translation (edge pad + crop) and mild brightness/contrast jitter
        x = images_u8[torch.from_numpy(idx)].float() / 255.0
        x = F.pad(x, (pad, pad, pad, pad), mode="replicate")
        offs = rng.integers(0, 2 * pad + 1, size=(b, 2))
        x = torch.stack(
            [x[i, :, oy : oy + IMAGE_SIZE, ox : ox + IMAGE_SIZE] for i, (oy, ox) in enumerate(offs)]
        )
        gain = torch.from_numpy(rng.uniform(0.9, 1.1, size=(b, 1, 1, 1)).astype(np.float32))
        bias = torch.from_numpy(rng.uniform(-0.05, 0.05, size=(b, 1, 1, 1)).astype(np.float32))
        if n_photo:
            if args.photo_instance > 0:  # pairs: two crops of each of n_photo/2 photographs
                which = rng.choice(int(photo_of_crop.max()) + 1, size=n_photo // 2, replace=False)
                pidx = np.concatenate(
                    [rng.choice(np.flatnonzero(photo_of_crop == w), size=2, replace=False) for w in which]
                )
                pidx = np.concatenate([pidx, rng.choice(len(photo_crops), size=n_photo - len(pidx))])
            else:
                pidx = rng.choice(len(photo_crops), size=n_photo, replace=False)
            px = torch.from_numpy(photo_crops[pidx]).permute(0, 3, 1, 2).float() / 255.0
            x = torch.cat([x, px])
        if n_photo and args.photo_instance > 0:  # re-exposures: a wider brightness/contrast jitter
            pgain = torch.from_numpy(rng.uniform(0.7, 1.3, size=(n_photo, 1, 1, 1)).astype(np.float32))
            pbias = torch.from_numpy(rng.uniform(-0.08, 0.08, size=(n_photo, 1, 1, 1)).astype(np.float32))
        else:
            pgain, pbias = torch.ones(n_photo, 1, 1, 1), torch.zeros(n_photo, 1, 1, 1)
        gain = gain if not n_photo else torch.cat([gain, pgain])
        bias = bias if not n_photo else torch.cat([bias, pbias])
        x = ((x * gain + bias).clamp(0, 1) - mean) / std

        # captions: ~40% full captions, the rest name a subset of attributes
        texts: list[str] = []
        want = np.full((b, 4), -1, dtype=np.int64)  # -1 = attribute not mentioned
        for i, j in enumerate(idx):
            spec = pool.specs[int(j)]
            if rng.random() < args.full_frac:
                texts.append(shapes.caption(spec, rng))
                want[i] = codes[int(j)].numpy()
            else:
                text, attrs = shapes.partial_caption(spec, rng)
                texts.append(text)
                for k, a in enumerate(ATTRS):
                    if a in attrs:
                        want[i, k] = codes[int(j), k]
        if n_photo:
            from models.tools import photo_negatives

            texts += [photo_negatives.photo_caption(rng, text_enc.tok) for _ in range(n_photo)]
        ids = torch.from_numpy(text_enc.batch(texts))
        img_codes = codes[torch.from_numpy(idx)]  # [b,4]
        want_t = torch.from_numpy(want)  # [b,4]
        # positives[i, j]: image i satisfies every attribute named by caption j
        ok = (want_t.unsqueeze(0) < 0) | (img_codes.unsqueeze(1) == want_t.unsqueeze(0))
        positives = torch.zeros(b_all, b_all)
        positives[:b, :b] = ok.all(dim=2).float()
        positives[b:, b:] = 1.0  # a real photograph is "a photo" (or words the model cannot read)

        img = F.normalize(visual(x), dim=-1)
        txt = F.normalize(textual(ids), dim=-1)
        scale = logit_scale.clamp(max=math.log(100.0)).exp()
        logits = scale * img @ txt.t()  # [images, texts]
        tgt_i2t = positives / positives.sum(dim=1, keepdim=True)
        tgt_t2i = (positives / positives.sum(dim=0, keepdim=True)).t()
        loss_i2t = -(tgt_i2t * logits.log_softmax(dim=1)).sum(dim=1).mean()
        loss_t2i = -(tgt_t2i * logits.t().log_softmax(dim=1)).sum(dim=1).mean()
        loss = 0.5 * (loss_i2t + loss_t2i)
        if args.geo_weight > 0:
            # image-image geometry: cosine ~ (number of shared attributes) / 4, so that a reference
            # photo plus a colour word (product of cosines) prefers "same everything but colour"
            shared = (img_codes.unsqueeze(0) == img_codes.unsqueeze(1)).float().mean(dim=2)
            loss = loss + args.geo_weight * (img[:b] @ img[:b].t() - shared).pow(2).mean()
        if n_photo and args.photo_instance > 0:
            # one photograph, two crops: close (0.9); two photographs: apart (0.4) — so that "photos like this"
            # finds a crop or a re-exposure of a real photograph among other real photographs
            pid = torch.from_numpy(photo_of_crop[pidx])
            same = (pid.unsqueeze(0) == pid.unsqueeze(1)).float()
            target = 0.4 + 0.5 * same
            loss = loss + args.photo_instance * (img[b:] @ img[b:].t() - target).pow(2).mean()

        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        b = b_all
        if step % 100 == 0 or step == args.steps - 1:
            log.info(
                "step %d/%d loss %.4f scale %.1f lr %.2e (%.0fs)",
                step,
                args.steps,
                loss.item(),
                scale.item(),
                lr_at(step),
                time.time() - t_train,
            )
    train_seconds = time.time() - t_start
    log.info(
        "trained %d steps; %.0fs since start (training loop %.0fs)",
        step + 1,
        train_seconds,
        time.time() - t_train,
    )
    visual.eval()
    textual.eval()
    return visual, textual, train_seconds


# ------------------------------------------------------------------------------------ export


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(
    visual: object, textual: object, out: Path, args: argparse.Namespace, train_seconds: float
) -> None:
    import torch

    v: torch.nn.Module = visual  # type: ignore[assignment]
    t: torch.nn.Module = textual  # type: ignore[assignment]
    dummy_img = torch.randn(2, 3, IMAGE_SIZE, IMAGE_SIZE)
    dummy_ids = torch.tensor(
        [[BOS_ID, 10, 11, 12, EOS_ID, PAD_ID], [BOS_ID, 13, EOS_ID, PAD_ID, PAD_ID, PAD_ID]]
    )
    with torch.no_grad():
        torch.onnx.export(
            v,
            (dummy_img,),
            str(out / "visual.onnx"),
            input_names=["pixel_values"],
            output_names=["image_embeds"],
            dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
            opset_version=17,
            dynamo=False,
            do_constant_folding=True,
        )
        torch.onnx.export(
            t,
            (dummy_ids,),
            str(out / "textual.onnx"),
            input_names=["input_ids"],
            output_names=["text_embeds"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}},
            opset_version=17,
            dynamo=False,
            do_constant_folding=True,
        )
    _strip_onnx(out / "visual.onnx")
    _strip_onnx(out / "textual.onnx")
    _check_export(v, t, out)

    files = {}
    for name in ("visual.onnx", "textual.onnx", "tokenizer.json"):
        p = out / name
        files[name] = {"size": p.stat().st_size, "sha256": _sha256(p)}
    manifest = {
        "format": "photosearch-model/1",
        "id": "shapes-tiny",
        "name": "Shapes (test model)",
        "family": "clip",
        "embedding_dim": EMBED_DIM,
        "licence": "MIT",
        "commercial_use": True,
        "languages": ["en"],
        "description": (
            "Tiny CLIP-style dual encoder trained on synthetic images of one coloured shape "
            "(shapes x colours x sizes x positions). For tests and benchmarks only."
            + (
                " Also shown crops of real photographs (the training half of benchmarks/real_photos.py) as "
                "'a photo', and shapes pasted onto them."
                if args.photo_frac > 0
                else ""
            )
        ),
        "source": (
            f"Trained from scratch by models/tools/train_shapes_model.py --seed {args.seed} "
            f"(data: models/tools/shapes.py, held-out combos excluded)."
            + (
                f" --batch {args.batch} --photo-frac {args.photo_frac} --photo-shape-frac {args.photo_shape_frac}"
                + (f" --photo-instance {args.photo_instance}" if args.photo_instance else "")
                if args.photo_frac > 0
                else ""
            )
        ),
        "vision": {
            "file": "visual.onnx",
            "input": {"name": "pixel_values", "dtype": "float32"},
            "output": {"name": "image_embeds", "normalized": False},
            "dynamic_batch": True,
            "image_size": IMAGE_SIZE,
            "resize_mode": "shortest",
            "interpolation": "bicubic",
            "crop": "center",
            "crop_rounding": "floor",
            "rescale": RESCALE,
            "mean": MEAN,
            "std": STD,
            "fill_color": [0, 0, 0],
        },
        "text": clip_text_section(CONTEXT_LENGTH, BOS_ID, EOS_ID, PAD_ID),
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(f["size"] for f in files.values())
    log.info("exported package to %s (%.2f MB)", out, total / 1e6)


def _strip_onnx(path: Path) -> None:
    """Drop the exporter's doc strings / producer version so the files are reproducible and small."""
    import onnx

    m = onnx.load(str(path))
    m.producer_version = ""
    m.doc_string = ""
    for node in m.graph.node:
        node.doc_string = ""
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def _check_export(visual: object, textual: object, out: Path) -> None:
    import onnxruntime as ort
    import torch

    v: torch.nn.Module = visual  # type: ignore[assignment]
    t: torch.nn.Module = textual  # type: ignore[assignment]
    sv = ort.InferenceSession(str(out / "visual.onnx"), providers=["CPUExecutionProvider"])
    st = ort.InferenceSession(str(out / "textual.onnx"), providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(1)
    for bs in (1, 5):
        x = torch.randn(bs, 3, IMAGE_SIZE, IMAGE_SIZE, generator=g)
        with torch.no_grad():
            ref = v(x).numpy()
        got = sv.run(["image_embeds"], {"pixel_values": x.numpy()})[0]
        diff = float(np.abs(ref - got).max())
        if diff >= 1e-4:
            raise RuntimeError(f"visual ONNX differs from torch by {diff}")
    enc = TextEncoderNp(out / "tokenizer.json")
    texts = [
        "red",
        "a small red circle at the top left",
        "a photo of my dog on the beach",
        "zzqx unknownword",
    ]
    for pad_to in (None, CONTEXT_LENGTH):
        ids = enc.batch(texts, pad_to=pad_to)
        with torch.no_grad():
            ref = t(torch.from_numpy(ids)).numpy()
        got = st.run(["text_embeds"], {"input_ids": ids})[0]
        diff = float(np.abs(ref - got).max())
        if diff >= 1e-4:
            raise RuntimeError(f"textual ONNX differs from torch by {diff}")
    worst = 0.0
    for text in texts:
        a = st.run(["text_embeds"], {"input_ids": enc.batch([text])})[0]
        b = st.run(["text_embeds"], {"input_ids": enc.batch([text], pad_to=CONTEXT_LENGTH)})[0]
        worst = max(worst, float(np.abs(a - b).max()))
    if worst >= 1e-5:
        raise RuntimeError(f"right padding changes the text embedding by {worst}")
    log.info("export check ok: ONNX == torch (< 1e-4), padding-invariant text (max diff %.1e)", worst)


# ------------------------------------------------------------------------------------ evaluation


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def evaluate(package: Path, n_images: int = 600, seed: int = EVAL_SEED) -> dict[str, float]:
    """Retrieval quality of the exported package, with onnxruntime + numpy only."""
    import onnxruntime as ort

    manifest = json.loads((package / "manifest.json").read_text())
    vis, txt = manifest["vision"], manifest["text"]
    sv = ort.InferenceSession(str(package / vis["file"]), providers=["CPUExecutionProvider"])
    st = ort.InferenceSession(str(package / txt["file"]), providers=["CPUExecutionProvider"])
    enc = TextEncoderNp(package / txt["tokenizer"], txt["context_length"])

    with tempfile.TemporaryDirectory() as tmp:
        items = shapes.make_library(tmp, n_images, seed=seed)
        pix = np.stack([preprocess(Image.open(p), vis["image_size"]) for p, _ in items])
    specs = [s for _, s in items]
    img = _unit(
        np.concatenate(
            [sv.run(None, {vis["input"]["name"]: pix[i : i + 128]})[0] for i in range(0, len(pix), 128)]
        )
    )

    def embed_texts(texts: list[str]) -> np.ndarray:
        return _unit(st.run(None, {txt["input_ids"]["name"]: enc.batch(texts)})[0])

    def p_at_k(query: np.ndarray, rel: set[int], k: int) -> float:
        top = np.argsort(-(img @ query), kind="stable")[:k]
        return sum(int(i) in rel for i in top) / k

    # 1. shape x colour queries
    pairs = [(s, c) for s in shapes.SHAPES for c in shapes.COLOURS]
    q = embed_texts([f"a {c} {s}" for s, c in pairs])
    p_sc = [
        p_at_k(q[i], set(shapes.relevant(specs, {"shape": s, "colour": c})), 5)
        for i, (s, c) in enumerate(pairs)
    ]
    for i in np.argsort(p_sc, kind="stable")[:3]:
        log.info("weakest shape x colour query: 'a %s %s' P@5 = %.2f", pairs[i][1], pairs[i][0], p_sc[i])

    # 2. full captions (every combination present in the library)
    combos = sorted({sp.combo for sp in specs})
    q = embed_texts([shapes.caption(Spec(*c)) for c in combos])
    p_full, p_held = [], []
    for i, c in enumerate(combos):
        rel = {j for j, sp in enumerate(specs) if sp.combo == c}
        val = p_at_k(q[i], rel, min(5, len(rel)))
        p_full.append(val)
        if c in shapes.HELD_OUT:
            p_held.append(val)

    # 3. single attributes (P@10 for each colour / shape word alone)
    words = list(shapes.COLOURS) + list(shapes.SHAPES)
    q = embed_texts(words)
    p_word = []
    for i, w in enumerate(words):
        key = "colour" if w in shapes.COLOURS else "shape"
        p_word.append(p_at_k(q[i], set(shapes.relevant(specs, {key: w})), 10))

    # 4. composed: reference image + a colour word; score = cos(ref, img) * cos(text, img)
    colour_q = dict(zip(shapes.COLOURS, embed_texts(list(shapes.COLOURS)), strict=True))
    by_combo: dict[tuple[str, str, str, str], list[int]] = {}
    for j, sp in enumerate(specs):
        by_combo.setdefault(sp.combo, []).append(j)
    hits = total = 0
    named_hits: list[str] = []
    refs = list(range(min(150, len(specs))))
    named = [
        ("square", "blue", "small", "top left", "red"),
        ("circle", "red", "large", "bottom right", "green"),
        ("star", "yellow", "small", "bottom left", "orange"),
        ("hexagon", "green", "large", "centre", "yellow"),
        ("triangle", "orange", "medium", "top right", "purple"),
        ("cross", "purple", "medium", "top left", "blue"),
    ]
    named_refs = []
    for *combo, new_colour in named:
        if tuple(combo) in by_combo:
            named_refs.append((by_combo[tuple(combo)][0], new_colour))
    cases = [(r, c) for r in refs for c in shapes.COLOURS if c != specs[r].colour]
    cases += [case for case in named_refs if case not in cases]
    for r, new_colour in cases:
        ref = specs[r]
        target = (ref.shape, new_colour, ref.size, ref.position)
        if not [j for j in by_combo.get(target, []) if j != r]:
            continue
        score = (img @ img[r]) * (img @ colour_q[new_colour])
        score[r] = -np.inf
        top = specs[int(np.argmax(score))]
        ok = top.combo == target
        hits += ok
        total += 1
        if (r, new_colour) in named_refs:
            named_hits.append(
                f"{caption_short(ref)} + {new_colour!r}: {'ok' if ok else 'MISS -> ' + caption_short(top)}"
            )

    res = {
        "p5_shape_colour": float(np.mean(p_sc)),
        "p5_shape_colour_min": float(np.min(p_sc)),
        "pk_full_caption": float(np.mean(p_full)),
        "pk_full_caption_held_out": float(np.mean(p_held)) if p_held else float("nan"),
        "p10_single_word": float(np.mean(p_word)),
        "composed_top1": hits / max(1, total),
        "composed_cases": float(total),
    }
    for line in named_hits:
        log.info("composed: %s", line)
    return res


def _real_photo_paths() -> list[Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks import real_photos

    return [*real_photos.ensure(), *real_photos.scene_text()]


def caption_short(spec: Spec) -> str:
    return f"{spec.size} {spec.colour} {spec.shape} @ {spec.position}"


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("tests/fixtures/shapes-model"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=9.5, help="wall-clock budget for data + training")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    ap.add_argument(
        "--geo-weight",
        type=float,
        default=5.0,
        help="weight of the image-image loss (cosine ~ shared attributes / 4)",
    )
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--pool", type=int, default=20000, help="number of pre-rendered training images")
    ap.add_argument("--full-frac", type=float, default=0.4, help="share of full captions in a batch")
    ap.add_argument(
        "--photo-frac",
        type=float,
        default=0.0,
        help="share of each batch that is a crop of a real photograph captioned 'a photo' or with words the "
        "model cannot read (training half of benchmarks/real_photos.py; 0 = shapes only)",
    )
    ap.add_argument("--photo-crops", type=int, default=3000, help="pre-cut crops of real photographs")
    ap.add_argument(
        "--photo-instance",
        type=float,
        default=0.0,
        help="weight of a loss that keeps two crops of one real photograph close and two photographs apart",
    )
    ap.add_argument(
        "--photo-shape-frac",
        type=float,
        default=0.0,
        help="share of the shape pool drawn onto real photographs",
    )
    ap.add_argument("--eval-only", action="store_true", help="only evaluate an existing package")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    out: Path = args.out
    if not args.eval_only:
        out.mkdir(parents=True, exist_ok=True)
        visual, textual, seconds = train(args, out)
        export(visual, textual, out, args, seconds)
        log.info("data + training took %.0fs", seconds)
    res = evaluate(out)
    print(f"evaluation (onnxruntime, library of 600 images, seed {EVAL_SEED}):")
    print(
        f"  mean P@5 'a {{colour}} {{shape}}' over 36 pairs : {res['p5_shape_colour']:.3f} "
        f"(worst pair {res['p5_shape_colour_min']:.2f})"
    )
    print(
        f"  mean P@k full captions (k=min(5,#relevant))  : {res['pk_full_caption']:.3f} "
        f"(held-out combos {res['pk_full_caption_held_out']:.3f})"
    )
    print(f"  mean P@10 single words (colour / shape)       : {res['p10_single_word']:.3f}")
    print(
        f"  composed (ref image x colour word) top-1 rate : {res['composed_top1']:.3f} "
        f"over {int(res['composed_cases'])} cases"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
