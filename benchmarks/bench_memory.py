"""Peak memory (RSS) indexing and searching at 100k photos, int8 and fp32 B-32-256 image encoders.

    python benchmarks/bench_memory.py

* searching: a fresh process opens the 100k library read-only, loads the index and the text model,
  runs 20 distinct text queries; its peak RSS (``ru_maxrss``) is reported.
* indexing: a fresh process opens a copy of the 100k library for writing (the index loaded and
  brought up to date), adds the 12 MP JPEG corpus and indexes it; peak RSS reported.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPUS, INPUTS, OUT, max_rss_mb, require_inputs, run_child, synthetic_root, write_result

M256, M256Q = "vit-b-32-256-random", "vit-b-32-256-random-int8"
GOAL_MB = 700


def child_search(model: str) -> dict:
    from build_inputs import query_strings

    from photosearch.app.search import open_engine
    from photosearch.config import Paths
    from photosearch.library.library import Library

    lib = Library(Paths.resolve(INPUTS / "lib100k"))
    eng = open_engine(lib, model)
    for q in query_strings(20, seed=99):
        eng.search_text(q, 20)
    return {"task": "search", "model": model, "max_rss_mb": max_rss_mb(), "photos": eng.index.stored}


def child_index(model: str, corpus: Path) -> dict:
    from photosearch.config import Paths
    from photosearch.indexing.pipeline import Indexer
    from photosearch.library.library import Library

    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-mem-", dir=OUT))
    try:
        src = INPUTS / "lib100k"
        shutil.copytree(src, tmp / "lib", symlinks=True, ignore=shutil.ignore_patterns(".stamp", "*.lock"))
        paths = Paths.resolve(tmp / "lib")
        with Library(paths, write=True, purpose="bench") as lib:
            lib.set_active_model(model)
            lib.add_folder(corpus)
            last = None
            for p in Indexer(lib).run():
                last = p
            assert last is not None and last.phase == "done"
            stored = lib.vector_index(model).stored
        return {
            "task": "index",
            "model": model,
            "max_rss_mb": max_rss_mb(),
            "encoded": last.encoded,
            "photos_after": stored,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--child", choices=("search", "index"))
    ap.add_argument("--model", default=M256Q)
    ap.add_argument("--corpus", type=Path, default=CORPUS / "jpeg")
    args = ap.parse_args(argv)
    if args.child == "search":
        print(json.dumps(child_search(args.model)))
        return 0
    if args.child == "index":
        print(json.dumps(child_index(args.model, args.corpus)))
        return 0
    require_inputs(INPUTS / "lib100k" / ".stamp", CORPUS / "jpeg")
    synthetic_root(INPUTS / "lib100k")
    rows = []
    for task in ("search", "index"):
        for model in (M256Q, M256):
            r = run_child([str(Path(__file__)), "--child", task, "--model", model])
            rows.append(r)
            flag = (
                ""
                if model != M256Q
                else ("  (goal ≤ 700 MB: " + ("met" if r["max_rss_mb"] <= GOAL_MB else "MISSED") + ")")
            )
            print(f"{task:6} {model:26} peak RSS {r['max_rss_mb']:7.0f} MB{flag}", flush=True)
    write_result("bench_memory", {"rows": rows, "goal_mb": GOAL_MB})
    return 0


if __name__ == "__main__":
    sys.exit(main())
