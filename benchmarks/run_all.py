"""Run the whole speed suite (inputs must be built: ``python benchmarks/build_inputs.py``) and write the
table of goals, baselines, our figures and ratios into ``benchmarks/README.md`` (between the
``<!-- table -->`` markers) and ``benchmarks/_out/table.md``.

    python benchmarks/run_all.py            # ≈ 10 minutes on 2 cores
    python benchmarks/run_all.py --table    # only re-render the table from benchmarks/_out/*.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH, INPUTS, OUT, ROOT, load_avg

START, END = "<!-- table -->", "<!-- /table -->"


def _load(name: str) -> dict:
    try:
        return json.loads((OUT / f"{name}.json").read_text())
    except (OSError, ValueError):
        return {}


def _ok(flag: bool) -> str:
    return "✅" if flag else "❌"


def _cpu() -> str:
    from _common import cpu_header

    return cpu_header()


def _query_baselines(x: dict) -> tuple[str, str]:
    """The baseline cell and the ratio cell of a text-query row (rclip-style and argpartition brute force)."""
    o, b, n = x["ours_text_ms"], x["rclip_style_ms"], x["numpy_argpartition_ms"]
    return (
        f"rclip-style brute force p50 {b['p50']:.1f} ms; numpy argpartition p50 {n['p50']:.1f} ms",
        f"{b['p50'] / o['p50']:.1f}× / {n['p50'] / o['p50']:.1f}×",
    )


def _index_rows(idx: dict) -> list[tuple[str, str, str, str, str]]:
    """Indexing rows from bench_index.json: rclip fp32 beside each of our paths, with the path that ran."""
    s = idx["summary"]
    r = s["rclip_fp32"]
    q = idx.get("quality", {})
    i8 = q.get("int8_fast_vs_exact_fp32") or {}
    f32 = q.get("fast_fp32_vs_exact") or {}
    rec = q.get("int8_record") or {}
    base = f"rclip 3.3.0 fp32: {r['median']:.2f} photos/s ({r['min']:.2f}–{r['max']:.2f})"
    cpu = idx.get("cpu", "").split(";")[0]
    out = []
    labels = {
        "ours_default": "default path (`auto`)",
        "ours_fp32_onnxruntime": "fp32 forced (PHOTOSEARCH_IMAGE_BACKEND=onnxruntime)",
        "ours_bf16_openvino": "OpenVINO forced (bf16 on AVX512-BF16, no AMX)",
    }
    for name, label in labels.items():
        if name not in s:
            continue
        o, ratio = s[name], s["ratio_" + name]
        ours = f"{o['median']:.2f} photos/s ({o['min']:.2f}–{o['max']:.2f}); path: {s['path_' + name]}"
        if name == "ours_default" and i8:
            ours += (
                f"; stored vs exact fp32 over {q.get('photos')} photos: 10-NN overlap {i8['overlap10']:.3f}, "
                f"text recall@10 {i8['recall10']:.3f} ({q.get('queries')} queries); the int8 tower's own check "
                f"when it was made (int8 vs fp32 on the same pixels, {rec.get('judged_photos')} photos): "
                f"{rec.get('neighbour_overlap_10')} / {rec.get('text_recall_10')}"
            )
            first = s.get("first_index") or {}
            if first and first.get("made_int8", True):
                ours += (
                    f"; first index, making the int8 tower once: {first['photos_per_s']:.2f} photos/s, "
                    f"peak RSS {first['max_rss_mb']:.0f} MB"
                )
        elif name == "ours_fp32_onnxruntime" and f32:
            ours += f"; fast decode vs exact: overlap {f32['overlap10']:.3f}, recall {f32['recall10']:.3f}"
        out.append(
            (
                f"1. Indexing 200 × 12 MP JPEG, same ViT-B-32-256, {cpu}: {label}",
                base,
                ours,
                f"{ratio['median']:.2f}× (pairs {ratio['min']:.2f}–{ratio['max']:.2f})",
                _ok(ratio["median"] >= 3.0) if name == "ours_default" else "report",
            )
        )
    return out


def _more_rows() -> list[tuple[str, str, str, str, str]]:
    """HEIC (bench_heic), cold query at 10k (bench_coldstart --n 10000), peak RSS (bench_decode_memory)."""
    rows = []
    heic = _load("bench_heic")
    if heic:
        s, q = heic["summary"], heic["quality"]
        path = heic["runs"]["ours_default"][0].get("image_backend")
        rows.append(
            (
                "HEIC iPhone-like (512 px HEVC tiles, 320×240 thumbnail, orientation 6): ≥ 5 photos/s",
                f"rclip 3.3.0 fp32: {s['rclip_fp32']['median']:.2f} photos/s",
                f"{s['ours_default']['median']:.2f} photos/s ({s['ours_default']['min']:.2f}–"
                f"{s['ours_default']['max']:.2f}); path: thumbnail decode ({q['thumbnail_used']}/{q['photos']}), "
                f"{path}; thumbnail vs full decode: 10-NN overlap {q['overlap10']:.3f}, text recall@10 "
                f"{q['recall10']:.3f}; decode {q['decode_s_per_photo_thumbnail'] * 1000:.0f} ms vs "
                f"{q['decode_s_per_photo_full'] * 1000:.0f} ms a photo",
                f"{heic['ratio']['median']:.1f}×",
                _ok(s["ours_default"]["median"] >= 5.0),
            )
        )
    cold = _load("bench_coldstart_10k")
    if cold:
        o, rc = cold["ours_s"], cold.get("rclip_s")
        rows.append(
            (
                "Cold query at 10k: ≤ 1.0 s and ≤ `rclip -n`",
                f"`rclip -n`: {rc['median']:.2f} s ({rc['min']:.2f}–{rc['max']:.2f})" if rc else "not run",
                f"{o['median']:.2f} s ({o['min']:.2f}–{o['max']:.2f}); first search after building: "
                f"{cold.get('first_search_s', float('nan')):.2f} s",
                f"{cold['ratio']:.2f}×" if rc else "",
                _ok(o["median"] <= 1.0 and (not rc or o["median"] <= rc["median"])),
            )
        )
    mem = _load("decode_memory")
    if mem:
        sets = [k for k in ("png16", "tiff", "jpeg", "all") if k in mem]
        rows.append(
            (
                f"Peak RSS of `photosearch index` ({mem.get('model', 'shapes model')}): ≤ 1 GB",
                "",
                "; ".join(f"{k} {mem[k]['peak_rss_mb']} MB" for k in sets)
                + (f" ({mem['note']})" if mem.get("note") else ""),
                "",
                _ok(all(mem[k]["peak_rss_mb"] <= 1024 for k in sets)),
            )
        )
    return rows


def render_table() -> str:
    idx, qry, cold, mem = (
        _load("bench_index"),
        _load("bench_query"),
        _load("bench_coldstart"),
        _load("bench_memory"),
    )
    rows: list[tuple[str, str, str, str, str]] = []
    if idx and "ours_default" in idx.get("summary", {}):
        rows += _index_rows(idx)
    rows += _more_rows()
    rows += [
        (f"1. Indexing on {kind}: ≥ 3× rclip", "", "not measured (no such machine here)", "", "—")
        for kind in ("an AVX2-only CPU", "ARM (NEON)", "a GPU (CUDA / DirectML / CoreML)")
    ]
    res = qry.get("results", {})
    if "100k" in res:
        x = res["100k"]
        o = x["ours_text_ms"]
        base, ratio_txt = _query_baselines(x)
        rows.append(
            (
                "3. Text query at 100k: p50 ≤ 30 ms, p99 ≤ 60 ms",
                base,
                f"p50 {o['p50']:.1f} ms, p99 {o['p99']:.1f} ms (n={o['n']}; text encode p50 "
                f"{x['text_encode_ms']['p50']:.1f} ms)",
                ratio_txt,
                _ok(o["p50"] <= 30 and o["p99"] <= 60),
            )
        )
        rows.append(
            (
                "3b. Recall@10 vs exact ≥ 0.98 (100k)",
                "exact: 1.0",
                f"offset queries {x['recall10_offset_queries']:.4f} (ANN alone "
                f"{x['ann_only_recall10_offset_queries']:.4f}); text queries {x['recall10_text_queries']:.4f}",
                "",
                _ok(x["recall10_offset_queries"] >= 0.98),
            )
        )
    if "1m" in res:
        x = res["1m"]
        o = x["ours_text_ms"]
        base, ratio_txt = _query_baselines(x)
        rows.append(
            (
                "3c. Text query at 1M: p50 ≤ 50 ms",
                base,
                f"p50 {o['p50']:.1f} ms, p99 {o['p99']:.1f} ms; Recall@10 {x['recall10_offset_queries']:.4f}",
                ratio_txt,
                _ok(o["p50"] <= 50),
            )
        )
    if cold:
        o = cold["ours_s"]
        rc = cold.get("rclip_s")
        rows.append(
            (
                "4. Cold start `photosearch search` at 100k ≤ 1.5 s",
                f"rclip 3.3.0 `rclip -n`: {rc['median']:.2f} s ({rc['min']:.2f}–{rc['max']:.2f})"
                if rc
                else "rclip not run",
                f"{o['median']:.2f} s ({o['min']:.2f}–{o['max']:.2f})",
                f"{cold['ratio']:.1f}×" if rc else "",
                _ok(o["median"] <= 1.5),
            )
        )
    if mem:
        by = {(r["task"], r["model"]): r["max_rss_mb"] for r in mem["rows"]}
        q8 = "vit-b-32-256-random-int8"
        f32 = "vit-b-32-256-random"
        rows.append(
            (
                "5. Peak RSS at 100k, int8: ≤ 700 MB",
                "",
                f"int8: indexing {by.get(('index', q8), float('nan')):.0f} MB, searching "
                f"{by.get(('search', q8), float('nan')):.0f} MB; fp32: indexing {by.get(('index', f32), float('nan')):.0f} MB, "
                f"searching {by.get(('search', f32), float('nan')):.0f} MB",
                "",
                _ok(max(by.get(("index", q8), 1e9), by.get(("search", q8), 1e9)) <= 700),
            )
        )
    lines = [
        idx.get("cpu") or _cpu(),
        "",
        "| goal | baseline | ours | ratio | met |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    when = idx.get("when") or qry.get("when") or ""
    loads = ", ".join(
        f"{n} {d.get('load_avg_1min_at_end', float('nan')):.1f}"
        for n, d in (("index", idx), ("query", qry), ("coldstart", cold), ("memory", mem))
        if d
    )
    lines.append("")
    lines.append(
        f"Measured {when} on {idx.get('cpus', '?')} CPUs; 1-minute load average at the end of each "
        f"benchmark: {loads} (the machine was shared; see the ranges)."
    )
    times = {}
    try:
        times = json.loads((INPUTS / "build_times.json").read_text())
    except (OSError, ValueError):
        pass
    if times:
        lines.append(
            "Input build times (cached step, `build_inputs.py`): "
            + ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
            + "."
        )
    return "\n".join(lines) + "\n"


def write_table() -> str:
    table = render_table()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "table.md").write_text(table)
    readme = BENCH / "README.md"
    if readme.exists():
        text = readme.read_text()
        if START in text and END in text:
            head, rest = text.split(START, 1)
            _, tail = rest.split(END, 1)
            readme.write_text(head + START + "\n" + table + END + tail)
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--table", action="store_true", help="only re-render the table")
    ap.add_argument("--skip", nargs="*", default=[], choices=("index", "query", "coldstart", "memory"))
    args = ap.parse_args(argv)
    if not args.table:
        print(_cpu(), flush=True)
        t0 = time.perf_counter()
        steps = [
            ("index", ["bench_index.py", "--repeats", "2"]),
            ("query", ["bench_query.py"]),
            ("coldstart", ["bench_coldstart.py", "--repeats", "5"]),
            ("memory", ["bench_memory.py"]),
        ]
        for name, cmd in steps:
            if name in args.skip:
                continue
            t1 = time.perf_counter()
            print(f"== {name} (load {load_avg():.1f})", flush=True)
            subprocess.run([sys.executable, str(BENCH / cmd[0]), *cmd[1:]], cwd=str(ROOT), check=True)
            print(f"== {name}: {time.perf_counter() - t1:.0f} s", flush=True)
        print(f"suite: {time.perf_counter() - t0:.0f} s")
    print(write_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
