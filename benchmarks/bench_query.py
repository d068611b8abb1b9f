"""Text query latency end to end, in process (tokenise, encode, ANN, fetch rows), at 100k and 1M photos,
side by side with brute force over the same vectors (what rclip does), and ANN Recall@10 vs exact.

    python benchmarks/bench_query.py [--sizes 100k 1m] [--queries 300]

Per library size one fresh process opens the library read-only (as ``photosearch search`` does),
warms up on 5 queries, then times distinct query strings (no cache can answer them). Baselines, on the
same text encoder and the same vectors held in memory: rclip 3.3.0's search (``features @ q``, then
Python ``sorted`` over every (score, index) pair — ``rclip.model.Model.compute_similarities_to_text``)
and a best-case numpy brute force (``argpartition``). Recall@10 vs exact is measured on 500 query
vectors offset from the clusters (``vectors/queries.npy``) through ``SearchEngine.search_vector`` and on
the text queries' own vectors.

``--composed`` (issue 20): what a composed query ("this photo, but …") adds for its reference on the
benchmark-size random-weight ViT-B-32-256 (``_inputs/models``; fp32 and, when made, its int8 tower): the previous
encoding (its mirror image, one more image-tower call: ``fusion.mirrored``) against the current one (its views:
``fusion.views``, one decode and one batch of ``fusion.N_VIEWS``), on 12 MP JPEGs from ``_inputs/corpus``,
alternating old/new per photo in one process (so load changes hit both); and, for a reference not in the library,
its own encoding (``image_vector``), which both pay. Then whole queries at 10k photos (``lib10k``, built by
``build_inputs.py --only lib10k``, whose ``models/`` links lead to ``_inputs/models``), in a library opened
read-only as ``photosearch search`` opens it (``open_engine``), for each of its models (the fp32 export and the
published int8 one): per reference photo (12 MP, not in the library; a new one each query, so no views are
cached) a composed query (``search_composed``: the photo, its views, the words, ANN, exact re-scoring,
cutoff), the photo alone (``search_image``) and words alone (``search_text``), distinct words each time.

    python benchmarks/bench_query.py --composed [--queries 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    INPUTS,
    cpu_header,
    load_avg,
    percentile,
    require_inputs,
    run_child,
    synthetic_root,
    write_result,
)

SIZES = {"100k": ("lib100k", 100_000), "1m": ("lib1m", 1_000_000)}


def child(size: str, n_queries: int, k: int) -> dict:
    from build_inputs import query_strings

    from photosearch.config import Paths
    from photosearch.library.library import Library
    from photosearch.search.engine import SearchEngine
    from photosearch.store.vectors import exact_search

    libdir = INPUTS / SIZES[size][0]
    t0 = time.perf_counter()
    lib = Library(Paths.resolve(libdir))
    rt = lib.runtime()
    eng = SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))
    open_s = time.perf_counter() - t0
    texts = query_strings(n_queries + 5, seed=hash(size) % 1000 + 11)
    for t in texts[:5]:  # warm up: sessions, caches, background sample
        eng.search_text(t, k)
    texts = texts[5:]

    # ours, end to end
    lat, text_vecs = [], []
    for t in texts:
        t1 = time.perf_counter()
        resp = eng.search_text(t, k)
        lat.append((time.perf_counter() - t1) * 1000)
        assert len(resp.results) == k
    # encode-only cost (the part both sides share)
    enc = []
    for i, t in enumerate(texts[:100]):
        t1 = time.perf_counter()
        v = rt.text.encode([t + f" x{i}"])[0]
        enc.append((time.perf_counter() - t1) * 1000)
        text_vecs.append(v)

    # baselines over the same vectors, held in memory (rclip reads them from SQLite on every search)
    ids, vecs = lib.catalog.embeddings(rt.id, dim=rt.dim)
    rclip_lat, numpy_lat = [], []
    n_base = 100 if len(ids) <= 200_000 else 10  # rclip-style sorts every pair in Python: seconds at 1M
    for t in texts[: min(len(texts), n_base)]:
        t1 = time.perf_counter()
        q = rt.text.encode([t + " rclip"])[0]
        sims = q @ vecs.T
        top = sorted(zip(sims, range(vecs.shape[0]), strict=True), key=lambda s: s[0], reverse=True)[:k]
        _ = [(ids[i], s) for s, i in top]
        rclip_lat.append((time.perf_counter() - t1) * 1000)
        t1 = time.perf_counter()
        q = rt.text.encode([t + " numpy"])[0]
        exact_search(q, ids, vecs, k)
        numpy_lat.append((time.perf_counter() - t1) * 1000)

    # recall@10 vs exact
    def recall(qs: np.ndarray) -> tuple[float, float, list[float]]:
        rec, ann_rec, vec_lat = [], [], []
        ex_labels = np.concatenate(
            [exact_search(qs[i : i + 50], ids, vecs, 10)[0] for i in range(0, len(qs), 50)]
        )
        ann_labels, _ = eng.index.search(qs, 10)
        for i, q in enumerate(qs):
            t1 = time.perf_counter()
            resp = eng.search_vector(q, 10, cutoff=False)
            vec_lat.append((time.perf_counter() - t1) * 1000)
            got = {r.label for r in resp.results}
            truth = set(ex_labels[i].tolist())
            rec.append(len(got & truth) / 10)
            ann_rec.append(len(set(ann_labels[i].tolist()) & truth) / 10)
        return float(np.mean(rec)), float(np.mean(ann_rec)), vec_lat

    offset_q = np.load(INPUTS / "vectors" / "queries.npy")[:500]
    rec_off, ann_off, vec_lat = recall(offset_q)
    rec_txt, ann_txt, _ = recall(np.stack(text_vecs))

    def summ(xs: list[float]) -> dict:
        return {
            "p50": percentile(xs, 50),
            "p90": percentile(xs, 90),
            "p99": percentile(xs, 99),
            "mean": float(np.mean(xs)),
            "n": len(xs),
        }

    from photosearch.store import vectors as vmod

    return {
        "size": size,
        "photos": int(len(ids)),
        "open_s": open_s,
        "ours_text_ms": summ(lat),
        "text_encode_ms": summ(enc),
        "ours_vector_ms": summ(vec_lat),
        "rclip_style_ms": summ(rclip_lat),
        "numpy_argpartition_ms": summ(numpy_lat),
        "recall10_offset_queries": rec_off,
        "ann_only_recall10_offset_queries": ann_off,
        "recall10_text_queries": rec_txt,
        "ann_only_recall10_text_queries": ann_txt,
        "hnsw": {"M": vmod.M, "ef_construction": vmod.EF_CONSTRUCTION, "ef_search_min": vmod.EF_SEARCH_MIN},
    }


def composed_child(n_queries: int, model: str) -> dict:
    """The reference's encoding, old and new, alternating per reference photo; per image-tower variant."""
    from photosearch.models.encoders import ModelRuntime
    from photosearch.search import fusion

    rt = ModelRuntime.from_path(INPUTS / "models" / model)
    refs = sorted((INPUTS / "corpus" / "jpeg").glob("*.jpg"))
    variants = [("fp32", rt.package.manifest.vision.file)]
    int8 = rt.package.root / "visual.int8.onnx"
    if int8.exists():
        variants.append(("int8", int8.name))

    def old(ref: Path) -> float:  # the mirror image: a second tower call
        t0 = time.perf_counter()
        assert fusion.mirrored(rt.image, ref) is not None
        return (time.perf_counter() - t0) * 1000

    def new(ref: Path) -> float:  # the views: one batch of N_VIEWS
        t0 = time.perf_counter()
        assert fusion.views(rt.image, ref) is not None
        return (time.perf_counter() - t0) * 1000

    def photo(ref: Path) -> float:  # the photo itself when it is not in the library (image_vector)
        t0 = time.perf_counter()
        rt.image.encode_paths([ref], exact=True)
        return (time.perf_counter() - t0) * 1000

    out: dict = {"model": model, "views": fusion.N_VIEWS, "threads": rt.settings.intra_op_threads}
    for variant, file in variants:
        rt.image.use_variant(variant, file)
        for ref in refs[:2]:  # warm up: the session, the allocator
            old(ref), new(ref), photo(ref)
        res: dict[str, list[float]] = {"old": [], "new": [], "photo": []}
        for i in range(n_queries):
            ref = refs[(2 + i) % len(refs)]
            order = (("old", old), ("new", new)) if i % 2 == 0 else (("new", new), ("old", old))
            for name, fn in order:
                res[name].append(fn(ref))
            res["photo"].append(photo(ref))
        out[variant] = {
            name: {"p50": percentile(xs, 50), "mean": float(np.mean(xs)), "n": len(xs)}
            for name, xs in res.items()
        }
    return out


def whole_child(n_queries: int, k: int) -> dict:
    """Whole queries at 10k (``lib10k``): composed, image and text, per model of the library (see above)."""
    from build_inputs import query_strings

    from photosearch.app.search import open_engine
    from photosearch.config import Paths
    from photosearch.library.library import Library

    refs = sorted((INPUTS / "corpus" / "jpeg").glob("*.jpg"))
    n = min(n_queries, len(refs) - 2)
    texts = query_strings(2 * n + 4, seed=2020)
    out: dict = {}
    with Library(Paths.resolve(INPUTS / "lib10k")) as lib:
        for model in sorted(p.id for p in lib.installed_models()):
            eng = open_engine(lib, model)
            timed = {
                "composed": lambda i, e=eng: e.search_composed(refs[i], texts[2 * i], k),
                "image": lambda i, e=eng: e.search_image(refs[i], k),
                "text": lambda i, e=eng: e.search_text(texts[2 * i + 1], k),
            }
            for i in range(2):  # warm up: the sessions, the background sample, the allocator
                for fn in timed.values():
                    fn(i)
            res: dict[str, list[float]] = {name: [] for name in timed}
            for i in range(2, n + 2):
                for name, fn in timed.items():
                    t0 = time.perf_counter()
                    resp = fn(i)
                    res[name].append((time.perf_counter() - t0) * 1000)
                    assert len(resp.results) == k, (name, len(resp.results))
            out[model] = {
                "photos": eng.index.stored,
                "tower": f"{eng.runtime.image.variant} {eng.runtime.image.path.name} on {eng.runtime.image.backend}",
                **{
                    name: {"p50": percentile(xs, 50), "mean": float(np.mean(xs)), "n": len(xs)}
                    for name, xs in res.items()
                },
            }
            eng.runtime.image.release()
            eng.runtime.text.release()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", nargs="+", choices=sorted(SIZES), default=["100k", "1m"])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--child", choices=sorted(SIZES))
    ap.add_argument("--composed", action="store_true", help="the composed query's cost (issue 20), see above")
    ap.add_argument("--composed-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--whole-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument(
        "--model", default="vit-b-32-256-random", help="with --composed: a model in _inputs/models"
    )
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.queries, args.k)))
        return 0
    if args.composed_child:
        print(json.dumps(composed_child(args.queries, args.model)))
        return 0
    if args.whole_child:
        print(json.dumps(whole_child(args.queries, args.k)))
        return 0
    if args.composed:
        print(cpu_header())
        require_inputs(INPUTS / "models" / args.model / "manifest.json", INPUTS / "corpus")
        n = min(args.queries, 40)
        r = run_child([str(Path(__file__)), "--composed-child", "--queries", str(n), "--model", args.model])
        print(f"composed query, the reference's encoding on {args.model} ({r['threads']} threads), {n} references "
              f"(12 MP JPEGs), old and new alternating; load average {load_avg():.1f}:")  # fmt: skip
        for variant in ("fp32", "int8"):
            if variant not in r:
                continue
            o, w, ph = r[variant]["old"], r[variant]["new"], r[variant]["photo"]
            print(f"  {variant}: mirror image (old) p50 {o['p50']:.0f} ms (mean {o['mean']:.0f}); {r['views']} views "
                  f"(new) p50 {w['p50']:.0f} ms (mean {w['mean']:.0f}); ratio {w['p50'] / o['p50']:.2f}x. "
                  f"A reference not in the library also costs its own encoding, p50 {ph['p50']:.0f} ms: "
                  f"{o['p50'] + ph['p50']:.0f} -> {w['p50'] + ph['p50']:.0f} ms")  # fmt: skip
        lib10k = INPUTS / "lib10k"
        if (lib10k / ".stamp").exists():
            w = run_child([str(Path(__file__)), "--whole-child", "--queries", str(n), "--k", str(args.k)])
            r["whole_10k"] = w
            print(f"whole queries at 10k photos (lib10k, read-only, k={args.k}), a new reference photo each query; "
                  f"load average {load_avg():.1f}:")  # fmt: skip
            for model, m in w.items():
                if not isinstance(m, dict):  # run_child's process_wall_s
                    continue
                print(f"  {model} ({m['tower']}, {m['photos']:,} photos): composed p50 {m['composed']['p50']:.0f} ms "
                      f"(mean {m['composed']['mean']:.0f}); image p50 {m['image']['p50']:.0f} ms; "
                      f"text p50 {m['text']['p50']:.0f} ms (n={m['text']['n']})")  # fmt: skip
        else:
            print(
                f"no {lib10k.name} (python benchmarks/build_inputs.py --only lib10k): whole queries not timed"
            )
        write_result("bench_query_composed", r)
        return 0
    out = {}
    for size in args.sizes:
        libdir = INPUTS / SIZES[size][0]
        if not (libdir / ".stamp").exists():
            if size == "1m":
                print("1m library not built (python benchmarks/build_inputs.py --only lib1m); skipped")
                continue
            require_inputs(libdir / ".stamp")
        synthetic_root(libdir)
        r = run_child(
            [str(Path(__file__)), "--child", size, "--queries", str(args.queries), "--k", str(args.k)]
        )
        out[size] = r
        o, rc, npy = r["ours_text_ms"], r["rclip_style_ms"], r["numpy_argpartition_ms"]
        print(
            f"{size}: ours text query p50 {o['p50']:.1f} ms p99 {o['p99']:.1f} ms (n={o['n']}); "
            f"text encode p50 {r['text_encode_ms']['p50']:.1f} ms; vector-only p50 {r['ours_vector_ms']['p50']:.1f} ms"
        )
        print(
            f"      rclip-style brute force p50 {rc['p50']:.1f} ms (ratio {rc['p50'] / o['p50']:.1f}×); "
            f"numpy argpartition p50 {npy['p50']:.1f} ms (ratio {npy['p50'] / o['p50']:.1f}×)"
        )
        print(
            f"      Recall@10 vs exact: offset queries {r['recall10_offset_queries']:.4f} "
            f"(ANN alone {r['ann_only_recall10_offset_queries']:.4f}); text queries {r['recall10_text_queries']:.4f}"
        )
    write_result("bench_query", {"results": out})
    return 0


if __name__ == "__main__":
    sys.exit(main())
