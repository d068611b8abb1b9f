"""Render screenshots of the real window (QWidget.grab) into screenshots/ (git-ignored). Run it under an X
server (``xvfb-run -a python tools/screenshots.py``) or without one (Qt's offscreen platform):

    python tools/screenshots.py [--out screenshots] [--model DIR]

1-first-run.png                 no folders, no model: the welcome panel and the model set-up dialog
2a-indexing-results-early.png   a folder being indexed with a query typed: the first results
2b-indexing-results-later.png   the same query, nothing retyped, a few seconds later: more results
3-text-results.png              a text query on the indexed library
3b-preview.png                  the preview panel beside the results
4-composed-query.png            a reference photo in the well + a change in words, the balance slider
5-model-manager.png             the model manager (⚙ → Models…)
6-no-good-matches.png           a query with nothing close, when the model really finds nothing close

and, for every --sizes × --schemes (Qt's colour scheme, QStyleHints.setColorScheme; the run says so when the
platform can't switch and leaves those out), named ``…-{W}x{H}-{scheme}{--tag}.png``:

1-first-run-…       the first run (welcome + model set-up)
3-text-results-…    a text query: justified rows, the "Weaker matches below" divider
4-composed-query-…  a reference photo + a change in words
7-browse-by-date-…  the library with an empty query: month headers (the top one sticks) and the date scrubber
8-viewer-…          the viewer (V / double-click) with the details on (I)
9-filters-…         the filter bar with active filters as chips (first size and scheme only)
10-shortcuts-…      "?": every shortcut (first size and scheme only)

and, on the same library (which holds a burst of ten near-identical shots):

14a-burst-collapsed.png         bursts stacked: the ten shots as one tile with their count
14b-burst-expanded.png          the same burst expanded in place (a click on the count)
15-albums-open.png              albums saved from 3 👍 + 3 👎 in the side bar, one open in the grid

``--only bursts,albums`` takes just those, on a small library (quicker to look at while working on them).

Under Xvfb give the screen room for the largest size (and for QT_SCALE_FACTOR=2)::

    PHOTOSEARCH_IMAGE_BACKEND=onnxruntime xvfb-run -a -s "-screen 0 3840x2400x24" \
        python3 tools/screenshots.py --out /tmp/shots
    QT_SCALE_FACTOR=2 PHOTOSEARCH_IMAGE_BACKEND=onnxruntime xvfb-run -a -s "-screen 0 3840x2400x24" \
        python3 tools/screenshots.py --out /tmp/shots --sizes 1280x800 --schemes light --tag=-200pct

The library is the shapes photos plus a few dozen real photos (from ``benchmarks/_inputs/debian-photos``
when present) in several shapes, their files dated over some years (their modification times are set: a real
state of those files, which browsing orders by).

Nothing is simulated: every picture is the window in the state the real library, model and indexer put it in
(a state the model does not produce is left out with a note, never faked).
The model: ``--model`` or the shapes test model when trained, else the tiny random test model.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
else:  # a platform theme that honours QStyleHints.setColorScheme (Xvfb has no desktop of its own)
    os.environ.setdefault("QT_QPA_PLATFORMTHEME", "gnome")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.tools.shapes import make_library  # noqa: E402


def wait(app: Any, cond: Any, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.005)
    return False


def settle(app: Any, w: Any, seconds: float = 0.6) -> None:
    """Let thumbnails arrive and the window repaint."""
    wait(app, lambda: False, seconds)
    w.thumbs.wait()
    wait(app, lambda: False, 0.2)


def grab(app: Any, w: Any, path: Path, dialog: Any = None) -> None:
    from PySide6.QtGui import QColor, QPainter

    app.processEvents()
    pm = w.grab()
    if dialog is not None and dialog.isVisible():
        d = dialog.grab()
        p = QPainter(pm)
        p.fillRect(pm.rect(), QColor(0, 0, 0, 60))  # the window behind a modal dialog
        size, dsize = pm.deviceIndependentSize(), d.deviceIndependentSize()  # logical pixels (200 % too)
        x, y = int(size.width() - dsize.width()) // 2, int(size.height() - dsize.height()) // 3
        p.fillRect(x - 2, y - 2, int(dsize.width()) + 4, int(dsize.height()) + 4, QColor(90, 90, 90))
        p.drawPixmap(x, y, d)
        p.end()
    pm.save(str(path))
    print(f"wrote {path}")


REAL_PHOTOS = [
    "skimage/astronaut.png",
    "skimage/chelsea.png",
    "skimage/coffee.png",
    "skimage/rocket.png",
    "skimage/stereo_motorcycle.png",
    "skimage/hubble_deep_field.png",
]
OPENCV = "root/usr/share/doc/opencv-doc/examples/"
REAL_PHOTOS += [
    OPENCV + n
    for n in (
        "alphamat/input_images/plant.jpg",
        "text/scenetext01.jpg",
        "text/scenetext02.jpg",
        "text/scenetext04.jpg",
        "text/scenetext05.jpg",
        "text/scenetext06.jpg",
        "data/fruits.jpg",
        "data/baboon.jpg",
        "data/leuvenA.jpg",
        "data/squirrel_cls.jpg",
        "data/aloeL.jpg",
        "data/board.jpg",
        "data/messi5.jpg",
        "data/building.jpg",
        "hfs/data/000.jpg",
    )
]


def real_inputs() -> Path | None:
    for parent in [ROOT, *ROOT.parents]:
        for cand in (
            parent / "benchmarks" / "_inputs" / "debian-photos",
            parent / "main" / "benchmarks" / "_inputs" / "debian-photos",
        ):
            if cand.is_dir():
                return cand
    return None


def add_mixed_photos(photos: Path) -> None:
    """Photos in other shapes (shapes drawings in portrait, wide and square, and real photos), then every
    file's modification time spread over some years, newest first by name."""
    import random

    from PIL import Image

    for sub, n, size, seed in (
        ("portrait", 150, (240, 320), 11),
        ("wide", 120, (400, 225), 12),
        ("square", 90, (300, 300), 13),
    ):
        make_library(photos / sub, n, seed=seed, image_size=size, fmt="jpg")
    src = real_inputs()
    if src is None:
        print("note: no benchmarks/_inputs/debian-photos: the library has only drawn shapes")
    else:
        cam = photos / "camera"
        cam.mkdir(parents=True, exist_ok=True)
        for i, rel in enumerate(REAL_PHOTOS):
            p = src / rel
            if p.is_file():
                with Image.open(p) as im:
                    im.convert("RGB").save(cam / f"IMG_{i:04d}.jpg", quality=90)
    rng = random.Random(5)
    now = time.time()
    files = sorted(f for f in photos.rglob("*") if f.suffix.lower() in (".jpg", ".png"))
    rng.shuffle(files)
    for i, f in enumerate(files):
        t = now - i * 0.4 * 86400 - rng.uniform(0, 3600)
        os.utime(f, (t, t))


def set_scheme(app: Any, dark: bool) -> bool:
    """Qt's colour scheme, as the system would set it; False when the platform can't switch."""
    from PySide6.QtCore import Qt

    want = Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light
    app.styleHints().setColorScheme(want)
    wait(app, lambda: False, 0.3)
    return bool(app.styleHints().colorScheme() == want)


def parse_size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "screenshots"))
    ap.add_argument("--model")
    ap.add_argument("--sizes", default="1280x800,1920x1080")
    ap.add_argument("--schemes", default="light,dark")
    ap.add_argument("--tag", default="", help="added to each file name (e.g. -200pct)")
    ap.add_argument("--only", default="", help="bursts,albums: only those shots, on a small library")
    args = ap.parse_args()
    sizes = [parse_size(x) for x in args.sizes.split(",") if x]
    schemes = [x for x in args.schemes.split(",") if x in ("light", "dark")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ps-shots-"))
    os.environ["HOME"] = str(tmp / "home")
    try:
        from PySide6.QtCore import QSettings

        from photosearch.config import Paths
        from photosearch.gui.app import create_application
        from photosearch.gui.main_window import MainWindow
        from photosearch.library.library import Library
        from photosearch.models.install import install_package_dir
        from photosearch.progress import ProgressPhase

        shapes = ROOT / "tests" / "fixtures" / "shapes-model"
        if args.model:
            model = Path(args.model)
        elif (shapes / "manifest.json").is_file():
            model = shapes
        else:
            from tests.tinymodel import build_tiny_model

            model = build_tiny_model(tmp / "tiny-random")
        app = create_application(["screenshots"])
        settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        only = {x for x in args.only.split(",") if x}

        def window(paths: Paths, prompt: bool = False) -> MainWindow:
            w = MainWindow(paths, settings=settings, watch=False, prompt_model=prompt)
            w.resize(*sizes[0])
            w.show()
            wait(app, lambda: w.library is not None and w.state.loaded)
            return w

        def answered(w: MainWindow, kind: str) -> bool:
            r = w.current_response
            return not w.search.busy and r is not None and r.kind == kind

        def library_window(n: int, places: bool) -> tuple[Path, Paths, MainWindow]:
            """A library of ``n`` drawn photos (+ real ones, a burst; + GPS photos with ``places``) with the model
            installed, and the window on it with the folder just added (its indexing starts)."""
            photos = tmp / "Pictures"
            make_library(photos, n, seed=7, image_size=(320, 240), fmt="jpg")
            if places:
                from tests.support.exif_photos import make_place_library

                make_place_library(photos / "travel")  # shapes with GPS and camera EXIF, in several countries
            add_mixed_photos(photos)
            add_burst(photos)
            paths = Paths.resolve(tmp / "data")
            with Library(paths, write=True, purpose="screenshots") as lib:
                pkg = install_package_dir(model, paths.models_dir)
                lib.set_active_model(pkg.id)
            w = window(paths)
            wait(app, lambda: w.search.engine is not None)
            w.folders.add_folder(str(photos))
            wait(app, lambda: bool(w.state.summary.folders))
            return photos, paths, w

        if only:
            photos, _paths, w = library_window(300, places=False)
            wait(app, lambda: w.indexing is not None and w.indexing.wait_idle(0.05), 600)
            n = sum(1 for f in photos.rglob("*") if f.suffix.lower() in (".jpg", ".png"))
            wait(app, lambda: w.state.summary.visible >= n, 120)
            bursts_and_albums(app, w, out, only)
            w.shutdown()
            w.close()
            return

        # 1. first run
        w = window(Paths.resolve(tmp / "empty"), prompt=True)
        wait(app, lambda: w.model_dialog is not None and w.model_dialog.isVisible(), 10)
        settle(app, w)
        grab(app, w, out / "1-first-run.png", w.model_dialog)
        for scheme in schemes:
            if not set_scheme(app, scheme == "dark"):
                print(f"note: the platform did not switch to the {scheme} scheme; those shots are left out")
                continue
            for size in sizes:
                w.resize(*size)
                settle(app, w, 0.3)
                grab(app, w, out / f"1-first-run-{size[0]}x{size[1]}-{scheme}{args.tag}.png", w.model_dialog)
        set_scheme(app, False)
        w.resize(*sizes[0])
        w.model_dialog.close()
        w.shutdown()
        w.close()

        # 2. results growing while a folder is indexed: the model installed, a folder added in the window,
        # a query typed once; the real indexer fills the library and the results follow
        photos, paths, w = library_window(1500, places=True)
        w.query_bar.set_text("a red circle")
        from PySide6.QtGui import QCursor

        QCursor.setPos(0, 0)  # the pointer away from the grid: new results take their places by rank

        def embedding() -> bool:
            p = w.status.last_progress
            return p is not None and p.stage is ProgressPhase.EMBEDDING

        def shown() -> bool:
            return w.stack.currentWidget() is w.view and w.model.rowCount() > 0 and answered(w, "text")

        ok = wait(app, lambda: embedding() and shown(), 180)
        settle(app, w)
        if ok and embedding():

            def close_count() -> int:
                r = w.current_response
                return len(r.passed) if r is not None else 0

            early_close = close_count()
            grab(app, w, out / "2a-indexing-results-early.png")
            grew = wait(app, lambda: shown() and close_count() > early_close, 180)
            settle(app, w)
            if grew and embedding():
                grab(app, w, out / "2b-indexing-results-later.png")
            else:
                print("note: indexing ended before more close results arrived; 2b not written")
        else:
            print("note: indexing ended before the first results were shown; 2a/2b not written")
        wait(app, lambda: w.indexing is not None and w.indexing.wait_idle(0.05), 600)
        w.shutdown()
        w.close()

        # 3. text results on the indexed library
        w = window(paths)
        wait(app, lambda: w.search.engine is not None)
        w.query_bar.clear()
        w.query_bar.set_text("a red circle")
        wait(app, lambda: answered(w, "text"))
        settle(app, w)
        grab(app, w, out / "3-text-results.png")

        # 3b. the preview panel on the second result
        w.view.setFocus()
        w.view.setCurrentIndex(w.model.index(1, 0))
        w.actions_.show_preview(1)
        wait(app, lambda: w.preview.loaded_path == w.model.result(1).path)
        settle(app, w)
        grab(app, w, out / "3b-preview.png")
        w.preview.close()

        # 4. composed query: a reference photo and a change in words. The first change (of a few real
        # queries) for which the model finds close photos is shown; if none, the window's answer as it is.
        ref = str(photos / "img_00003.jpg")
        good_change = "green"
        for change in ("red", "a red triangle", "a large red triangle", "green"):
            w.query_bar.clear()
            w.query_bar.field.setText(change)
            w.query_bar.well.set_path(ref)
            wait(app, lambda: answered(w, "composed") and w.query_bar.well.reference is not None)
            if w.stack.currentWidget() is w.view:
                good_change = change
                break
            print(f"note: nothing close for the reference + {change!r}; trying another change")
        wait(
            app, lambda: w.query_bar.reference is not None and not w.query_bar.reference.preview.isNull(), 10
        )
        settle(app, w)
        grab(app, w, out / "4-composed-query.png")

        # 5. the model manager
        manager = w.open_model_manager()
        wait(app, manager.isVisible, 10)
        settle(app, w, 0.3)
        grab(app, w, out / "5-model-manager.png", manager)
        manager.close()

        # 6. no good matches (only when the model really finds nothing close)
        w.query_bar.clear()
        w.query_bar.set_text("a giraffe eating birthday cake in the snow")
        wait(app, lambda: answered(w, "text"))
        settle(app, w)
        if w.stack.currentWidget() is w.message:
            grab(app, w, out / "6-no-good-matches.png")
        else:
            print("note: the model found matches for the nonsense query; 6-no-good-matches.png not written")
        places(app, w, out)
        bursts_and_albums(app, w, out, {"bursts", "albums"})
        gallery(app, w, out, sizes, schemes, args.tag, ref, good_change)
        w.shutdown()
        w.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def places(app: Any, w: Any, out: Path) -> None:
    """Where and when: a place typed in the line becomes a chip, the side bar lists the places, the preview
    shows the photo's metadata; and a text query's close matches by month."""

    def answered(kind: str) -> bool:
        r = w.current_response
        return not w.search.busy and r is not None and r.kind == kind

    def metadata_read() -> bool:
        done, total = w.lib.catalog.meta_counts()
        return total > 0 and done >= total

    if not wait(app, metadata_read, 120):
        print("note: the metadata pass had not finished; 11-places shots not written")
        return
    w.places.refresh_places()
    wait(app, lambda: w.places.places.topLevelItemCount() > 0, 10)
    w.places.places.expandAll()
    w.query_bar.clear()
    w.query_bar.set_text("Italy")
    wait(app, lambda: answered("filters") or (w.current_response is not None and not w.search.busy))
    wait(app, lambda: bool(w.places.chips.chips()), 10)
    w.view.setCurrentIndex(w.model.index(0, 0))
    w.actions_.show_preview(0)
    wait(app, lambda: w.preview.loaded_path == w.model.result(0).path and bool(w.places.meta.text()), 20)
    settle(app, w)
    grab(app, w, out / "11-places-chips-list-preview.png")
    w.preview.close()
    w.query_bar.clear()
    w.query_bar.set_text("a red circle")
    wait(app, lambda: answered("text"))
    w.side.by_date_button.setChecked(True)
    settle(app, w)
    grab(app, w, out / "12-text-results-by-date.png")
    w.side.by_date_button.setChecked(False)
    # 👍/👎 applied: three liked and three disliked photos steer "a circle" (the window's own road)
    from photosearch.app.feedback import Verdict

    def answer_after(act: Any) -> None:
        before = w.current_response
        act()
        wait(app, lambda: w.current_response is not before and not w.search.busy)

    answer_after(lambda: w.query_bar.set_text("a circle"))
    settle(app, w)
    grab(app, w, out / "13a-feedback-before.png")
    paths = [w.model.result(i).path for i in range(min(12, w.model.rowCount()))]
    if len(paths) >= 6:
        answer_after(lambda: w.steer.mark(Verdict.LIKE, [paths[i] for i in (2, 4, 5)]))
        answer_after(lambda: w.steer.mark(Verdict.UNLIKE, [paths[i] for i in (0, 1, 3)]))
        settle(app, w)
        grab(app, w, out / "13b-feedback-applied.png")
    w.query_bar.clear()


def add_burst(photos: Path) -> None:
    """A burst: ten shots of one real scene a second apart (a yellow star without the real photos), dated in
    EXIF (after ``add_mixed_photos``: their own dates). A real scene, because the drawn shapes of one kind
    look alike to the burst detector when they carry no date taken (see the note the shot prints)."""
    from PIL import Image

    from tests.gui.steer_photos import make_burst

    src = real_inputs()
    scene = src / OPENCV / "data" / "HappyFish.jpg" if src is not None else None  # not among REAL_PHOTOS
    if scene is not None and scene.is_file():
        with Image.open(scene) as im:
            make_burst(photos / "burst", base=im.convert("RGB").resize((320, 240)))
    else:
        make_burst(photos / "burst")


def bursts_and_albums(app: Any, w: Any, out: Path, only: set[str]) -> None:
    """Bursts stacked with their count, then expanded; albums saved from 3 👍 + 3 👎 (the window's own road:
    the 👍/👎 of a search, "Save as album…"), listed in the side bar, one open."""
    from photosearch.app.feedback import Verdict

    def answer_after(act: Any) -> None:
        before = w.current_response
        act()
        wait(app, lambda: w.current_response is not before and not w.search.busy)

    if "bursts" in only:  # "photos like" one shot of the burst, bursts stacked
        w.bursts.button.setChecked(True)
        shot = str(_burst_folder(w) / "burst0.jpg")
        w.query_bar.clear()
        answer_after(lambda: w.query_bar.well.set_path(shot))
        rows = [i for i in range(w.model.rowCount()) if w.model.burst_info(i) is not None]
        if not rows:
            print("note: no burst among the photos like a shot of the burst; 14a/14b not written")
        else:
            row = rows[0]
            info = w.model.burst_info(row)
            print(
                f"burst: the first stacked tile holds {info.size} shots; "
                f"{len(rows)} of {w.model.rowCount()} tiles are stacked bursts"
            )
            w.view.verticalScrollBar().setValue(max(0, w.view.tile_rect(row).top() - 40))
            settle(app, w)
            grab(app, w, out / "14a-burst-collapsed.png")
            wait(app, lambda: w.model.ready(w.model.burst_info(row).leader), 10)
            w.bursts.toggle_row(row)
            wait(app, lambda: bool(w.model.burst_info(row).expanded), 10)
            w.view.verticalScrollBar().setValue(max(0, w.view.tile_rect(row).top() - 40))
            settle(app, w)
            grab(app, w, out / "14b-burst-expanded.png")
            w.bursts.toggle_row(row)
        w.bursts.button.setChecked(False)
        w.query_bar.clear()
    if "albums" in only:
        for text, name, want in (
            ("a red circle", "red circles", ("circle", "red")),
            ("a blue square", "blue squares", ("square", "blue")),
            ("a green triangle", "green triangles", ("triangle", "green")),
            ("a yellow star", "yellow stars", ("star", "yellow")),
        ):
            if len(w.albums.albums) >= 2:
                break
            answer_after(lambda t=text: w.query_bar.set_text(t))
            shown = [w.model.result(i).path for i in range(min(80, w.model.rowCount()))]
            labels = {p: _drawn(p) for p in shown}
            good = [p for p in shown if labels[p] == want][:3]
            bad = [p for p in shown if labels[p] is not None and labels[p] != want][:3]
            if len(good) < 3 or len(bad) < 3:
                print(f"note: not 3 + 3 examples for {name!r} among the first results; album left out")
                continue
            answer_after(lambda g=good: w.steer.mark(Verdict.LIKE, g))
            answer_after(lambda b=bad: w.steer.mark(Verdict.UNLIKE, b))
            n = len(w.albums.albums)
            w.albums.save_from_feedback(name)
            wait(app, lambda n=n: len(w.albums.albums) > n and not w.albums.tasks.busy, 60)
        if "red circles" in w.sidebar.album_names():
            answer_after(lambda: w.query_bar.clear())
            opened: list[str] = []
            w.albums.shown.connect(opened.append)
            w.albums.open("red circles")
            wait(app, lambda: bool(opened), 60)
            settle(app, w)
            grab(app, w, out / "15-albums-open.png")
            w.albums.shown.disconnect(opened.append)
        else:
            print("note: no album was saved; 15-albums-open.png not written")
    w.query_bar.clear()


def _burst_folder(w: Any) -> Path:
    folder = next(f.path for f in w.state.summary.folders)
    return Path(folder) / "burst"


def _drawn(path: str) -> tuple[str, str] | None:
    """(shape, colour) of a drawn photo, from the labels file ``make_library`` writes beside it; None for
    other photos."""
    from models.tools.shapes import load_labels

    folder = Path(path).parent
    labels = _LABELS.get(folder)
    if labels is None:
        try:
            labels = {str(f): (v.shape, v.colour) for f, v in load_labels(folder)}
        except (OSError, ValueError, KeyError):
            labels = {}
        _LABELS[folder] = labels
    return labels.get(path)


_LABELS: dict[Path, dict[str, tuple[str, str]]] = {}


def gallery(
    app: Any,
    w: Any,
    out: Path,
    sizes: list[tuple[int, int]],
    schemes: list[str],
    tag: str,
    ref: str,
    change: str,
) -> None:
    """The shots of issue 19 at every size and scheme, on the indexed library."""

    def answered(kind: str) -> bool:
        r = w.current_response
        return not w.search.busy and r is not None and r.kind == kind

    first = True
    for scheme in schemes:
        if not set_scheme(app, scheme == "dark"):
            print(f"note: the platform did not switch to the {scheme} scheme; those shots are left out")
            continue
        for size in sizes:
            name = f"{size[0]}x{size[1]}-{scheme}{tag}"
            w.resize(*size)
            # the library by month, scrolled into the second month so the top header sticks
            w.query_bar.clear()
            wait(app, lambda: answered("browse") and w.stack.currentWidget() is w.view)
            w.view.finish_layout()
            heads = w.view.lay.headers
            if len(heads) > 1:
                w.view.verticalScrollBar().setValue(heads[1].y + 3 * w.view.thumb_size // 2)
            settle(app, w)
            grab(app, w, out / f"7-browse-by-date-{name}.png")
            # the viewer on a real photo when there is one, with the details
            rows = [i for i, r in enumerate(w.model.results) if "/camera/" in r.path] or [0]
            w.viewer.open_row(rows[0])
            wait(app, lambda: w.viewer.loaded_path == w.viewer.path, 20)
            if not w.viewer.details.isVisible():
                w.viewer.act("details")
            settle(app, w, 0.3)
            grab(app, w, out / f"8-viewer-{name}.png")
            w.viewer.act("details")
            w.viewer.close_viewer()
            # a text query: close matches, then the divider
            w.query_bar.set_text("a red circle")
            wait(app, lambda: answered("text"))
            w.view.verticalScrollBar().setValue(0)
            settle(app, w)
            grab(app, w, out / f"3-text-results-{name}.png")
            # a composed query
            w.query_bar.clear()
            w.query_bar.field.setText(change)
            w.query_bar.well.set_path(ref)
            wait(app, lambda: answered("composed") and w.query_bar.well.reference is not None)
            wait(
                app,
                lambda: w.query_bar.reference is not None and not w.query_bar.reference.preview.isNull(),
                10,
            )
            settle(app, w)
            grab(app, w, out / f"4-composed-query-{name}.png")
            if first:  # the filter bar with active filters, and "?"
                first = False
                w.query_bar.clear()
                wait(app, lambda: answered("browse"))
                bar = w.side
                bar.orientation_combo.setCurrentIndex(bar.orientation_combo.findData("portrait"))
                next(cb for cb, fmts in bar.type_boxes if fmts == ("png",)).setChecked(False)
                wait(app, lambda: answered("browse"))
                settle(app, w)
                grab(app, w, out / f"9-filters-{name}.png")
                bar.reset()
                wait(app, lambda: answered("browse"))
                w.show_shortcuts()
                settle(app, w, 0.3)
                grab(app, w, out / f"10-shortcuts-{name}.png", w.shortcuts_dialog)
                w.shortcuts_dialog.close()
    set_scheme(app, False)


if __name__ == "__main__":
    main()
