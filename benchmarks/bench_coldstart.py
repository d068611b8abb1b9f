"""Cold start: ``photosearch search "…"`` as a fresh process (no resident helper) at 100k photos, wall
time, side by side with rclip 3.3.0's CLI (``rclip -n "…"``, offline, on the same 100k vectors and the
same ONNX text model), alternating, distinct queries each run.

    python benchmarks/bench_coldstart.py [--repeats 5] [--importtime]

``--importtime`` also prints the slowest imports of one ``photosearch search`` run (``python -X importtime``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import INPUTS, ROOT, load_avg, require_inputs, stats, write_result

LIB = INPUTS / "lib100k"


def _ours_cmd(query: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "photosearch",
        "search",
        "--data-dir",
        str(LIB),
        query,
        "-k",
        "10",
    ]


def _rclip_cmd(query: str) -> list[str]:
    exe = shutil.which("rclip")
    base = [exe] if exe else [sys.executable, "-m", "rclip"]
    return [*base, "-n", "-t", "10", "-f", query]


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed: {p.stderr[-2000:]}")
    return dt, p.stdout


def importtime(query: str, env: dict[str, str]) -> list[tuple[float, str]]:
    cmd = [sys.executable, "-X", "importtime", *_ours_cmd(query)[1:]]
    p = subprocess.run(cmd, cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300)
    rows = []
    for line in p.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(3)) <= 2:  # top-level imports only
            rows.append((int(m.group(2)) / 1000.0, m.group(4)))
    return sorted(rows, reverse=True)[:12]


def main(argv: list[str] | None = None) -> int:
    from build_inputs import query_strings

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--importtime", action="store_true")
    ap.add_argument("--no-rclip", action="store_true")
    ap.add_argument("--n", type=int, default=100_000, help="library size (lib<n/1000>k, rclip<n/1000>k)")
    args = ap.parse_args(argv)
    global LIB
    from _common import cpu_header

    print(cpu_header(), flush=True)
    LIB = INPUTS / f"lib{args.n // 1000}k"
    rlib = INPUTS / f"rclip{args.n // 1000}k"
    require_inputs(LIB / ".stamp")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PHOTOSEARCH_DATA_DIR", None)
    # as installed: pip compiles the bytecode of both packages at install; with PYTHONDONTWRITEBYTECODE (set
    # in some shells here) every fresh process compiled our ~80 modules from source (~0.1 s), rclip's not
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    renv = dict(env, RCLIP_DATADIR=str(rlib))
    queries = query_strings(2 * args.repeats + 2, seed=4242)
    # one run of each first: the page cache holds the files afterwards (a warm disk, cold process). Ours is
    # timed: the first search after indexing (it also stores the relevance line's caption embeddings)
    first, _ = _time(_ours_cmd(queries[-1]), ROOT, env)
    print(f"first photosearch search after building the library: {first:.2f} s", flush=True)
    do_rclip = not args.no_rclip and (rlib / ".stamp").exists()
    if do_rclip:
        _time(_rclip_cmd(queries[-2]), rlib / "photos", renv)
    ours, theirs = [], []
    for i in range(args.repeats):
        dt, out = _time(_ours_cmd(queries[2 * i]), ROOT, env)
        ours.append(dt)
        msg = f"[{i + 1}/{args.repeats}] photosearch search {dt:.2f} s"
        if do_rclip:
            dt2, out2 = _time(_rclip_cmd(queries[2 * i + 1]), rlib / "photos", renv)
            theirs.append(dt2)
            msg += f" | rclip -n {dt2:.2f} s ({len(out2.splitlines())} lines)"
        print(msg + f" | load {load_avg():.1f}", flush=True)
    s_ours = stats(ours)
    result = {"ours_s": s_ours, "ours_runs": ours, "photos": args.n, "first_search_s": first}
    print(
        f"photosearch search (fresh process, {args.n:,}): median {s_ours['median']:.2f} s "
        f"(range {s_ours['min']:.2f}–{s_ours['max']:.2f})"
    )
    if theirs:
        s_r = stats(theirs)
        result.update({"rclip_s": s_r, "rclip_runs": theirs, "ratio": s_r["median"] / s_ours["median"]})
        print(
            f"rclip 3.3.0 -n      (fresh process, {args.n:,}): median {s_r['median']:.2f} s "
            f"(range {s_r['min']:.2f}–{s_r['max']:.2f}); ratio {result['ratio']:.1f}×"
        )
    if args.importtime:
        top = importtime("importtime probe query", env)
        result["importtime_top_ms"] = top
        print("slowest top-level imports (ms):", ", ".join(f"{m} {t:.0f}" for t, m in top))
    write_result("bench_coldstart" if args.n == 100_000 else f"bench_coldstart_{args.n // 1000}k", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
