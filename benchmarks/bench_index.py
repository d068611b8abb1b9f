"""Indexing throughput, end to end, on the 12 MP corpus: PhotoSearch vs rclip 3.3.0's own pipeline.

    python benchmarks/bench_index.py [--repeats 2] [--quick]

Each run is a fresh process indexing a fresh library (discover → decode → embed → catalog + index +
thumbnail for PhotoSearch; rclip's walk → hash → full decode → preprocess → batches of 8 → its SQLite
for rclip, driven in process through ``rclip.main.RClip.ensure_index`` with its thread pool, on the
same ONNX weights laid out in ``RCLIP_DATADIR``). Runs alternate baseline/ours so load changes hit
both. Also reported: the fast path's cosine to the exact path on every photo, int8 vs fp32 cosine,
and HEIC throughput.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    CORPUS,
    MODELS,
    OUT,
    RCLIP_DATA,
    fmt_spread,
    load_avg,
    max_rss_mb,
    require_inputs,
    run_child,
    stats,
    write_result,
)

# a private copy of the models folder (its first run writes the int8 tower into the model's folder): set
# BENCH_MODELS_DIR to leave the shared inputs untouched
MODELS = Path(os.environ.get("BENCH_MODELS_DIR") or MODELS)
CACHE = OUT / "user-cache"
M256, M256Q, M224, M224Q = (
    "vit-b-32-256-random",
    "vit-b-32-256-random-int8",
    "vit-b-32-224-random",
    "vit-b-32-224-random-int8",
)


# ---------------------------------------------------------------------------------------------------
# children (one indexing run each, in a fresh process)


def child_ours(model: str, corpus: Path, batch: int | None, decode_threads: int | None) -> dict:
    from photosearch.config import Paths
    from photosearch.indexing.pipeline import Indexer
    from photosearch.library.library import Library

    tmp = Path(tempfile.mkdtemp(prefix="bench-index-", dir=OUT))
    try:
        paths = Paths.resolve(tmp / "data")
        paths.ensure()
        (paths.models_dir / model).symlink_to(MODELS / model, target_is_directory=True)
        n = sum(1 for _ in corpus.iterdir())
        t0 = time.perf_counter()
        with Library(paths, write=True, purpose="bench") as lib:
            lib.set_active_model(model)
            lib.add_folder(corpus)
            kw = {}
            if batch:
                kw["batch_size"] = batch
            if decode_threads:
                kw["decode_threads"] = decode_threads
            last = None
            for p in Indexer(lib, **kw).run():
                last = p
            assert last is not None and last.phase == "done", last
            encoded, errors = last.encoded, last.errors
            thumbs = sum(1 for _ in paths.thumbs_dir.rglob("*.jpg"))
            image = lib.runtime(model).image
            backend = f"{image.variant} {image.path.name} on {image.backend}"
        dt = time.perf_counter() - t0
        return {
            "photos": n,
            "encoded": encoded,
            "errors": errors,
            "thumbnails": thumbs,
            "seconds": dt,
            "image_backend": backend,
            "photos_per_s": n / dt,
            "max_rss_mb": max_rss_mb(),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def child_rclip(corpus: Path) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-rclip-", dir=OUT))
    try:
        for item in RCLIP_DATA.iterdir():
            (tmp / item.name).symlink_to(item, target_is_directory=item.is_dir())
        os.environ["RCLIP_DATADIR"] = str(tmp)
        import io
        from contextlib import redirect_stdout

        from rclip import db, model
        from rclip.main import RClip

        n = sum(1 for _ in corpus.iterdir())
        t0 = time.perf_counter()
        database = db.DB(tmp / "db.sqlite3")
        m = model.Model()
        m.ensure_downloaded()  # only checks that the files are there (offline)
        rc = RClip(model_instance=m, database=database, indexing_batch_size=8, exclude_dirs=None)
        with redirect_stdout(io.StringIO()):
            rc.ensure_index(str(corpus))
        rc.close()
        database.close()
        dt = time.perf_counter() - t0
        import sqlite3

        con = sqlite3.connect(tmp / "db.sqlite3")
        encoded = con.execute("SELECT COUNT(*) FROM images WHERE deleted IS NULL").fetchone()[0]
        con.close()
        return {
            "photos": n,
            "encoded": encoded,
            "seconds": dt,
            "photos_per_s": n / dt,
            "max_rss_mb": max_rss_mb(),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def child_cosine(model: str, corpus: Path, int8_model: str | None) -> dict:
    """Fast path vs exact path (and int8 vs fp32) cosine on every photo of ``corpus``."""
    from photosearch.models.encoders import ModelRuntime, RuntimeSettings
    from photosearch.models.preprocess import FAST_DRAFT_FACTOR

    fp32 = dataclasses.replace(RuntimeSettings.default(), image_backend="onnxruntime")
    rt = ModelRuntime.from_path(MODELS / model, fp32)  # the exact fp32 reference
    pre = rt.preprocessor
    paths = sorted(corpus.iterdir())
    fast_t, exact_t = [], []
    for p in paths:
        fast_t.append(
            pre.to_tensor(pre.decode_fast(p, min_short_side=320).image)
        )  # what the pipeline decodes
        exact_t.append(pre.exact(p))
    fast = rt.image.encode_tensors(np.stack(fast_t))
    exact = rt.image.encode_tensors(np.stack(exact_t))
    cos = np.sum(fast * exact, axis=1)
    # Random-weight ViTs map every image near one common direction (raw cosine between different photos
    # ≈ 0.9), which makes raw cosines look better than they are. So also report the cosine after
    # removing the corpus mean (of the exact fp32 embeddings): "centred" — between different photos it
    # is ≈ 0, so a centred fast-vs-exact cosine near 1 means the photo-specific part is preserved.
    mu = exact.mean(axis=0)

    def centred(x: np.ndarray) -> np.ndarray:
        y = x - mu
        return y / np.linalg.norm(y, axis=1, keepdims=True)

    ce = centred(exact)
    cc = np.sum(centred(fast) * ce, axis=1)
    between = ce @ ce.T
    off = between[~np.eye(len(ce), dtype=bool)]
    raw_between = (exact @ exact.T)[~np.eye(len(ce), dtype=bool)]
    out = {
        "model": model,
        "photos": len(paths),
        "fast_vs_exact_min": float(cos.min()),
        "fast_vs_exact_mean": float(cos.mean()),
        "fast_vs_exact_centred_min": float(cc.min()),
        "fast_vs_exact_centred_mean": float(cc.mean()),
        "between_photos_raw_mean": float(raw_between.mean()),
        "between_photos_centred_mean": float(off.mean()),
        "draft_factor": FAST_DRAFT_FACTOR,
        "worst_photo": paths[int(np.argmin(cc))].name,
        "reduced_decodes": int(sum(pre.decode_fast(p, min_short_side=320).reduced for p in paths)),
    }
    # what the indexer stores: the fast path through the image backend "auto" picks on this machine
    # (OpenVINO bf16 on a CPU with AMX) — against the exact path in fp32
    auto = ModelRuntime.from_path(MODELS / model)
    stored = auto.image.encode_tensors(np.stack(fast_t))
    cs = np.sum(centred(stored) * ce, axis=1)
    cb = np.sum(centred(stored) * centred(fast), axis=1)
    out.update(
        {
            "image_backend": auto.image.backend,
            "stored_vs_exact_fp32_min": float(np.sum(stored * exact, axis=1).min()),
            "stored_vs_exact_fp32_centred_min": float(cs.min()),
            "stored_vs_exact_fp32_centred_mean": float(cs.mean()),
            "backend_vs_fp32_centred_min": float(cb.min()),
            "backend_vs_fp32_centred_mean": float(cb.mean()),
        }
    )
    if int8_model:
        q = ModelRuntime.from_path(MODELS / int8_model, fp32).image.encode_tensors(np.stack(fast_t))
        c8 = np.sum(q * fast, axis=1)
        c8c = np.sum(centred(q) * centred(fast), axis=1)
        out.update(
            {
                "int8_vs_fp32_min": float(c8.min()),
                "int8_vs_fp32_mean": float(c8.mean()),
                "int8_vs_fp32_centred_min": float(c8c.min()),
                "int8_vs_fp32_centred_mean": float(c8c.mean()),
            }
        )
    return out


# ---------------------------------------------------------------------------------------------------


def _run(
    kind: str,
    corpus: Path,
    model: str | None = None,
    extra: list[str] | None = None,
    threads: int | None = None,
    backend: str | None = None,
) -> dict:
    args = [str(Path(__file__)), "--child", kind, "--corpus", str(corpus)]
    if model:
        args += ["--model", model]
    env = {"PHOTOSEARCH_THREADS": str(threads)} if threads else {}
    env["PHOTOSEARCH_CACHE_DIR"] = str(CACHE)  # the app's per-user cache of compiled models (OpenVINO)
    if backend:  # PHOTOSEARCH_IMAGE_BACKEND; otherwise the app's default ("auto")
        env["PHOTOSEARCH_IMAGE_BACKEND"] = backend
    return run_child(args + (extra or []), env=env or None)


def reset_int8(root: Path) -> None:
    """Forget the model folder's int8 tower (file and manifest record): the next first index makes it again."""
    mpath = root / "manifest.json"
    m = json.loads(mpath.read_text())
    (m.get("extra") or {}).pop("variants", None)
    for name in [n for n in m.get("files", {}) if n.endswith(".int8.onnx")]:
        m["files"].pop(name)
        (root / name).unlink(missing_ok=True)
    mpath.write_text(json.dumps(m, indent=2) + "\n")


def child_quality(model: str, corpus: Path) -> dict:
    """What the default path stores (fast decode + the variant this machine runs) against exact fp32 (full
    decode, the published graph on ONNX Runtime), over the whole corpus: each photo's 10 nearest neighbours,
    and the top 10 of everyday text queries — plus the int8 tower alone on the same fast-decoded pixels."""
    from photosearch.models.encoders import ModelRuntime, RuntimeSettings
    from photosearch.models.manifest import load_package
    from photosearch.models.quantize import neighbour_overlap, query_recall
    from photosearch.models.variants import PROBE_QUERIES, int8_path, int8_record

    exact_settings = dataclasses.replace(RuntimeSettings.default(), image_backend="onnxruntime", providers=())
    rt = ModelRuntime.from_path(MODELS / model, exact_settings)
    pre = rt.preprocessor
    paths = sorted(corpus.iterdir())
    fast_t = np.stack([pre.to_tensor(pre.decode_fast(p, min_short_side=320).image) for p in paths])
    exact = np.concatenate(
        [
            rt.image.encode_tensors(np.stack([pre.exact(p) for p in paths[i : i + 16]]))
            for i in range(0, len(paths), 16)
        ]
    )
    fast32 = rt.image.encode_tensors(fast_t)
    texts = rt.text.encode(PROBE_QUERIES)
    out: dict = {"photos": len(paths), "queries": len(PROBE_QUERIES)}
    out["fast_fp32_vs_exact"] = {
        "overlap10": neighbour_overlap(exact, fast32),
        "recall10": query_recall(exact, fast32, texts),
    }
    pkg = load_package(MODELS / model, verify="none")
    q8 = int8_path(pkg)
    if q8 is not None:
        rt.image.use_variant("int8", q8.name)
        stored = rt.image.encode_tensors(fast_t)
        out["int8_fast_vs_exact_fp32"] = {
            "overlap10": neighbour_overlap(exact, stored),
            "recall10": query_recall(exact, stored, texts),
        }
        out["int8_vs_fp32_same_pixels"] = {
            "overlap10": neighbour_overlap(fast32, stored),
            "recall10": query_recall(fast32, stored, texts),
        }
        rec = int8_record(pkg)
        out["int8_record"] = rec.to_json() if rec else None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--child", choices=("ours", "rclip", "cosine", "quality"))
    ap.add_argument("--corpus", type=Path, default=CORPUS / "jpeg")
    ap.add_argument("--model", default=M256)
    ap.add_argument("--int8-model", default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--decode-threads", type=int, default=None)
    ap.add_argument(
        "--keep-int8", action="store_true", help="don't make the int8 tower again in the first run"
    )
    ap.add_argument("--no-openvino", action="store_true", help="skip the OpenVINO bf16 row")
    args = ap.parse_args(argv)
    if args.child == "ours":
        print(json.dumps(child_ours(args.model, args.corpus, args.batch, args.decode_threads)))
        return 0
    if args.child == "rclip":
        print(json.dumps(child_rclip(args.corpus)))
        return 0
    if args.child == "cosine":
        print(json.dumps(child_cosine(args.model, args.corpus, args.int8_model)))
        return 0
    if args.child == "quality":
        print(json.dumps(child_quality(args.model, args.corpus)))
        return 0

    from _common import cpu_header

    jpeg = args.corpus
    require_inputs(jpeg, MODELS / args.model, RCLIP_DATA)
    OUT.mkdir(parents=True, exist_ok=True)
    print(cpu_header(), flush=True)
    t_start = time.perf_counter()
    if not args.keep_int8:
        reset_int8(MODELS / args.model)
    # the first index of a library with a model on this machine makes the int8 tower (once per model)
    first = _run("ours", jpeg, args.model)
    first["load_avg"] = load_avg()
    first["made_int8"] = not args.keep_int8
    made = "includes making the int8 tower, once" if first["made_int8"] else "the int8 tower was already made"
    print(
        f"[first index] ours_default {first['photos_per_s']:6.2f} photos/s ({first['photos']} photos in "
        f"{first['seconds']:.1f} s, path: {first.get('image_backend')}; {made})",
        flush=True,
    )
    rows = {
        "rclip_fp32": lambda: _run("rclip", jpeg),
        "ours_default": lambda: _run("ours", jpeg, args.model),
        "ours_fp32_onnxruntime": lambda: _run("ours", jpeg, args.model, backend="onnxruntime"),
    }
    if not args.no_openvino:
        rows["ours_bf16_openvino"] = lambda: _run("ours", jpeg, args.model, backend="openvino")
    runs: dict[str, list[dict]] = {name: [] for name in rows}
    for r in range(args.repeats):
        for name, fn in rows.items():
            res = fn()
            res["load_avg"] = load_avg()
            runs[name].append(res)
            print(
                f"[{r + 1}/{args.repeats}] {name:22} {res['photos_per_s']:6.2f} photos/s "
                f"({res['photos']} photos in {res['seconds']:.1f} s, encoded {res['encoded']}, "
                f"path: {res.get('image_backend') or 'rclip 3.3.0 (ONNX Runtime fp32, full decode)'}, "
                f"peak RSS {res['max_rss_mb']:.0f} MB, load {res['load_avg']:.1f})",
                flush=True,
            )
    summary: dict = {name: stats([x["photos_per_s"] for x in rs]) for name, rs in runs.items()}
    for name in runs:
        if name == "rclip_fp32":
            continue
        ratios = [
            o["photos_per_s"] / b["photos_per_s"] for o, b in zip(runs[name], runs["rclip_fp32"], strict=True)
        ]
        summary[f"ratio_{name}"] = stats(ratios)
        summary[f"path_{name}"] = runs[name][0].get("image_backend")
    summary["first_index"] = first
    quality = run_child(
        [str(Path(__file__)), "--child", "quality", "--corpus", str(jpeg), "--model", args.model]
    )
    print("quality:", json.dumps(quality), flush=True)
    print()
    for name in runs:
        line = f"{name:22}: {fmt_spread(summary[name], ' photos/s', 2)}"
        if name != "rclip_fp32":
            line += f"  ratio {fmt_spread(summary['ratio_' + name], '×', 2)}  path: {summary['path_' + name]}"
        print(line)
    write_result(
        "bench_index",
        {
            "cpu": cpu_header(),
            "runs": runs,
            "summary": summary,
            "quality": quality,
            "suite_seconds": time.perf_counter() - t_start,
            "baseline": "rclip 3.3.0 RClip.ensure_index in process (its thread pool, "
            "full decode, preprocess, batch 8) on the same ONNX weights",
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
