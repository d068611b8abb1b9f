"""The image tower alone, each way this machine can run it: ONNX Runtime fp32, the int8 tower the first index
made (ONNX Runtime), OpenVINO in f32 and in its default precision (bf16 where the CPU has AVX512-BF16 or
AMX). Batches of 16 random 256 px tensors, 2 threads, median of 6 after a warm-up; the variants alternate
within each of ``--rounds`` rounds so load changes hit them all.

    python benchmarks/bench_towers.py [--rounds 2] [--no-openvino]

This is what ``photosearch/models/machine.py`` rests on for CPUs without AMX (``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import MODELS, cpu_header, load_avg, write_result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="vit-b-32-256-random")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-openvino", action="store_true")
    a = ap.parse_args()
    import onnxruntime as ort

    print(cpu_header(), flush=True)
    root = MODELS / a.model
    x = np.random.default_rng(0).standard_normal((16, 3, 256, 256)).astype(np.float32)
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.log_severity_level = 3
    runners = {}
    for name, file in (("ort_fp32", "visual.onnx"), ("ort_int8", "visual.int8.onnx")):
        if (root / file).is_file():
            s = ort.InferenceSession(str(root / file), so, providers=["CPUExecutionProvider"])
            runners[name] = lambda s=s: s.run(None, {"pixel_values": x})
    if not a.no_openvino:
        import openvino as ov  # a benchmark's own choice; the app never imports it on this path

        core = ov.Core()
        for prec in ("f32", "bf16"):
            c = core.compile_model(
                str(root / "visual.onnx"),
                "CPU",
                {
                    "INFERENCE_NUM_THREADS": a.threads,
                    "PERFORMANCE_HINT": "LATENCY",
                    "INFERENCE_PRECISION_HINT": prec,
                },
            )
            r = c.create_infer_request()
            runners[f"openvino_{prec}"] = lambda r=r: r.infer({"pixel_values": x})
    res: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(a.rounds):
        for name, run in runners.items():
            run()
            ts = []
            for _ in range(6):
                t = time.perf_counter()
                run()
                ts.append(time.perf_counter() - t)
            res[name].append(16 / statistics.median(ts))
            print(f"{name:14} {res[name][-1]:6.1f} img/s (load {load_avg():.1f})", flush=True)
    out = {k: {"img_per_s": v, "median": statistics.median(v)} for k, v in res.items()}
    write_result("bench_towers", {"cpu": cpu_header(), "threads": a.threads, "towers": out})
    return 0


if __name__ == "__main__":
    sys.exit(main())
