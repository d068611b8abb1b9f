"""The justified results grid over 100k results with real JPEG thumbnails on a cold cache.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_grid.py [--results 100000] [--steps 2000]

Thumbnails: made from a few real photos (``benchmarks/_inputs/debian-photos`` when present, else synthetic
JPEGs) with the app's own ``ThumbnailCache``; every result has its own content hash and its own thumbnail
file (hard links to a few dozen distinct JPEGs, so 100k files take no disk space; each is still opened and
decoded on its own). Nothing is in the loader's memory cache at the start (the files may be in the OS page
cache: this measures the app, not the disk). Figures:

* ``first_paint_ms``: from the moment the search's answer is handed to the model to the first painted row
  (placeholders in the photos' colours), and ``first_row_thumbs_ms`` to every thumbnail of the first screen.
* ``wheel``: N wheel events (each scrolled ``px_per_step``) from the top to the bottom of the by-month
  grid, each handled and painted synchronously: frame time p50/p95/max, thumbnails shown per second.
* ``scrub``: a click on the middle of the date scrubber (the middle photo, shown at the top): the frame, and
  the time until that screen's thumbnails are all shown.
* the thumbnail cache's memory: its bound and the most it held.
* baseline, in the same run: the previous results view (``QListView`` icon mode) on the same results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import cpu_header, max_rss_mb, percentile, write_result  # noqa: E402

REAL = ROOT / "benchmarks" / "_inputs" / "debian-photos"
for parent in [ROOT, *ROOT.parents]:  # a worktree uses the main checkout's inputs
    if (parent / "main" / "benchmarks" / "_inputs" / "debian-photos").is_dir():
        REAL = parent / "main" / "benchmarks" / "_inputs" / "debian-photos"
        break
    if (parent / "benchmarks" / "_inputs" / "debian-photos").is_dir():
        REAL = parent / "benchmarks" / "_inputs" / "debian-photos"
        break


def source_photos(tmp: Path, n: int = 40) -> tuple[list[tuple[Path, int, int]], str]:
    """(path, width, height) of real photos, else synthetic JPEGs."""
    from PIL import Image

    found: list[tuple[Path, int, int]] = []
    if REAL.is_dir():
        for p in sorted(REAL.rglob("*")):
            if p.suffix.lower() in (".jpg", ".jpeg") and p.stat().st_size > 40_000:
                try:
                    with Image.open(p) as im:
                        w, h = im.size
                except OSError:
                    continue
                if min(w, h) >= 240:
                    found.append((p, w, h))
            if len(found) >= n:
                break
    if len(found) >= 8:
        return found, f"{len(found)} real photos from {REAL}"
    import random

    rng = random.Random(3)
    out = []
    for i in range(n):
        w, h = rng.choice([(1600, 1200), (1200, 1600), (1920, 1080), (1500, 1500), (2400, 800)])
        img = Image.effect_noise((w // 4, h // 4), 60).convert("RGB").resize((w, h))
        p = tmp / f"synthetic_{i:02d}.jpg"
        img.save(p, quality=88)
        out.append((p, w, h))
    return out, f"{n} synthetic JPEGs"


def build(tmp: Path, n: int) -> tuple[list[Any], Path, str, dict[str, int]]:
    """100k results, each with its own hash and thumbnail file, dated newest first over a few years."""
    from PIL import Image

    from photosearch.library.thumbs import ThumbnailCache, mean_rgb
    from photosearch.search.engine import Result
    from photosearch.store.catalog import FileRow

    photos, what = source_photos(tmp)
    thumbs_dir = tmp / "thumbs"
    cache = ThumbnailCache(thumbs_dir)
    distinct = []
    for i, (p, w, h) in enumerate(photos):
        with Image.open(p) as im:
            im.load()
            h0 = f"{i:02x}" + "f" * 62
            cache.store(h0, im)
            distinct.append((cache.path_for(h0), w, h, mean_rgb(cache.render(im))))
    now = time.time()
    results, colours = [], {}
    for i in range(n):
        src, w, h, rgb = distinct[i % len(distinct)]
        ch = f"{i:064x}"
        dest = cache.path_for(ch)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(src, dest)
        taken = now - i * 900.0  # a photo every 15 minutes: ~3 years over 100k
        f = FileRow(i + 1, 1, str(src), 1, 0, ch, "jpeg", w, h, taken, None, "indexed", None, 0.0)
        results.append(Result(i + 1, str(src), 1.0 - i / n, f, -1))
        colours[ch] = rgb
    return results, thumbs_dir, what, colours


def pump(app: Any, until: Any, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if until():
            return True
        time.sleep(0.001)
    return False


def visible_hashes(view: Any, model: Any) -> list[str]:
    top = view.verticalScrollBar().value()
    tiles = view.lay.tiles_between(top, top + view.viewport().height())
    return [model.results[t.index].file.content_hash for t in tiles]


def bench_grid(app: Any, results: list[Any], thumbs_dir: Path, colours: dict[str, int], steps: int) -> dict:
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent

    from photosearch.gui.grid import JustifiedView
    from photosearch.gui.results import ResultsModel
    from photosearch.gui.workers import ThumbnailLoader
    from photosearch.library.thumbs import ThumbnailCache

    loader = ThumbnailLoader(ThumbnailCache(thumbs_dir), None)
    loader.colours.update(colours)  # what the catalog's mean colours give (read off the UI thread)
    model = ResultsModel(loader)
    view = JustifiedView()
    view.setModel(model)
    view.resize(1280, 800)
    view.show()
    pump(app, lambda: view.isVisible(), 5)
    painted: list[float] = []
    orig_paint = view.paintEvent

    def paint_hook(ev: Any) -> None:
        orig_paint(ev)
        if view.painted_rows:
            painted.append(time.perf_counter())

    view.paintEvent = paint_hook  # type: ignore[method-assign]
    view.set_by_date(True)
    t0 = time.perf_counter()
    model.set_results(results, "browse")  # the search returned: its answer is handed to the model
    pump(app, lambda: bool(painted), 10)
    first_paint_ms = (painted[0] - t0) * 1000
    first = visible_hashes(view, model)
    pump(app, lambda: all(loader.get(h) is not None for h in first), 30)
    first_thumbs_ms = (time.perf_counter() - t0) * 1000
    pump(app, lambda: view._builder is None, 60)  # the rest of the layout, between frames
    layout_done_ms = (time.perf_counter() - t0) * 1000

    sb = view.verticalScrollBar()
    total = sb.maximum()
    lines = app.wheelScrollLines()
    px_per_notch = lines * sb.singleStep()
    delta = max(1, round(120 * total / steps / px_per_notch) + 1)  # a fast spin: partial notches add up
    frames: list[float] = []
    cpu: list[float] = []  # the UI thread's CPU time per frame (the machine's other load left out)
    shown: set[str] = set()
    max_bytes = loader.bytes
    vp = view.viewport()
    pos = QPointF(vp.rect().center())
    t1 = time.perf_counter()
    n = 0
    while sb.value() < sb.maximum() and n < steps * 2:
        ev = QWheelEvent(
            pos,
            vp.mapToGlobal(pos),
            QPoint(0, 0),
            QPoint(0, -delta),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        s, c = time.perf_counter(), time.thread_time()
        app.sendEvent(vp, ev)
        vp.repaint()
        frames.append(time.perf_counter() - s)
        cpu.append(time.thread_time() - c)
        app.processEvents()  # thumbnails that arrived meanwhile
        for h in visible_hashes(view, model):
            if loader.get(h) is not None:
                shown.add(h)
        max_bytes = max(max_bytes, loader.bytes)
        n += 1
    wheel_s = time.perf_counter() - t1
    bottom = sb.value() == sb.maximum()
    # the scrubber: a click on its middle
    s = view.scrubber
    sb.setValue(0)
    app.processEvents()
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent

    mid = QPointF(s.width() / 2, s.height() / 2)
    press = QMouseEvent(
        QEvent.Type.MouseButtonPress,
        mid,
        s.mapToGlobal(mid),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    t2 = time.perf_counter()
    app.sendEvent(s, press)
    vp.repaint()
    scrub_frame_ms = (time.perf_counter() - t2) * 1000
    there = visible_hashes(view, model)
    pump(app, lambda: all(loader.get(h) is not None for h in there), 30)
    scrub_thumbs_ms = (time.perf_counter() - t2) * 1000
    first, last = s.visible  # the photos on screen: the middle one of 100k should be among the first
    mid_ok = first <= len(results) // 2 < last
    loader.wait()
    view.close()
    return {
        "results": len(results),
        "window": "1280x800",
        "layout_rows": len(view.lay.rows),
        "months": len(view.lay.headers),
        "first_paint_ms": round(first_paint_ms, 1),
        "first_row_thumbs_ms": round(first_thumbs_ms, 1),
        "layout_complete_ms": round(layout_done_ms, 1),
        "wheel": {
            "steps": len(frames),
            "angle_delta_per_step": delta,
            "px_per_step": round(total / max(1, len(frames))),  # Qt scrolls at most a page per wheel event
            "reached_bottom": bottom,
            "seconds": round(wheel_s, 1),
            "frame_ms_p50": round(percentile(frames, 50) * 1000, 2),
            "frame_ms_p95": round(percentile(frames, 95) * 1000, 2),
            "frame_ms_max": round(max(frames) * 1000, 2),
            "ui_cpu_ms_p95": round(percentile(cpu, 95) * 1000, 2),
            "frames_over_16ms": sum(1 for f in frames if f > 0.016),
            "thumbnails_shown": len(shown),
            "thumbnails_shown_per_s": round(len(shown) / wheel_s, 1),
            "thumbnails_requested": loader.requests,
        },
        "scrub": {
            "frame_ms": round(scrub_frame_ms, 2),
            "lands_in_the_middle": mid_ok,
            "screen_of_thumbs_ms": round(scrub_thumbs_ms, 1),
        },
        "thumb_cache": {
            "bound_mb": round(loader.cache_bytes / 2**20, 1),
            "bound_images": loader.cache_size,
            "max_held_mb": round(max_bytes / 2**20, 1),
            "held_images_at_end": len(loader.cache),
        },
    }


def bench_baseline(app: Any, results: list[Any], thumbs_dir: Path, steps: int) -> dict:
    """The previous results view (QListView, icon mode, uniform items) on the same results."""
    from photosearch.gui.results import ResultsModel, ResultsView
    from photosearch.gui.workers import ThumbnailLoader
    from photosearch.library.thumbs import ThumbnailCache

    loader = ThumbnailLoader(ThumbnailCache(thumbs_dir), None)
    model = ResultsModel(loader)
    view = ResultsView()
    view.setModel(model)
    view.resize(1280, 800)
    view.show()
    pump(app, lambda: view.isVisible(), 5)
    t0 = time.perf_counter()
    model.set_results(results, "browse")
    view.viewport().repaint()
    first_paint_ms = (time.perf_counter() - t0) * 1000
    sb = view.verticalScrollBar()
    pump(app, lambda: sb.maximum() > 0, 30)
    vp = view.viewport()
    frames = []
    px = max(1, sb.maximum() // steps)
    for _ in range(steps):  # the same distance per step as the grid's wheel steps, top to bottom
        s = time.perf_counter()
        sb.setValue(sb.value() + px)
        vp.repaint()
        frames.append(time.perf_counter() - s)
        app.processEvents()
    loader.wait()
    view.close()
    return {
        "view": "QListView icon mode (previous results view)",
        "first_paint_ms": round(first_paint_ms, 1),
        "steps": len(frames),
        "frame_ms_p95": round(percentile(frames, 95) * 1000, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from photosearch.gui.app import create_application

    print(f"{cpu_header()} · Qt platform {os.environ.get('QT_QPA_PLATFORM')}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-grid-"))
    try:
        t = time.perf_counter()
        results, thumbs_dir, what, colours = build(tmp, args.results)
        print(
            f"inputs: {args.results} results, thumbnails from {what} ({time.perf_counter() - t:.1f} s to make)"
        )
        app = create_application(["bench-grid"])
        out: dict[str, Any] = {"cpu": cpu_header(), "inputs": what}
        out["grid"] = bench_grid(app, results, thumbs_dir, colours, args.steps)
        if not args.no_baseline:
            out["baseline"] = bench_baseline(app, results, thumbs_dir, args.steps)
        out["max_rss_mb"] = round(max_rss_mb(), 1)
        write_result("bench_grid", out)
        print(json.dumps(out, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
