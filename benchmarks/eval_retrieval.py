"""Retrieval evaluation: Recall@1/5/10 and mAP for text→image, image→image and composed queries, plus the
negative-term, relevance-cutoff and near-duplicate checks — all through the real product path (a real
library: catalog, hnswlib index, ``SearchEngine``).

    # (a) synthetic gallery from the test model's generator, ground truth by construction
    python benchmarks/eval_retrieval.py synthetic --model tests/fixtures/shapes-model [--json out.json]

    # (b) public datasets (you bring the weights as a model package and the data)
    python benchmarks/eval_retrieval.py cirr      --model PKG --root CIRR_ROOT [--split val]
    python benchmarks/eval_retrieval.py fashioniq --model PKG --root FIQ_ROOT --category dress
    python benchmarks/eval_retrieval.py flickr30k --model PKG --captions results_20130124.token --images DIR
    python benchmarks/eval_retrieval.py coco      --model PKG --captions captions_val2014.json --images DIR

Synthetic suite (``models/tools/shapes.py``; every image has a known shape, colour, size, position):

* Gallery A: every (shape, colour, size, position) combination twice = 1,080 photos, plus the query
  reference photos (fresh renders). Hard negatives are there by construction: for a reference "blue small
  square top-left" + change "red", the gallery holds the same shape/size/position in every other colour
  (the reference's own colour included) and red in every other shape.
* Composed: reference R + change text ("red", "a circle", "large", "something at the top left") → targets
  = photos whose attributes are R's with the change applied. Image-only (w=0), text-only (w=1), sum,
  slerp and weighted product, each at its default weight, plus a weight sweep.
* Text→image: canonical captions; image→image: the reference photos (themselves left out).
* Negative terms: ``a circle`` vs ``a circle - red`` (and colour queries minus a shape): the share of the
  top 10 carrying the excluded attribute, before and after.
* Cutoff: gallery B leaves out one colour (purple) and one shape (star) entirely. The z-threshold is
  calibrated on one set of queries (100 with a match, 100 naming an absent attribute), then tested on
  another 100 + 100: correct answer = the best result is relevant and passes; correct "no good matches" =
  no result passes.
* Near-duplicates: gallery C holds originals, look-alikes (same attributes, another background) and
  planted copies (byte-identical, resized, re-encoded JPEG, cropped 3–6 %, cropped + re-encoded);
  pairwise precision and recall of ``photosearch duplicates``' grouping.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import datasets
from models.tools import shapes
from models.tools.shapes import Spec
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.models.install import install_package_dir
from photosearch.search import fusion as fusion_mod
from photosearch.search.cutoff import CutoffRule, calibrate
from photosearch.search.duplicates import find_duplicates
from photosearch.search.engine import SearchEngine

log = logging.getLogger("eval_retrieval")

KS = (1, 5, 10)
#: the default weight of each fusion (product: the issue's default; slerp/sum: the published α ≈ 0.8)
FUSION_WEIGHTS = {"product": fusion_mod.DEFAULT_WEIGHT, "slerp": 0.8, "sum": 0.8}
SWEEP = (0.3, 0.5, 0.7, 0.8, 0.9)
#: ranking depth: Recall@k and AP are computed on the top DEPTH results (mAP@DEPTH)
DEPTH = 100
ABSENT_COLOURS = ("purple",)
ABSENT_SHAPES = ("star",)


# -- metrics -----------------------------------------------------------------------------------------


def query_metrics(ranked: Sequence[str], relevant: set[str], ks: Iterable[int] = KS) -> dict[str, float]:
    """Recall@k (1 when any relevant item is in the top k — the CIRR/COCO convention) and average
    precision over the ranking given (normalised by min(#relevant, depth): AP@depth)."""
    out = {f"R@{k}": float(any(r in relevant for r in ranked[:k])) for k in ks}
    hits, ap = 0, 0.0
    for i, r in enumerate(ranked, 1):
        if r in relevant:
            hits += 1
            ap += hits / i
    out["AP"] = ap / max(min(len(relevant), len(ranked)), 1)
    return out


def mean_metrics(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    keys = rows[0].keys()
    out = {("mAP" if k == "AP" else k): float(np.mean([r[k] for r in rows])) for k in keys}
    out["n"] = len(rows)
    return out


def fmt_metrics(m: dict[str, float]) -> str:
    return "  ".join(f"{k} {100 * v:5.1f}" if k != "n" else f"n={int(v)}" for k, v in m.items())


# -- a real library ----------------------------------------------------------------------------------


class Bench:
    """A throw-away PhotoSearch data dir with one model installed and some folders indexed."""

    def __init__(self, model: Path, work: Path, name: str) -> None:
        self.paths = Paths.resolve(work / f"data-{name}")
        self.lib = Library(self.paths, write=True, purpose="eval_retrieval")
        pkg = install_package_dir(model, self.paths.models_dir)
        self.lib.set_active_model(pkg.id)

    def index(self, folders: Iterable[Path]) -> float:
        for f in folders:
            self.lib.add_folder(f)
        t0 = time.perf_counter()
        for _ in Indexer(self.lib, batch_size=32).run():
            pass
        return time.perf_counter() - t0

    def engine(self) -> SearchEngine:
        rt = self.lib.runtime()
        return SearchEngine(self.lib.catalog, rt, self.lib.vector_index(rt.id))

    def close(self) -> None:
        self.lib.close()


def ranked_paths(resp: Any) -> list[str]:
    return [r.path for r in resp.results]


# -- synthetic data ----------------------------------------------------------------------------------


def _save(img: Image.Image, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jpg":
        img.save(path, "JPEG", quality=92)
    else:
        img.save(path, "PNG", compress_level=1)
    return path


def write_specs(folder: Path, specs: list[Spec], prefix: str = "img") -> dict[str, Spec]:
    out = {}
    for i, s in enumerate(specs):
        p = _save(shapes.render(s), folder / f"{prefix}_{i:05d}.png")
        out[os.path.normpath(str(p.resolve()))] = s
    return out


def random_bg(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "bg_style": shapes.BACKGROUNDS[int(rng.integers(len(shapes.BACKGROUNDS)))],
        "bg_seed": int(rng.integers(2**31 - 1)),
    }


def change_text(kind: str, value: str) -> str:
    if kind == "colour":
        return value
    if kind == "shape":
        return f"a {value}"
    if kind == "size":
        return value
    return f"something {'in the centre' if value == 'centre' else 'at the ' + value}"


@dataclass
class ComposedCase:
    ref: str
    ref_spec: Spec
    kind: str
    text: str
    target: shapes.Combo


def composed_cases(
    rng: np.random.Generator, n: int, kinds: Sequence[str]
) -> list[tuple[Spec, str, str, shapes.Combo]]:
    values = {
        "shape": shapes.SHAPES,
        "colour": shapes.COLOURS,
        "size": shapes.SIZES,
        "position": shapes.POSITIONS,
    }
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        ref = shapes.random_spec(rng)
        choices = [v for v in values[kind] if v != getattr(ref, kind)]
        new = choices[int(rng.integers(len(choices)))]
        d = {"shape": ref.shape, "colour": ref.colour, "size": ref.size, "position": ref.position, kind: new}
        out.append((ref, kind, change_text(kind, new), (d["shape"], d["colour"], d["size"], d["position"])))
    return out


# -- (a) synthetic suite -----------------------------------------------------------------------------


def run_synthetic(
    model: Path,
    work: Path,
    seed: int = 0,
    n_composed: int = 100,
    n_mixed: int = 60,
    n_text: int = 100,
    copies: int = 2,
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    report: dict[str, Any] = {"model": str(model), "seed": seed}

    # ---- gallery A
    root_a = work / "gallery-a"
    shapes.make_library(root_a / "gallery", n=len(shapes.all_combos()) * copies, seed=seed + 1)
    specs_a = {os.path.normpath(str(p.resolve())): s for p, s in shapes.load_labels(root_a / "gallery")}
    cases = composed_cases(rng, n_composed, ["colour"]) + composed_cases(
        rng, n_mixed, ["shape", "size", "position"]
    )
    ref_specs = [Spec(*c[0].combo, **random_bg(rng)) for c in cases]
    refs = write_specs(root_a / "refs", ref_specs, prefix="ref")
    specs_a.update(refs)
    ref_paths = list(refs)
    bench = Bench(model, work, "a")
    secs = bench.index([root_a])
    eng = bench.engine()
    n_a = eng.catalog.visible_count()
    report["gallery_a"] = {
        "photos": n_a,
        "index_seconds": round(secs, 1),
        "composition": f"{copies} per (shape, colour, size, position) combination "
        f"= {len(shapes.all_combos()) * copies}, + {len(refs)} reference photos",
    }
    print(f"\n== gallery A: {n_a} photos ({report['gallery_a']['composition']}), indexed in {secs:.0f} s")
    by_combo: dict[shapes.Combo, set[str]] = {}
    for p, s in specs_a.items():
        by_combo.setdefault(s.combo, set()).add(p)

    # ---- composed
    comp = []
    for (ref_spec, kind, text, target), ref in zip(cases, ref_paths, strict=True):
        comp.append(ComposedCase(ref, ref_spec, kind, text, target))
    methods = {
        "image only": ("product", 0.0),
        "text only": ("product", 1.0),
        **{
            f"{f} (w={w})": (f, w)
            for f, w in (
                ("sum", FUSION_WEIGHTS["sum"]),
                ("slerp", FUSION_WEIGHTS["slerp"]),
                ("product", FUSION_WEIGHTS["product"]),
            )
        },
    }

    def eval_composed(
        subset: list[ComposedCase], fusion: str, w: float, depth: int = DEPTH
    ) -> dict[str, float]:
        rows = []
        for c in subset:
            resp = eng.search_composed(c.ref, c.text, k=depth, weight=w, fusion=fusion, cutoff=False)
            ranked = ranked_paths(resp)
            assert c.ref not in ranked, "the reference photo must be left out"
            rows.append(query_metrics(ranked, by_combo.get(c.target, set()) - {c.ref}))
        return mean_metrics(rows)

    report["composed"] = {}
    for label, subset in (
        ("colour change (ref + 'red' → red version)", [c for c in comp if c.kind == "colour"]),
        ("shape/size/position change", [c for c in comp if c.kind != "colour"]),
    ):
        print(f"\n-- composed, {label}: {len(subset)} queries")
        block: dict[str, Any] = {}
        for name, (f, w) in methods.items():
            m = eval_composed(subset, f, w)
            block[name] = m
            print(f"  {name:22} {fmt_metrics(m)}")
        sweep = {}
        for f in fusion_mod.FUSIONS:
            for w in SWEEP:
                m = eval_composed(subset, f, w, depth=10)
                sweep[f"{f} w={w}"] = {k: m[k] for k in ("R@1", "R@5")}
        print(
            "  weight sweep (R@1 / R@5): "
            + "; ".join(f"{k} {100 * v['R@1']:.0f}/{100 * v['R@5']:.0f}" for k, v in sweep.items())
        )
        block["sweep"] = sweep
        default = block[f"product (w={FUSION_WEIGHTS['product']})"]["R@1"]
        block["default_beats_single_modalities_on_R@1"] = bool(
            default > block["image only"]["R@1"] and default > block["text only"]["R@1"]
        )
        report["composed"][label] = block
        print(
            f"  default (product, w=0.5) beats image-only and text-only on R@1: "
            f"{block['default_beats_single_modalities_on_R@1']}"
        )

    # ---- text → image, image → image
    combos = shapes.all_combos()
    text_rows = []
    for i in rng.choice(len(combos), size=n_text, replace=False):
        combo = combos[int(i)]
        resp = eng.search_text(shapes.caption(Spec(*combo)), k=DEPTH, cutoff=False)
        text_rows.append(query_metrics(ranked_paths(resp), by_combo[combo]))
    img_rows = []
    for ref in ref_paths:
        resp = eng.search_image(ref, k=DEPTH, exclude_self=True, cutoff=False)
        img_rows.append(query_metrics(ranked_paths(resp), by_combo[specs_a[ref].combo] - {ref}))
    report["text_to_image"] = mean_metrics(text_rows)
    report["image_to_image"] = mean_metrics(img_rows)
    print(f"\n-- text → image (full captions):   {fmt_metrics(report['text_to_image'])}")
    print(f"-- image → image (same attributes): {fmt_metrics(report['image_to_image'])}")

    # ---- negative terms
    report["negative_terms"] = eval_negatives(eng, specs_a, rng)

    bench.close()
    report["cutoff"] = eval_cutoff(model, work, seed)
    report["duplicates"] = eval_duplicates(model, work, seed)
    return report


def eval_negatives(
    eng: SearchEngine, specs: dict[str, Spec], rng: np.random.Generator, n: int = 60
) -> dict[str, Any]:
    cases = []
    for i in range(n):
        if i % 2 == 0:  # a shape, minus a colour
            shape = shapes.SHAPES[int(rng.integers(len(shapes.SHAPES)))]
            colour = shapes.COLOURS[int(rng.integers(len(shapes.COLOURS)))]
            cases.append((f"a {shape}", colour, ("colour", colour)))
        else:  # a colour, minus a shape
            colour = shapes.COLOURS[int(rng.integers(len(shapes.COLOURS)))]
            shape = shapes.SHAPES[int(rng.integers(len(shapes.SHAPES)))]
            cases.append((f"something {colour}", f"a {shape}", ("shape", shape)))
    before, after = [], []
    for pos, neg, (attr, value) in cases:
        for query, out in ((pos, before), (f"{pos} - {neg}", after)):
            resp = eng.search_text(query, k=10, cutoff=False)
            out.append(float(np.mean([getattr(specs[r.path], attr) == value for r in resp.results])))
    b, a = float(np.mean(before)), float(np.mean(after))
    drop = 1.0 - a / b if b > 0 else float("nan")
    print(
        f"\n-- negative terms ({n} queries: 'a circle - red', 'something red - a circle', …): share of the top 10 "
        f"carrying the excluded attribute {100 * b:.1f}% → {100 * a:.1f}% (drop {100 * drop:.0f}%)"
    )
    return {
        "queries": n,
        "share_before": b,
        "share_after": a,
        "drop": drop,
        "examples": [f"{p} - {q}" for p, q, _ in cases[:4]],
    }


def _cutoff_queries(
    rng: np.random.Generator, n: int, present: list[shapes.Combo], absent: list[shapes.Combo]
) -> list[tuple[str, dict[str, str] | None]]:
    """n queries with a match (text, attrs) then n without (text, None)."""
    out: list[tuple[str, dict[str, str] | None]] = []
    for i in range(n):
        spec = Spec(*present[int(rng.integers(len(present)))])
        if i % 2 == 0:
            out.append(
                (
                    shapes.caption(spec),
                    dict(zip(("shape", "colour", "size", "position"), spec.combo, strict=True)),
                )
            )
        else:
            text, attrs = shapes.partial_caption(spec, rng)
            out.append((text, attrs))
    for i in range(n):
        spec = Spec(*absent[int(rng.integers(len(absent)))])
        if i % 2 == 0:
            out.append((shapes.caption(spec), None))
        else:  # a partial caption that still names the absent attribute
            while True:
                text, attrs = shapes.partial_caption(spec, rng)
                if attrs.get("colour") in ABSENT_COLOURS or attrs.get("shape") in ABSENT_SHAPES:
                    break
            out.append((text, None))
    return out


def eval_cutoff(model: Path, work: Path, seed: int, n: int = 100, copies: int = 2) -> dict[str, Any]:
    rng = np.random.default_rng(seed + 100)
    present = [c for c in shapes.all_combos() if c[1] not in ABSENT_COLOURS and c[0] not in ABSENT_SHAPES]
    absent = [c for c in shapes.all_combos() if c[1] in ABSENT_COLOURS or c[0] in ABSENT_SHAPES]
    specs = [Spec(*c, **random_bg(rng)) for c in present for _ in range(copies)]
    root = work / "gallery-b"
    lib_specs = write_specs(root, specs)
    bench = Bench(model, work, "b")
    bench.index([root])
    eng = bench.engine()
    n_b = eng.catalog.visible_count()
    print(
        f"\n== gallery B (cutoff): {n_b} photos — no {'/'.join(ABSENT_COLOURS)} and no "
        f"{'/'.join(ABSENT_SHAPES)} anywhere"
    )

    def run(queries: list[tuple[str, dict[str, str] | None]]) -> list[tuple[float, bool, bool]]:
        """(z of the best result, best result relevant?, query has a match?)"""
        out = []
        for text, attrs in queries:
            resp = eng.search_text(text, k=10, cutoff=False)
            top = resp.results[0]
            rel = attrs is not None and shapes.matches(lib_specs[top.path], attrs)
            out.append((float(top.z or 0.0), rel, attrs is not None))
        return out

    calib = run(_cutoff_queries(np.random.default_rng(seed + 200), n, present, absent))
    test = run(_cutoff_queries(np.random.default_rng(seed + 300), n, present, absent))
    threshold = calibrate([z for z, _, m in calib if m], [z for z, _, m in calib if not m])

    def rates(rows: list[tuple[float, bool, bool]], th: float) -> dict[str, float]:
        match = [(z, rel) for z, rel, m in rows if m]
        nomatch = [z for z, _, m in rows if not m]
        return {
            "correct_answer_rate": float(np.mean([rel and z >= th for z, rel in match])),
            "correct_no_match_rate": float(np.mean([z < th for z in nomatch])),
            "top1_relevant_rate": float(np.mean([rel for _, rel in match])),
        }

    default_th = CutoffRule().threshold("text")
    res = {
        "photos": n_b,
        "calibration_queries": f"{n} with a match + {n} without",
        "test_queries": f"{n} with a match + {n} without",
        "calibrated_threshold": threshold,
        "test": rates(test, threshold),
        "test_with_default_threshold": {"threshold": default_th, **rates(test, default_th)},
    }
    # the engine applies the calibrated rule end to end: check no_good_matches on a few test queries
    eng.cutoff = CutoffRule({"text": threshold}, calibrated=True)
    t = res["test"]
    print(f"-- cutoff: z-threshold calibrated on separate queries = {threshold:.2f} (default {default_th})")
    print(
        f"   test: correct answers {100 * t['correct_answer_rate']:.0f}% of {n} queries with a match "
        f"(best result relevant {100 * t['top1_relevant_rate']:.0f}%), correct 'no good matches' "
        f"{100 * t['correct_no_match_rate']:.0f}% of {n} without"
    )
    d = res["test_with_default_threshold"]
    print(
        f"   with the uncalibrated default threshold {default_th}: {100 * d['correct_answer_rate']:.0f}% / "
        f"{100 * d['correct_no_match_rate']:.0f}%"
    )
    z_match = [z for z, _, m in test if m]
    z_none = [z for z, _, m in test if not m]
    res["z_test_match"] = {"min": float(np.min(z_match)), "median": float(np.median(z_match))}
    res["z_test_nomatch"] = {"median": float(np.median(z_none)), "max": float(np.max(z_none))}
    bench.close()
    return res


def _copy_variants(img: Image.Image, rng: np.random.Generator) -> list[tuple[str, Image.Image | None, str]]:
    """(kind, image or None for a byte copy, suffix) of the copies to plant for one original."""
    w, h = img.size

    def crop(frac: float) -> Image.Image:
        dx, dy = int(round(w * frac)), int(round(h * frac))
        ox, oy = int(rng.integers(0, dx + 1)), int(rng.integers(0, dy + 1))
        return img.crop((ox, oy, w - (dx - ox), h - (dy - oy)))

    def jpeg(im: Image.Image, q: int) -> Image.Image:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=q)
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")

    kinds = [
        ("exact", None, ".png"),
        ("resized", img.resize((int(w * rng.uniform(0.6, 0.8)),) * 2, Image.Resampling.LANCZOS), ".png"),
        ("resized up", img.resize((int(w * 1.5),) * 2, Image.Resampling.BICUBIC), ".png"),
        ("re-encoded", jpeg(img, int(rng.integers(60, 85))), ".jpg"),
        ("cropped", crop(float(rng.uniform(0.03, 0.06))), ".png"),
        ("cropped + re-encoded", jpeg(crop(float(rng.uniform(0.03, 0.05))), 80), ".jpg"),
    ]
    pick = rng.choice(len(kinds), size=int(rng.integers(1, 3)), replace=False)
    return [kinds[int(i)] for i in pick]


def eval_duplicates(
    model: Path, work: Path, seed: int, n_orig: int = 240, n_planted: int = 80, n_lookalike: int = 120
) -> dict[str, Any]:
    rng = np.random.default_rng(seed + 400)
    root = work / "gallery-c"
    root.mkdir(parents=True, exist_ok=True)
    group_of: dict[str, int] = {}
    kinds_count: dict[str, int] = {}
    originals = [shapes.random_spec(rng) for _ in range(n_orig)]
    for i, spec in enumerate(originals):
        img = shapes.render(spec)
        p = _save(img, root / "originals" / f"o_{i:04d}.png")
        group_of[str(p.resolve())] = i
        if i < n_planted:
            for j, (kind, im, suffix) in enumerate(_copy_variants(img, rng)):
                q = root / "copies" / f"o_{i:04d}_copy{j}{suffix}"
                q.parent.mkdir(parents=True, exist_ok=True)
                if im is None:
                    shutil.copyfile(p, q)
                else:
                    _save(im, q)
                group_of[str(q.resolve())] = i
                kinds_count[kind] = kinds_count.get(kind, 0) + 1
        if n_planted // 2 <= i < n_planted // 2 + n_lookalike:
            # a look-alike: same shape, colour, size, position and background style, another shot
            look = Spec(*spec.combo, bg_style=spec.bg_style, bg_seed=int(rng.integers(2**31 - 1)))
            q = _save(shapes.render(look), root / "lookalikes" / f"o_{i:04d}_look.png")
            group_of[str(q.resolve())] = 10_000 + i
    bench = Bench(model, work, "c")
    bench.index([root])
    eng = bench.engine()
    truth = {frozenset((a, b)) for a in group_of for b in group_of if a < b and group_of[a] == group_of[b]}
    out: dict[str, Any] = {
        "photos": len(group_of),
        "originals": n_orig,
        "with_planted_copies": n_planted,
        "copies": kinds_count,
        "lookalikes": n_lookalike,
        "true_pairs": len(truth),
    }
    print(
        f"\n== gallery C (near-duplicates): {len(group_of)} photos — {n_orig} originals, {n_planted} of them with "
        f"planted copies {kinds_count}, {n_lookalike} look-alikes (same attributes and background style)"
    )
    for label, kw in (
        ("default", {}),
        ("no hash pre-filter", {"max_distance": 64}),
        ("threshold 0.8", {"threshold": 0.8}),
        ("threshold 0.95", {"threshold": 0.95}),
    ):
        t0 = time.perf_counter()
        groups = find_duplicates(eng, **kw)
        secs = time.perf_counter() - t0
        found = {
            frozenset((a.path, b.path)) for g in groups for a in g.files for b in g.files if a.path < b.path
        }
        tp = len(found & truth)
        prec = tp / len(found) if found else 1.0
        rec = tp / len(truth) if truth else 1.0
        out[label] = {
            "groups": len(groups),
            "pairs_found": len(found),
            "precision": prec,
            "recall": rec,
            "seconds": round(secs, 2),
            **kw,
        }
        missed: dict[str, int] = {}
        if label == "default":
            for pair in truth - found:
                for p in pair:
                    if "copy" in p:
                        missed[Path(p).suffix] = missed.get(Path(p).suffix, 0) + 1
            out[label]["missed_by_suffix"] = missed
        print(
            f"-- duplicates [{label}]: {len(groups)} groups, pairwise precision {100 * prec:.1f}%, "
            f"recall {100 * rec:.1f}% ({secs:.1f} s)"
        )
    bench.close()
    return out


# -- (b) public datasets -----------------------------------------------------------------------------


def _link_gallery(images: dict[str, Path], folder: Path) -> dict[str, str]:
    """Hard-link (or copy) the gallery into one folder; returns {library path: image name}."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, (name, src) in enumerate(sorted(images.items())):
        if not src.is_file():
            raise datasets.DatasetError(f"image {name} not found at {src}")
        dest = folder / f"{i:07d}{src.suffix.lower()}"
        if not dest.exists():
            try:
                os.link(src, dest)
            except OSError:
                shutil.copyfile(src, dest)
        out[os.path.normpath(str(dest.resolve()))] = name
    return out


def run_composed_dataset(
    ds: datasets.ComposedSet,
    model: Path,
    work: Path,
    limit: int | None = None,
    fusions: Sequence[tuple[str, float]] | None = None,
) -> dict[str, Any]:
    names = _link_gallery(ds.images, work / "gallery")
    by_name = {v: k for k, v in names.items()}
    bench = Bench(model, work, "ds")
    bench.index([work / "gallery"])
    eng = bench.engine()
    depth = 50
    queries = ds.queries[:limit] if limit else ds.queries
    methods = fusions or [("product", 0.0), ("product", 1.0), ("sum", 0.8), ("slerp", 0.8), ("product", 0.5)]
    res: dict[str, Any] = {"dataset": ds.name, "gallery": len(names), "queries": len(queries)}
    for f, w in methods:
        rows = []
        for q in queries:
            if q.reference not in by_name:
                continue
            resp = eng.search_composed(
                by_name[q.reference], q.text, k=depth, weight=w, fusion=f, cutoff=False
            )
            ranked = [names.get(r.path, "") for r in resp.results]
            rows.append(query_metrics(ranked, set(q.targets), ks=(1, 5, 10, 50)))
        key = "image only" if w == 0 else "text only" if w == 1 else f"{f} w={w}"
        res[key] = mean_metrics(rows)
        print(f"  {key:16} {fmt_metrics(res[key])}")
    bench.close()
    return res


def run_caption_dataset(
    ds: datasets.CaptionSet, model: Path, work: Path, limit: int | None = None
) -> dict[str, Any]:
    names = _link_gallery(ds.images, work / "gallery")
    bench = Bench(model, work, "ds")
    bench.index([work / "gallery"])
    eng = bench.engine()
    caps = ds.captions[:limit] if limit else ds.captions
    rows = []
    for text, name in caps:
        resp = eng.search_vector(eng.encode_text(text), k=10, cutoff=False)
        rows.append(query_metrics([names.get(r.path, "") for r in resp.results], {name}))
    res = {
        "dataset": ds.name,
        "images": len(names),
        "captions": len(caps),
        "text_to_image": mean_metrics(rows),
    }
    print(f"  text → image: {fmt_metrics(res['text_to_image'])}")
    bench.close()
    return res


# -- command line ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="suite", required=True)
    s = sub.add_parser("synthetic")
    s.add_argument("--seed", type=int, default=0)
    for name in ("cirr", "fashioniq"):
        c = sub.add_parser(name)
        c.add_argument("--root", type=Path, required=True)
        c.add_argument("--split", default="val")
        if name == "fashioniq":
            c.add_argument("--category", default="dress", choices=["dress", "shirt", "toptee"])
    for name in ("flickr30k", "coco"):
        c = sub.add_parser(name)
        c.add_argument("--captions", type=Path, required=True)
        c.add_argument("--images", type=Path, required=True)
        c.add_argument("--split", default="test")
    for c in sub.choices.values():
        c.add_argument(
            "--model", type=Path, default=Path("tests/fixtures/shapes-model"), help="model package folder"
        )
        c.add_argument(
            "--work", type=Path, help="working folder (default: a temporary one, removed afterwards)"
        )
        c.add_argument("--limit", type=int, help="at most this many queries (datasets)")
        c.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not (args.model / "manifest.json").is_file():
        print(f"no model package at {args.model}", file=sys.stderr)
        return 2
    tmp = None
    work = args.work
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix="eval-retrieval-")
        work = Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PHOTOSEARCH_DATA_DIR", str(work / "unused"))
    t0 = time.perf_counter()
    try:
        if args.suite == "synthetic":
            report = run_synthetic(args.model, work, seed=args.seed)
        elif args.suite == "cirr":
            report = run_composed_dataset(
                datasets.load_cirr(args.root, args.split), args.model, work, args.limit
            )
        elif args.suite == "fashioniq":
            report = run_composed_dataset(
                datasets.load_fashioniq(args.root, args.category, args.split), args.model, work, args.limit
            )
        elif args.suite == "flickr30k":
            report = run_caption_dataset(
                datasets.load_flickr30k(args.captions, args.images, args.split), args.model, work, args.limit
            )
        else:
            report = run_caption_dataset(
                datasets.load_coco(args.captions, args.images, args.split), args.model, work, args.limit
            )
    finally:
        if tmp is not None:
            tmp.cleanup()
    report["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"\n(total {report['seconds']:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
