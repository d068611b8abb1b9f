"""Does the text pass (OCR) slow the embedding pass? The indexing service's embedding photos/s with text
reading on vs off, on 12 MP JPEGs of the OCR corpus (half with rendered text), in two situations:

- ``batch``: a folder of N photos added at once — embedding runs first; the text pass only starts when
  there is nothing left to embed;
- ``burst``: N/2 photos, then — once the text pass is reading (on) or the service is idle (off) — N/2 more
  arrive: their embedding photos/s (arrival to last embedded) and their wait (arrival to first embedded:
  with text on, the photo being read gives way — ``TextReader.read``'s ``stop`` — and is read again later).

    python benchmarks/bench_text_pass.py [--photos 40] [--repeats 2]
    python benchmarks/bench_text_pass.py --throughput [--photos 40] [--repeats 2]

``--throughput``: the text pass's own photos/s inside the indexing service (what ``photosearch index``
runs: draft decode, detection, recognition, one catalog transaction per photo), on N photos without text and
N with text, each in a library of its own: from the moment the last photo is embedded (the pass starts
then) to the moment the catalog counts every photo's text as read.

The embedding model is the small shapes test model (tests/fixtures/shapes-model), so the figures are
dominated by decoding; runs alternate off/on so load changes hit both. The machine may be shared: the
load average is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _common import cpu_header  # noqa: E402

from photosearch.config import Paths  # noqa: E402
from photosearch.indexing.service import IndexingService  # noqa: E402
from photosearch.library.library import Library  # noqa: E402
from photosearch.models.install import install_package_dir  # noqa: E402
from photosearch.progress import Progress, ProgressPhase  # noqa: E402

CORPUS = REPO / "benchmarks" / "_inputs" / "ocr-corpus"
MODEL = REPO / "tests" / "fixtures" / "shapes-model"


def _photos(n: int) -> list[Path]:
    text = sorted(CORPUS.glob("text_*.jpg"))[: n // 2]
    plain = sorted(CORPUS.glob("plain_*.jpg"))[: n - len(text)]
    out = [p for pair in zip(text, plain, strict=False) for p in pair]
    if len(out) < n:
        raise SystemExit(
            f"the OCR corpus has too few photos under {CORPUS} (run benchmarks/bench_ocr.py once)"
        )
    return out


def _wait(pred, timeout: float = 1800) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.01)


def run(photos: list[Path], read_text: bool, burst: bool) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-text-"))
    try:
        folder = tmp / "photos"
        folder.mkdir()
        first = photos[: len(photos) // 2] if burst else photos
        second = photos[len(photos) // 2 :] if burst else []
        for p in first:
            os.link(p, folder / p.name) if _same_fs(p, folder) else shutil.copy(p, folder / p.name)
        paths = Paths.resolve(tmp / "data")
        paths.ensure()
        text_started = [False]

        def on_progress(p: Progress) -> None:
            if p.stage is ProgressPhase.READING_TEXT:
                text_started[0] = True

        with Library(paths, write=True, purpose="bench") as lib:
            pkg = install_package_dir(MODEL, paths.models_dir)
            lib.set_active_model(pkg.id)
            lib.add_folder(folder)
            svc = IndexingService(lib, watch=False, on_progress=on_progress, read_text=read_text)

            def indexed() -> int:
                return lib.catalog.counts_by_status().get("indexed", 0)

            t0 = time.monotonic()
            svc.start()
            try:
                _wait(lambda: indexed() >= len(first))
                t1 = time.monotonic()
                out = {"embed_photos_per_s": len(first) / (t1 - t0)}
                if burst:
                    _wait(lambda: text_started[0] if read_text else svc.idle)
                    for p in second:
                        shutil.copy(p, folder / p.name)
                    t2 = time.monotonic()
                    svc.request_scan()
                    _wait(lambda: indexed() > len(first), 600)
                    t3 = time.monotonic()
                    _wait(lambda: indexed() >= len(photos))
                    t4 = time.monotonic()
                    out = {
                        "burst_wait_s": t3 - t2,
                        "burst_embed_photos_per_s": len(second) / (t4 - t2),
                    }
            finally:
                svc.stop(60)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def text_throughput(photos: list[Path]) -> float:
    """Photos/s of the service's text pass over ``photos`` (see the module docstring)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-text-"))
    try:
        folder = tmp / "photos"
        folder.mkdir()
        for p in photos:
            os.link(p, folder / p.name) if _same_fs(p, folder) else shutil.copy(p, folder / p.name)
        paths = Paths.resolve(tmp / "data")
        paths.ensure()
        with Library(paths, write=True, purpose="bench") as lib:
            pkg = install_package_dir(MODEL, paths.models_dir)
            lib.set_active_model(pkg.id)
            lib.add_folder(folder)
            svc = IndexingService(lib, watch=False, read_text=True)
            svc.start()
            try:
                _wait(lambda: lib.catalog.counts_by_status().get("indexed", 0) >= len(photos))
                t0 = time.monotonic()
                _wait(lambda: lib.catalog.text_counts()[0] >= len(photos), 1800)
                t1 = time.monotonic()
            finally:
                svc.stop(60)
        return len(photos) / (t1 - t0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--throughput", action="store_true", help="the text pass's own photos/s (see above)")
    args = ap.parse_args()
    if args.throughput:
        print(cpu_header(), flush=True)
        kinds = {
            "no text": sorted(CORPUS.glob("plain_*.jpg"))[: args.photos],
            "with text": sorted(CORPUS.glob("text_*.jpg"))[: args.photos],
        }
        rates: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(args.repeats):
            for kind, photos in kinds.items():
                rates[kind].append(text_throughput(photos))
                print(f"  {kind}: {rates[kind][-1]:.2f} photos/s; load {os.getloadavg()[0]:.2f}", flush=True)
        for kind, goal in (("no text", 2.0), ("with text", 0.5)):
            print(
                f"text pass, {len(kinds[kind])} photos {kind}: median {statistics.median(rates[kind]):.2f} "
                f"photos/s (runs {', '.join(f'{r:.2f}' for r in rates[kind])}; goal >= {goal})"
            )
        return
    photos = _photos(args.photos)
    print(f"{len(photos)} photos (12 MP, half with text); load average {os.getloadavg()}", flush=True)
    for burst in (False, True):
        results: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(args.repeats):
            for on in (False, True):
                r = run(photos, on, burst)
                results[on].append(r)
                print(f"  {'burst' if burst else 'batch'} text {'on ' if on else 'off'}: {r}", flush=True)
        for key in results[False][0]:
            off = statistics.median(r[key] for r in results[False])
            on = statistics.median(r[key] for r in results[True])
            print(
                f"{'burst' if burst else 'batch'} {key}: off {off:.3f}, on {on:.3f} ({(on / off - 1) * 100:+.1f} %)",
                flush=True,
            )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
