"""Does the text pass (OCR) slow the embedding pass? The indexing service's embedding photos/s with text
reading on vs off, on 12 MP JPEGs of the OCR corpus (half with rendered text), in two situations:

- ``batch``: a folder of N photos added at once — embedding runs first; the text pass only starts when
  there is nothing left to embed;
- ``burst``: N photos, then — once the text pass is reading (on) or the service is idle (off) — ``--burst``
  more arrive: their embedding photos/s (arrival to last embedded) and their wait (arrival to first
  embedded: with text on, the photo being read gives way — ``TextReader.read``'s ``stop``, which aborts a
  detection or recognition already running — and is read again later); with text on, also how long after
  the arrival the read in progress gave way.

    python benchmarks/bench_text_pass.py [--photos 40] [--burst 80] [--repeats 5] [--model shapes|vit]
    python benchmarks/bench_text_pass.py --throughput [--photos 40] [--repeats 2] [--compare-det-side 960]

``--model vit``: the benchmark-size embedding model (benchmarks/_inputs/models/vit-b-32-256-random, a
random-weight ViT-B-32 at 256 px, built by build_inputs.py), so embedding costs what a real model's does;
the default is the small shapes test model (tests/fixtures/shapes-model), whose figures are dominated by
decoding.

``--throughput``: the text pass's own photos/s inside the indexing service (what ``photosearch index``
runs: draft decode, detection, recognition, one catalog transaction per photo), on N photos without text and
N with text, each in a library of its own: from the moment the last photo is embedded (the pass starts
then) to the moment the catalog counts every photo's text as read.

Runs alternate off/on so load changes hit both. The machine may be shared: the load average is printed,
and with ``--throughput`` the process's CPU seconds per photo (which load barely changes).
"""

from __future__ import annotations

import argparse
import os
import resource
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
from photosearch.indexing.text_steps import BUDGET_S, TextPass, text_threads  # noqa: E402
from photosearch.library.library import Library  # noqa: E402
from photosearch.models.install import install_package_dir  # noqa: E402
from photosearch.progress import Progress, ProgressPhase  # noqa: E402
from photosearch.text.ocr import TextReader  # noqa: E402

CORPUS = REPO / "benchmarks" / "_inputs" / "ocr-corpus"
MODEL = REPO / "tests" / "fixtures" / "shapes-model"
VIT = "vit-b-32-256-random"
VIT_DIR = Path(os.environ.get("BENCH_MODELS_DIR") or REPO / "benchmarks" / "_inputs" / "models") / VIT


def _photos(n: int) -> list[Path]:
    text = sorted(CORPUS.glob("text_*.jpg"))[: (n + 1) // 2]
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


def _install(paths: Paths, model: str) -> str:
    """The embedding model, in the library's models folder: the shapes test model, or ``vit`` linked in
    (as bench_index.py does)."""
    if model == "vit":
        if not (VIT_DIR / "manifest.json").exists():
            raise SystemExit(f"{VIT_DIR} is missing (run benchmarks/build_inputs.py)")
        (paths.models_dir / VIT).symlink_to(VIT_DIR, target_is_directory=True)
        return VIT
    return install_package_dir(MODEL, paths.models_dir).id


class _TimedPass(TextPass):
    """The product's text pass, noting when a read gave way (returned "interrupted")."""

    def __init__(self, catalog) -> None:  # type: ignore[no-untyped-def]
        super().__init__(catalog)
        self.gave_way: list[float] = []

    def read_one(self, f, stop=None) -> str:  # type: ignore[no-untyped-def]
        status = super().read_one(f, stop)
        if status == "interrupted":
            self.gave_way.append(time.monotonic())
        return status


def run(photos: list[Path], read_text: bool, n_first: int, model: str = "shapes") -> dict[str, float]:
    """One library: ``n_first`` photos added at once (batch), then — when there are more — the rest arrive
    as a burst."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-text-"))
    burst = n_first < len(photos)
    try:
        folder = tmp / "photos"
        folder.mkdir()
        first, second = photos[:n_first], photos[n_first:]
        for p in first:
            os.link(p, folder / p.name) if _same_fs(p, folder) else shutil.copy(p, folder / p.name)
        paths = Paths.resolve(tmp / "data")
        paths.ensure()
        text_started = [False]

        def on_progress(p: Progress) -> None:
            if p.stage is ProgressPhase.READING_TEXT:
                text_started[0] = True

        with Library(paths, write=True, purpose="bench") as lib:
            lib.set_active_model(_install(paths, model))
            lib.add_folder(folder)
            svc = IndexingService(lib, watch=False, on_progress=on_progress, read_text=read_text)
            timed = _TimedPass(lib.catalog)
            svc.text_pass = timed

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
                    if read_text:  # arrival to the moment the read in progress gave way
                        out["gave_way_s"] = min((t for t in timed.gave_way if t >= t2), default=t3) - t2
            finally:
                svc.stop(60)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def text_throughput(photos: list[Path], det_side: int | None = None) -> tuple[float, float]:
    """Photos/s of the service's text pass over ``photos`` (see the module docstring), and the process's CPU
    seconds per photo meanwhile (the pass is all it runs then)."""
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
            if det_side is not None:  # another second look than the product's (for side-by-side runs)
                svc.text_pass = TextPass(
                    lib.catalog, TextReader(det_side=det_side, budget_s=BUDGET_S, threads=text_threads())
                )
            svc.start()
            try:
                _wait(lambda: lib.catalog.counts_by_status().get("indexed", 0) >= len(photos))
                t0, c0 = time.monotonic(), _cpu()
                _wait(lambda: lib.catalog.text_counts()[0] >= len(photos), 1800)
                t1, c1 = time.monotonic(), _cpu()
            finally:
                svc.stop(60)
        return len(photos) / (t1 - t0), (c1 - c0) / len(photos)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _reader_name(det_side: int | None) -> str:
    return "the product's reader" if det_side is None else f"second look at {det_side} px"


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=40, help="photos added at once (half with text)")
    ap.add_argument("--burst", type=int, default=80, help="photos arriving while the text pass reads")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--model", choices=("shapes", "vit"), default="shapes", help="the embedding model")
    ap.add_argument("--only", choices=("batch", "burst"), help="one of the two situations")
    ap.add_argument("--throughput", action="store_true", help="the text pass's own photos/s (see above)")
    ap.add_argument(
        "--compare-det-side",
        type=int,
        help="with --throughput: also a reader whose second look is at this many px (960: one look only), "
        "alternated with the product's in the same run",
    )
    args = ap.parse_args()
    if args.throughput:
        print(cpu_header(), flush=True)
        kinds = {
            "no text": sorted(CORPUS.glob("plain_*.jpg"))[: args.photos],
            "with text": sorted(CORPUS.glob("text_*.jpg"))[: args.photos],
        }
        readers: list[int | None] = [None] + ([args.compare_det_side] if args.compare_det_side else [])
        rates: dict[tuple[str, int | None], list[float]] = {(k, r): [] for k in kinds for r in readers}
        cpus: dict[tuple[str, int | None], list[float]] = {(k, r): [] for k in kinds for r in readers}
        for _ in range(args.repeats):
            for kind, photos in kinds.items():
                for det in readers:
                    rate, cpu = text_throughput(photos, det)
                    rates[kind, det].append(rate)
                    cpus[kind, det].append(cpu)
                    print(f"  {kind} ({_reader_name(det)}): {rate:.2f} photos/s, {cpu:.2f} CPU s/photo; "
                          f"load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
        for kind, goal in (("no text", 2.0), ("with text", 0.5)):
            for det in readers:
                r, c = rates[kind, det], cpus[kind, det]
                print(
                    f"text pass ({_reader_name(det)}), {len(kinds[kind])} photos {kind}: median "
                    f"{statistics.median(r):.2f} photos/s (runs {', '.join(f'{x:.2f}' for x in r)}; goal >= "
                    f"{goal}); CPU {statistics.median(c):.2f} s/photo"
                )
        return
    photos = _photos(args.photos + args.burst)
    model = f"{VIT} (random weights)" if args.model == "vit" else "the shapes test model"
    print(f"{args.photos} photos, then a burst of {args.burst} (12 MP, half with text); embedding with {model}; "
          f"load average {os.getloadavg()}", flush=True)  # fmt: skip
    for burst in (False, True):
        if args.only and args.only != ("burst" if burst else "batch"):
            continue
        results: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(args.repeats):
            for on in (False, True):
                r = run(photos if burst else photos[: args.photos], on, args.photos, args.model)
                results[on].append(r)
                print(f"  {'burst' if burst else 'batch'} text {'on ' if on else 'off'}: {r}", flush=True)
        if burst and results[True]:
            gave = [r["gave_way_s"] for r in results[True]]
            print(f"burst: the read in progress gave way {statistics.median(gave) * 1000:.0f} ms (median; runs "
                  f"{', '.join(f'{g * 1000:.0f}' for g in gave)} ms) after the photos arrived", flush=True)  # fmt: skip
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
