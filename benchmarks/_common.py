"""Shared helpers for the benchmark scripts: input locations, child processes, statistics, results."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH = ROOT / "benchmarks"
INPUTS = BENCH / "_inputs"
OUT = BENCH / "_out"
CORPUS = INPUTS / "corpus"
MODELS = INPUTS / "models"
RCLIP_DATA = INPUTS / "rclip-data"


def require_inputs(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(
            "benchmark inputs missing (run: python benchmarks/build_inputs.py):\n  " + "\n  ".join(missing)
        )


def synthetic_root(lib_dir: Path) -> Path:
    """The folder a benchmark library's made-up photos sit under: a real, empty folder inside ``_inputs``.

    Searches leave out the photos of an added folder that is not there now (``app.roots``), so a library whose
    folder does not exist would answer every query with nothing. Libraries built before that rule recorded
    ``/synthetic-library-N``, which does not exist; their folder and file paths are moved here, once, in one
    transaction (the files' ids, and so the vectors and the index, stay as they are)."""
    import sqlite3

    root = INPUTS / f"synthetic-library-{lib_dir.name}"
    root.mkdir(parents=True, exist_ok=True)
    catalog = lib_dir / "catalog.sqlite3"
    if not catalog.exists():
        return root
    conn = sqlite3.connect(catalog)
    try:
        rows = conn.execute("SELECT path FROM folders").fetchall()
        for (old,) in rows:
            if old.startswith("/synthetic-library-") and not Path(old).exists():
                with conn:
                    conn.execute("UPDATE folders SET path = ? WHERE path = ?", (str(root), old))
                    conn.execute(
                        "UPDATE files SET path = ? || substr(path, ?) WHERE substr(path, 1, ?) = ?",
                        (str(root), len(old) + 1, len(old) + 1, old + "/"),
                    )
    finally:
        conn.close()
    return root


def max_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_child(args: list[str], env: dict[str, str] | None = None, timeout: float = 900) -> dict[str, Any]:
    """Run ``python <args>`` in a fresh process; its last stdout line is a JSON result."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONPATH", str(ROOT))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=full_env, timeout=timeout, cwd=str(ROOT)
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    result = json.loads(lines[-1])
    result.setdefault("process_wall_s", wall)
    return result


def stats(values: list[float]) -> dict[str, float]:
    vals = sorted(values)
    return {
        "median": statistics.median(vals),
        "min": vals[0],
        "max": vals[-1],
        "n": len(vals),
        "rel_spread": (vals[-1] - vals[0]) / statistics.median(vals) if statistics.median(vals) else 0.0,
    }


def percentile(values: list[float], p: float) -> float:
    vals = sorted(values)
    if not vals:
        return float("nan")
    k = (len(vals) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def load_avg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def write_result(name: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    data = {
        "benchmark": name,
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "load_avg_1min_at_end": load_avg(),
        **data,
    }
    path.write_text(json.dumps(data, indent=2, default=float))
    return path


def fmt_spread(s: dict[str, float], unit: str = "", digits: int = 1) -> str:
    return f"{s['median']:.{digits}f}{unit} (range {s['min']:.{digits}f}–{s['max']:.{digits}f}, n={s['n']})"


def cpu_header() -> str:
    """The CPU model and the flags that decide the speed (AVX2, AVX-512, VNNI, BF16, AMX), for the top of every
    benchmark's output."""
    from photosearch.models.machine import MachineFacts

    f = MachineFacts.probe()
    flags = " ".join(sorted(f.flags)) or "unknown"
    return (
        f"CPU: {f.cpu_model}, {f.cores} cores; flags: {flags} ({f.isa}); ONNX Runtime providers: "
        f"{', '.join(f.providers)}; load average {load_avg():.1f}"
    )
