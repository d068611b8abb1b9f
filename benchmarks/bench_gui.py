"""Desktop app responsiveness (offscreen Qt):

    python benchmarks/bench_gui.py [--launches 5] [--photos 200] [--results 10000] [--model DIR]

1. launch → visible window: ``python main.py`` in a fresh process on a library with a model installed
   (the model must not load before the window shows); wall time from spawn to the first event-loop turn
   after ``show()``.
2. UI event-loop stall while the app indexes 200 photos (1024×768 JPEGs) added through the window: a 10 ms
   QTimer heartbeat on the UI thread; the longest gap between beats minus the interval. Goal ≤ 100 ms.
   Again on a simulated slow disk (``--only slow-disk``): every batch the indexer commits holds the catalog
   lock for 500 ms — the UI thread never waits for it (folders, counts and results are read off it).
3. frame gap while scrolling through 10,000 results in the real results grid (model + delegate + thumbnail
   loader; thumbnails made on demand from the photos): one scroll step per 16 ms timer tick, each step
   repainted synchronously; the longest interval between steps.

The model: ``--model`` or the shapes test model when trained, else the tiny random test model.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import load_avg, percentile  # noqa: E402

from models.tools.shapes import make_library  # noqa: E402


def pick_model(arg: str | None, tmp: Path) -> Path:
    if arg:
        return Path(arg)
    shapes = ROOT / "tests" / "fixtures" / "shapes-model"
    if (shapes / "manifest.json").is_file():
        return shapes
    from tests.tinymodel import build_tiny_model

    return build_tiny_model(tmp / "tiny-random")


def prepare(data: Path, model: Path) -> Any:
    from tests.support.library import prepare_library

    return prepare_library(data, model=model, photos=None, index=False)


# -- 1 ------------------------------------------------------------------------------------------------
def bench_launch(paths: Any, photos: Path, n: int) -> dict[str, Any]:
    from photosearch.indexing.pipeline import Indexer
    from photosearch.library.library import Library

    with Library(paths, write=True, purpose="bench") as lib:
        lib.add_folder(photos)
        for _ in Indexer(lib).run():
            pass
    times = []
    for _ in range(n):
        marker = Path(tempfile.mktemp(prefix="shown-"))
        env = dict(
            os.environ,
            PHOTOSEARCH_DATA_DIR=str(paths.data_dir),
            PHOTOSEARCH_GUI_SHOWN_FILE=str(marker),
            QT_QPA_PLATFORM="offscreen",
        )
        t0 = time.time()
        subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--quit-after-show", "--no-watch"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
            cwd="/",
        )
        shown, visible = marker.read_text().split()
        assert visible == "True"
        times.append(float(shown) - t0)
        marker.unlink()
    return {
        "launch_to_visible_s": {
            "median": sorted(times)[len(times) // 2],
            "max": max(times),
            "min": min(times),
            "runs": [round(t, 3) for t in times],
        },
        "goal_s": 1.0,
    }


# -- helpers ------------------------------------------------------------------------------------------
class Heartbeat:
    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import QTimer

        self.interval = interval_ms / 1000
        self.gaps: list[float] = []
        self.cpu: list[float] = []
        self.last = time.perf_counter()
        self.last_cpu = time.thread_time()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now, c = time.perf_counter(), time.thread_time()
        self.gaps.append(now - self.last)
        self.cpu.append(c - self.last_cpu)
        self.last, self.last_cpu = now, c

    def start(self) -> None:
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def summary(self) -> dict[str, float]:
        stalls = [max(0.0, g - self.interval) * 1000 for g in self.gaps]
        return {
            "beats": len(self.gaps),
            "max_stall_ms": round(max(stalls), 1),
            "p99_stall_ms": round(percentile(stalls, 99), 1),
            "p50_stall_ms": round(percentile(stalls, 50), 1),
            "max_ui_cpu_between_beats_ms": round(max(self.cpu) * 1000, 1),
        }


def run_until(app: Any, cond: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.002)  # benchmark driver, not a test: let the event loop breathe
    return False


# -- 2 ------------------------------------------------------------------------------------------------
SLOW_DISK_HOLD_S = 0.5


def slow_disk_service(hold: float = SLOW_DISK_HOLD_S) -> type:
    """An indexing service on a "slow disk": every batch the indexer commits holds the catalog lock for
    ``hold`` seconds (the lock the UI thread would wait on if it read the catalog)."""
    import contextlib
    import sys as _sys
    from collections.abc import Iterator

    from photosearch.indexing.service import IndexingService

    class SlowDiskService(IndexingService):
        def __init__(self, library: Any, **kw: Any) -> None:
            super().__init__(library, **kw)
            cat = library.catalog
            fast = cat.transaction
            self.slow_commits = 0

            @contextlib.contextmanager
            def transaction() -> Iterator[Any]:
                with cat._lock:  # the point of the simulation
                    if _sys._getframe(2).f_code.co_name == "_commit_batch":  # the indexer's batch
                        self.slow_commits += 1
                        time.sleep(hold)  # simulated slow disk, with the catalog lock held
                    with fast() as conn:
                        yield conn

            cat.transaction = transaction

    return SlowDiskService


def bench_index_stall(app: Any, paths: Any, photos: Path, n: int, slow_disk: bool = False) -> dict[str, Any]:
    from PySide6.QtCore import QSettings

    from photosearch.gui.main_window import MainWindow
    from photosearch.progress import ProgressPhase

    settings = QSettings(str(paths.data_dir / "bench.ini"), QSettings.Format.IniFormat)
    factory = slow_disk_service() if slow_disk else None
    w = MainWindow(paths, settings=settings, watch=False, prompt_model=False, service_factory=factory)
    w.show()
    assert run_until(app, lambda: w.search.engine is not None, 60)
    hb = Heartbeat(10)
    progress: list[tuple[int, int]] = []
    w.indexing.progress.connect(
        lambda p: progress.append((p.done, p.total)) if p.stage is ProgressPhase.EMBEDDING else None
    )
    hb.start()
    t0 = time.perf_counter()
    w.folders.add_folder(str(photos))
    # the driver reads what the window shows (its summary), never the catalog: it runs on the UI thread too
    ok = run_until(app, lambda: w.state.summary.visible >= n and w.indexing.service.idle, 600)
    elapsed = time.perf_counter() - t0
    slow = getattr(w.indexing.service, "slow_commits", 0)
    # keep the UI busy like a person would: a search while indexing finished
    hb.stop()
    w.shutdown()
    w.deleteLater()
    app.processEvents()
    return {
        "photos": n,
        "indexed": ok,
        "index_s": round(elapsed, 2),
        "photos_per_s": round(n / elapsed, 1),
        "progress_updates": len(progress),
        **hb.summary(),
        "goal_max_stall_ms": 100,
        "slow_disk_commits": slow,
        "slow_disk_hold_ms": round(1000 * SLOW_DISK_HOLD_S) if slow_disk else 0,
    }


# -- 3 ------------------------------------------------------------------------------------------------
def bench_scroll(app: Any, photos: list[Path], n_results: int, thumbs_dir: Path) -> dict[str, Any]:
    from PySide6.QtCore import QTimer

    from photosearch.gui.results import ResultsModel, ResultsView
    from photosearch.gui.workers import ThumbnailLoader
    from photosearch.library.thumbs import ThumbnailCache
    from photosearch.search.engine import Result
    from photosearch.store.catalog import FileRow

    results = []
    for i in range(n_results):
        p = str(photos[i % len(photos)])
        f = FileRow(i + 1, 1, p, 1000, 0, f"{i:064x}", "jpeg", 1024, 768, None, None, "indexed", None, 0.0)
        results.append(Result(i + 1, p, 1.0 - i / n_results, f, i))
    loader = ThumbnailLoader(ThumbnailCache(thumbs_dir), None)
    model = ResultsModel(loader)
    view = ResultsView()
    view.setModel(model)
    view.resize(1180, 700)
    view.show()
    t0 = time.perf_counter()
    model.set_results(results, "text")
    app.processEvents()
    set_ms = (time.perf_counter() - t0) * 1000
    sb = view.verticalScrollBar()
    step = 120
    frames: list[float] = []
    cpu: list[float] = []  # UI-thread CPU time per frame: what the app costs, whatever else the machine runs
    state = {"last": time.perf_counter(), "cpu": time.thread_time()}

    def tick() -> None:
        now, c = time.perf_counter(), time.thread_time()
        frames.append(now - state["last"])
        cpu.append(c - state["cpu"])
        state["last"], state["cpu"] = now, c
        sb.setValue(sb.value() + step)
        view.viewport().repaint()

    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(tick)
    state["last"] = time.perf_counter()
    timer.start()
    t1 = time.perf_counter()
    run_until(app, lambda: sb.value() >= sb.maximum(), 600)
    scroll_s = time.perf_counter() - t1
    timer.stop()
    loader.wait()
    out = {
        "results": n_results,
        "set_results_ms": round(set_ms, 1),
        "scroll_s": round(scroll_s, 1),
        "frames": len(frames),
        "max_frame_gap_ms": round(max(frames[1:]) * 1000, 1),
        "p99_frame_gap_ms": round(percentile(frames[1:], 99) * 1000, 1),
        "max_ui_cpu_per_frame_ms": round(max(cpu[1:]) * 1000, 1),
        "p99_ui_cpu_per_frame_ms": round(percentile(cpu[1:], 99) * 1000, 1),
        "thumbnails_requested": loader.requests,
        "thumbnails_loaded": len(loader.cache),
    }
    view.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--launches", type=int, default=5)
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--results", type=int, default=10000)
    ap.add_argument("--model")
    ap.add_argument("--only", choices=("launch", "stall", "slow-disk", "scroll"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    try:
        model = pick_model(args.model, tmp)
        out: dict[str, Any] = {"model": model.name, "load_avg_start": load_avg()}

        if args.only in (None, "launch"):
            small = tmp / "small"
            make_library(small, 40, seed=1, image_size=(640, 480), fmt="jpg")
            out["launch"] = bench_launch(prepare(tmp / "data-launch", model), small, args.launches)

        from photosearch.gui.app import create_application

        app = create_application(["bench"])
        photos = tmp / "photos"
        make_library(photos, args.photos, seed=2, image_size=(1024, 768), fmt="jpg")
        if args.only in (None, "stall"):
            out["indexing_stall"] = bench_index_stall(
                app, prepare(tmp / "data-index", model), photos, args.photos
            )
        if args.only in (None, "slow-disk"):
            out["indexing_stall_slow_disk"] = bench_index_stall(
                app, prepare(tmp / "data-slow", model), photos, args.photos, slow_disk=True
            )
        if args.only in (None, "scroll"):
            out["scroll"] = bench_scroll(app, sorted(photos.glob("*.jpg")), args.results, tmp / "thumbs")
        out["load_avg_end"] = load_avg()
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(out))
        return
    print(f"model: {out['model']}   load avg {out['load_avg_start']:.2f} → {out['load_avg_end']:.2f}")
    if "launch" in out:
        la = out["launch"]["launch_to_visible_s"]
        print(
            f"launch → visible window     median {la['median']:.3f} s  max {la['max']:.3f} s  (goal ≤ 1 s)  runs {la['runs']}"
        )
    for key, what in (("indexing_stall", ""), ("indexing_stall_slow_disk", ", slow disk")):
        if key not in out:
            continue
        st = out[key]
        slow = (
            f"; catalog lock held {st['slow_disk_hold_ms']} ms × {st['slow_disk_commits']} commits"
            if st["slow_disk_commits"]
            else ""
        )
        print(
            f"UI stall, indexing {st['photos']} photos{what}   max {st['max_stall_ms']} ms  p99 {st['p99_stall_ms']} ms  "
            f"(goal ≤ 100 ms)  [{st['index_s']} s, {st['photos_per_s']} photos/s, {st['progress_updates']} updates{slow}]"
        )
        print(f"  UI-thread CPU between beats   max {st['max_ui_cpu_between_beats_ms']} ms")
    if "scroll" in out:
        sc = out["scroll"]
        print(
            f"scrolling {sc['results']:,} results   max frame gap {sc['max_frame_gap_ms']} ms  p99 "
            f"{sc['p99_frame_gap_ms']} ms  over {sc['frames']} frames  (set_results {sc['set_results_ms']} ms, "
            f"{sc['thumbnails_requested']} thumbnails requested)"
        )
        print(
            f"  UI-thread CPU per frame    max {sc['max_ui_cpu_per_frame_ms']} ms  p99 {sc['p99_ui_cpu_per_frame_ms']} ms"
        )


if __name__ == "__main__":
    main()
