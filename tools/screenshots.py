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

        def window(paths: Paths, prompt: bool = False) -> MainWindow:
            w = MainWindow(paths, settings=settings, watch=False, prompt_model=prompt)
            w.resize(1180, 760)
            w.show()
            wait(app, lambda: w.library is not None and w.state.loaded)
            return w

        def answered(w: MainWindow, kind: str) -> bool:
            r = w.current_response
            return not w.search.busy and r is not None and r.kind == kind

        # 1. first run
        w = window(Paths.resolve(tmp / "empty"), prompt=True)
        wait(app, lambda: w.model_dialog is not None and w.model_dialog.isVisible(), 10)
        settle(app, w)
        grab(app, w, out / "1-first-run.png", w.model_dialog)
        w.model_dialog.close()
        w.shutdown()
        w.close()

        # 2. results growing while a folder is indexed: the model installed, a folder added in the window,
        # a query typed once; the real indexer fills the library and the results follow
        photos = tmp / "Pictures"
        make_library(photos, 1500, seed=7, image_size=(320, 240), fmt="jpg")
        paths = Paths.resolve(tmp / "data")
        with Library(paths, write=True, purpose="screenshots") as lib:
            pkg = install_package_dir(model, paths.models_dir)
            lib.set_active_model(pkg.id)
        w = window(paths)
        wait(app, lambda: w.search.engine is not None)
        w.folders.add_folder(str(photos))
        wait(app, lambda: bool(w.state.summary.folders))
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
        for change in ("red", "a red triangle", "a large red triangle", "green"):
            w.query_bar.clear()
            w.query_bar.field.setText(change)
            w.query_bar.well.set_path(ref)
            wait(app, lambda: answered(w, "composed") and w.query_bar.well.reference is not None)
            if w.stack.currentWidget() is w.view:
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
        w.shutdown()
        w.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
