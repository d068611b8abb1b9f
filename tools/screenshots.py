"""Render screenshots of the real window (offscreen Qt, QWidget.grab) into screenshots/ (git-ignored):

    python tools/screenshots.py [--out screenshots] [--model DIR]

1-first-run.png          no folders, no model: the welcome panel and the model setup dialog
2-text-results.png       a text query on an indexed library of shapes photos
2b-preview.png           the preview panel beside the results (Space)
3-composed-query.png     a reference photo in the well + a change in words, the balance slider
4-indexing.png           a folder of photos being indexed (status bar progress, pause button)
5-no-good-matches.png    a query with nothing close in the library

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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
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
        x, y = (pm.width() - d.width()) // 2, (pm.height() - d.height()) // 3
        p.fillRect(x - 2, y - 2, d.width() + 4, d.height() + 4, QColor(90, 90, 90))
        p.drawPixmap(x, y, d)
        p.end()
    pm.save(str(path))
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "screenshots"))
    ap.add_argument("--model")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ps-shots-"))
    os.environ["HOME"] = str(tmp / "home")
    try:
        from PySide6.QtCore import QSettings

        from photosearch.config import Paths
        from photosearch.gui.app import create_application
        from photosearch.gui.main_window import MainWindow
        from photosearch.indexing.pipeline import Indexer
        from photosearch.library.library import Library
        from photosearch.models.install import install_package_dir

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

        def window(paths: Paths, prompt: bool = False) -> MainWindow:
            w = MainWindow(paths, settings=settings, watch=False, prompt_model=prompt)
            w.resize(1180, 760)
            w.show()
            wait(app, lambda: w.library is not None)
            return w

        # 1. first run
        w = window(Paths.resolve(tmp / "empty"), prompt=True)
        wait(app, lambda: w.model_dialog is not None and w.model_dialog.isVisible(), 10)
        settle(app, w)
        grab(app, w, out / "1-first-run.png", w.model_dialog)
        w.model_dialog.close()
        w.shutdown()
        w.close()

        # an indexed library
        photos = tmp / "Pictures"
        make_library(photos, 160, seed=7, image_size=(320, 240), fmt="jpg")
        paths = Paths.resolve(tmp / "data")
        with Library(paths, write=True, purpose="screenshots") as lib:
            pkg = install_package_dir(model, paths.models_dir)
            lib.set_active_model(pkg.id)
            lib.add_folder(photos)
            for _ in Indexer(lib).run():
                pass
        w = window(paths)
        wait(app, lambda: w.search.engine is not None)

        # 2. text results
        w.query_bar.set_text("a red circle")
        wait(
            app,
            lambda: not w.search.busy and w.current_request is not None and w.current_request.kind == "text",
        )
        settle(app, w)
        grab(app, w, out / "2-text-results.png")

        # 2b. the preview panel on the second result
        w.view.setFocus()
        w.view.setCurrentIndex(w.model.index(1, 0))
        w.show_preview(1)
        wait(app, lambda: w.preview.loaded_path == w.model.result(1).path)
        settle(app, w)
        grab(app, w, out / "2b-preview.png")
        w.preview.close()

        # 3. composed query
        w.query_bar.field.setText("green")
        w.query_bar.well.set_path(str(photos / "img_00003.jpg"))
        wait(
            app,
            lambda: (
                not w.search.busy and w.current_response is not None and w.current_response.kind == "composed"
            ),
        )
        settle(app, w)
        grab(app, w, out / "3-composed-query.png")

        # 5. no good matches
        w.query_bar.clear()
        w.query_bar.set_text("a giraffe eating birthday cake in the snow")
        wait(
            app,
            lambda: (
                not w.search.busy and w.current_response is not None and w.current_response.kind == "text"
            ),
        )
        settle(app, w)
        name = "5-no-good-matches.png"
        if w.stack.currentWidget() is not w.message:
            print(
                "note: the model found matches for the nonsense query; rendering the state from its results"
            )
            from photosearch.search.engine import SearchResponse

            for r in w.current_response.results:
                r.passed = False
            w._search_finished(
                w.current_request,
                SearchResponse(w.current_response.results, "text", w.current_response.library_size),
            )
            name = "5-no-good-matches-simulated.png"
        grab(app, w, out / name)
        w.shutdown()
        w.close()

        # 4. indexing in progress
        more = tmp / "Camera"
        make_library(more, 400, seed=9, image_size=(1600, 1200), fmt="jpg")
        w = window(paths)
        wait(app, lambda: w.search.engine is not None)
        w.query_bar.clear()
        w.add_folder(str(more))
        wait(
            app,
            lambda: (
                w.last_progress is not None
                and w.last_progress.phase == "embedding"
                and 0 < w.last_progress.done < w.last_progress.total
                and w.last_progress.rate > 0
            ),
            120,
        )
        w.run_query()
        settle(app, w, 0.3)
        grab(app, w, out / "4-indexing.png")
        w.shutdown()
        w.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
