"""Cold start: ``photosearch search "…"`` as a fresh process (no resident helper) at 100k photos, wall
time, side by side with rclip 3.3.0's CLI (``rclip -n "…"``, offline, on the same 100k vectors and the
same ONNX text model), alternating, distinct queries each run.

    python benchmarks/bench_coldstart.py [--repeats 5] [--importtime]
    python benchmarks/bench_coldstart.py --composed [--photos 60] [--repeats 5] [--library DIR] [--model DIR]
        [--against CHECKOUT]

``--importtime`` also prints the slowest imports of one ``photosearch search`` run (``python -X importtime``).

``--composed``: what a composed query ("this photo, but …") costs cold, beside its two halves, each a fresh
``photosearch search`` process on a small real library: ``"at night"`` (text), ``--image X`` (the photo
alone) and ``--image X "at night"`` (composed), with X a photo of the library (the usual "this one, but …"
from a result) and X a photo outside it, alternating in rounds. The library: ``--photos`` 12 MP JPEGs of the
benchmark corpus indexed (``photosearch index --no-text``) with the benchmark-size random-weight ViT-B-32-256
export (``benchmarks/_inputs/models/vit-b-32-256-random``, built by build_inputs.py; linked in, as
bench_index.py does; its int8 image tower already made there), in a temporary folder — or in ``--library
DIR``, built once and reused by later runs (to compare two versions of the code on the same library).
``--against CHECKOUT`` (another checkout of the code, e.g. ``git worktree add /tmp/before <commit>``) times
each case with that code too, back to back with this one in every round (which goes first alternates), on the
same library: a before/after under the same load. The library's queries encode their photos with the tower
that embedded it (``image_variant`` in its catalog: int8 when made on this CPU), which is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    CORPUS,
    INPUTS,
    MODELS,
    ROOT,
    load_avg,
    require_inputs,
    stats,
    synthetic_root,
    write_result,
)

LIB = INPUTS / "lib100k"
VIT = "vit-b-32-256-random"
CHANGE = "at night"  # the composed query's change (and the text query beside it)


def _search(data: Path, *args: str) -> list[str]:
    """A fresh ``photosearch search`` on the library in ``data``."""
    return [sys.executable, "-m", "photosearch", "search", "--data-dir", str(data), *args, "-k", "10"]


def _ours_cmd(query: str) -> list[str]:
    return _search(LIB, query)


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


def composed_library(lib: Path, photos: int, model: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """A small real library in ``lib`` (made unless its stamp says it was made the same way): ``photos``
    corpus JPEGs, ``model`` linked in, indexed without the text pass. Returns (a photo in it, one outside)."""
    corpus = sorted((CORPUS / "jpeg").glob("*.jpg"))
    if len(corpus) <= photos:
        raise SystemExit(f"--photos must be under the corpus's {len(corpus)} photos")
    inside, outside = lib / "photos" / corpus[photos // 2].name, corpus[-1]
    stamp = {"photos": photos, "model": str(model.resolve()), "v": 1}
    if (lib / ".stamp").is_file() and json.loads((lib / ".stamp").read_text()) == stamp:
        print(f"library {lib}: made before, reused", flush=True)
        return inside, outside
    shutil.rmtree(lib, ignore_errors=True)
    (lib / "photos").mkdir(parents=True)
    (lib / "data" / "models").mkdir(parents=True)
    for p in corpus[:photos]:
        try:
            os.link(p, lib / "photos" / p.name)
        except OSError:  # another file system
            shutil.copy2(p, lib / "photos" / p.name)
    (lib / "data" / "models" / model.name).symlink_to(model.resolve(), target_is_directory=True)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "photosearch", "--data-dir", str(lib / "data"), "index", "--no-text", "-q"]
    p = subprocess.run([*cmd, "--add", str(lib / "photos")], env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"indexing the library failed: {p.stderr[-2000:]}")
    print(
        f"library {lib}: {photos} photos indexed with {model.name} in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    (lib / ".stamp").write_text(json.dumps(stamp))
    return inside, outside


def _variant(data: Path, model_id: str) -> str:
    """What embedded the library's photos (its catalog's ``image_variant:<model>``; "not recorded" before)."""
    import sqlite3

    con = sqlite3.connect(f"file:{data / 'catalog.sqlite3'}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = ?", (f"image_variant:{model_id}",)).fetchone()
    finally:
        con.close()
    return str(row[0]) if row else "not recorded"


def composed(args: argparse.Namespace, env: dict[str, str]) -> int:
    """``--composed`` (see the module docstring)."""
    model = Path(args.model) if args.model else MODELS / VIT
    require_inputs(model / "manifest.json", CORPUS / ".stamp")
    lib = Path(args.library) if args.library else Path(tempfile.mkdtemp(prefix="bench-composed-")) / "lib"
    tmp = None if args.library else lib.parent
    try:
        inside, outside = composed_library(lib, args.photos, model, env)
        data = lib / "data"
        print(f"library embedded with: {_variant(data, model.name)} image tower", flush=True)

        def cases_in(data: Path) -> dict[str, list[str]]:
            return {
                "text": _search(data, CHANGE),
                "image (library photo)": _search(data, "--image", str(inside)),
                "composed (library photo)": _search(data, "--image", str(inside), CHANGE),
                "image (outside photo)": _search(data, "--image", str(outside)),
                "composed (outside photo)": _search(data, "--image", str(outside), CHANGE),
            }

        trees = {"this": (ROOT, env)}
        cases = {"this": cases_in(data)}
        if args.against:
            other = Path(args.against).resolve()
            trees["against"] = (other, dict(env, PYTHONPATH=str(other)))
            # the other code gets its own copy of the library, made before this code first opens it: a newer
            # catalog schema (migrated at this code's first open) is refused by older code
            theirs = lib / "data-against"
            if not theirs.exists():
                shutil.copytree(data, theirs, symlinks=True)
            cases["against"] = cases_in(theirs)
            print(f"this code: {ROOT}; against: {other} (each case back to back, alternating)", flush=True)
        for name in cases["this"]:  # once each, untimed: files in the page cache, first-search caches stored
            for tree, (cwd, tenv) in trees.items():
                _time(cases[tree][name], cwd, tenv)
        print(f"reference photos: {inside} (in the library), {outside} (outside it)", flush=True)
        times: dict[str, list[float]] = {name: [] for name in cases["this"]}
        against: dict[str, list[float]] = {name: [] for name in cases["this"]}
        names = list(cases["this"])
        for i in range(args.repeats):  # each round in another order: a drift in load hits every case
            row = []
            for name in names[i % len(names) :] + names[: i % len(names)]:
                order = list(trees) if i % 2 == 0 else list(reversed(trees))
                for tree in order:
                    cwd, tenv = trees[tree]
                    dt, out = _time(cases[tree][name], cwd, tenv)
                    if not out.strip():
                        raise RuntimeError(f"{name}: no results ({tree})")
                    (times if tree == "this" else against)[name].append(dt)
                row.append(
                    f"{name} {times[name][-1]:.2f}" + (f"/{against[name][-1]:.2f}" if args.against else "")
                )
            print(f"[{i + 1}/{args.repeats}] " + " | ".join(row) + f" s | load {load_avg():.1f}", flush=True)
        summary = {name: stats(v) for name, v in times.items()}
        print(f"fresh 'photosearch search' processes, {args.photos} photos, {model.name}; median (range), s:")
        for name, st in summary.items():
            line = f"  {name:26s} {st['median']:.2f} ({st['min']:.2f}–{st['max']:.2f})"
            if args.against:
                a = stats(against[name])
                pairs = [
                    t - b for t, b in zip(times[name], against[name], strict=True)
                ]  # same round, back to back
                line += (
                    f"   against: {a['median']:.2f} ({a['min']:.2f}–{a['max']:.2f}); paired difference median "
                    f"{stats(pairs)['median']:+.2f} s, this faster in {sum(d < 0 for d in pairs)}/{len(pairs)} rounds"
                )
            print(line)
        extra = {}
        text = summary["text"]["median"]
        for where in ("library photo", "outside photo"):
            c, im = summary[f"composed ({where})"]["median"], summary[f"image ({where})"]["median"]
            extra[where] = {"composed_minus_text_s": c - text, "composed_minus_image_s": c - im}
            print(f"  composed ({where}) − text: {c - text:+.2f} s; − image alone: {c - im:+.2f} s")
        result = {
            "photos": args.photos,
            "model": model.name,
            "runs": times,
            "summary": summary,
            "extra": extra,
        }
        if args.against:
            result["against"] = {"code": str(Path(args.against).resolve()), "runs": against}
        write_result("bench_coldstart_composed", result)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    from build_inputs import query_strings

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--importtime", action="store_true")
    ap.add_argument("--no-rclip", action="store_true")
    ap.add_argument("--n", type=int, default=100_000, help="library size (lib<n/1000>k, rclip<n/1000>k)")
    ap.add_argument("--composed", action="store_true", help="a composed query against its halves (see above)")
    ap.add_argument("--photos", type=int, default=60, help="with --composed: the library's photos")
    ap.add_argument("--library", help="with --composed: build the library here once, reuse it after")
    ap.add_argument("--model", help=f"with --composed: the model folder (default _inputs/models/{VIT})")
    ap.add_argument(
        "--against", help="with --composed: another checkout of the code, timed alternately (see above)"
    )
    args = ap.parse_args(argv)
    global LIB
    from _common import cpu_header

    print(cpu_header(), flush=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PHOTOSEARCH_DATA_DIR", None)
    # as installed: pip compiles the bytecode of both packages at install; with PYTHONDONTWRITEBYTECODE (set
    # in some shells here) every fresh process compiled our ~80 modules from source (~0.1 s), rclip's not
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.composed:
        return composed(args, env)
    LIB = INPUTS / f"lib{args.n // 1000}k"
    rlib = INPUTS / f"rclip{args.n // 1000}k"
    require_inputs(LIB / ".stamp")
    synthetic_root(LIB)
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
