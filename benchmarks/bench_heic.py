"""HEIC indexing, iPhone-like files (``build_heic.py``: 4032×3024 as a grid of 512 px HEVC tiles, a 320×240
embedded thumbnail, EXIF orientation 6): photos/s of ``photosearch index`` (the default path) beside rclip
3.3.0 on the same ViT-B-32-256, alternating; and what the thumbnail path costs in retrieval quality: each
photo's 10 nearest neighbours and the top 10 of everyday text queries, thumbnail decode vs full decode (both
fp32 on ONNX Runtime).

    python benchmarks/bench_heic.py [--repeats 2] [--n 40]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MODELS, cpu_header, fmt_spread, load_avg, run_child, stats, write_result

GOAL = 5.0


def child_overlap(model: str, corpus: Path) -> dict:
    import dataclasses

    from photosearch.models.encoders import ModelRuntime, RuntimeSettings
    from photosearch.models.quantize import neighbour_overlap, query_recall
    from photosearch.models.variants import PROBE_QUERIES

    settings = dataclasses.replace(RuntimeSettings.default(), image_backend="onnxruntime", providers=())
    rt = ModelRuntime.from_path(MODELS / model, settings)
    pre = rt.preprocessor
    paths = sorted(corpus.glob("*.HEIC"))
    t0 = time.perf_counter()
    fast = [pre.decode_fast(p) for p in paths]
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact = [pre.decode_exact(p) for p in paths]
    t_exact = time.perf_counter() - t0
    ef = rt.image.encode_tensors(np.stack([pre.to_tensor(d.image) for d in fast]))
    ee = rt.image.encode_tensors(np.stack([pre.to_tensor(d.image) for d in exact]))
    texts = rt.text.encode(PROBE_QUERIES)
    return {
        "photos": len(paths),
        "thumbnail_used": sum(d.reduced for d in fast),
        "decoded_sizes": sorted({d.image.size for d in fast}),
        "upright_sizes": sorted({(d.width, d.height) for d in fast}),
        "decode_s_per_photo_thumbnail": t_fast / len(paths),
        "decode_s_per_photo_full": t_exact / len(paths),
        "overlap10": neighbour_overlap(ee, ef),
        "recall10": query_recall(ee, ef, texts),
        "cosine_min": float(np.sum(ef * ee, axis=1).min()),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--model", default="vit-b-32-256-random")
    ap.add_argument("--child", choices=("overlap",))
    ap.add_argument("--corpus", type=Path)
    a = ap.parse_args()
    if a.child == "overlap":
        print(json.dumps(child_overlap(a.model, a.corpus), default=list))
        return 0
    from build_heic import build

    print(cpu_header(), flush=True)
    corpus = build(a.n)
    bench = str(Path(__file__).resolve().parent / "bench_index.py")
    runs: dict[str, list[dict]] = {"rclip_fp32": [], "ours_default": []}
    for r in range(a.repeats):
        for name, args in (
            ("rclip_fp32", [bench, "--child", "rclip", "--corpus", str(corpus)]),
            ("ours_default", [bench, "--child", "ours", "--corpus", str(corpus), "--model", a.model]),
        ):
            res = run_child(args)
            res["load_avg"] = load_avg()
            runs[name].append(res)
            print(
                f"[{r + 1}/{a.repeats}] {name:12} {res['photos_per_s']:6.2f} photos/s ({res['photos']} HEIC in "
                f"{res['seconds']:.1f} s, path: {res.get('image_backend') or 'rclip 3.3.0 (full decode)'}, "
                f"load {res['load_avg']:.1f})",
                flush=True,
            )
    quality = run_child([__file__, "--child", "overlap", "--corpus", str(corpus), "--model", a.model])
    summary = {k: stats([x["photos_per_s"] for x in v]) for k, v in runs.items()}
    ratio = stats(
        [
            o["photos_per_s"] / b["photos_per_s"]
            for o, b in zip(runs["ours_default"], runs["rclip_fp32"], strict=True)
        ]
    )
    print("thumbnail vs full decode:", json.dumps(quality))
    print(f"rclip 3.3.0 : {fmt_spread(summary['rclip_fp32'], ' photos/s', 2)}")
    print(
        f"ours        : {fmt_spread(summary['ours_default'], ' photos/s', 2)}; ratio {fmt_spread(ratio, '×', 2)}"
    )
    write_result(
        "bench_heic",
        {
            "cpu": cpu_header(),
            "runs": runs,
            "summary": summary,
            "ratio": ratio,
            "quality": quality,
            "goal": GOAL,
        },
    )
    return 0 if summary["ours_default"]["median"] >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
