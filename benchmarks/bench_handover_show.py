"""How long until the open window shows a change the CLI handed over to it (issue 18: "within 2 s").

A real window (offscreen Qt) owns a library with the shapes model; `photosearch folders add` and `photosearch
models import` run as separate processes. For each: the CLI's own run time, and the time from the CLI's answer
to the window showing the change (the folder in the side panel's list; the model in the open model manager),
and from the CLI's start. Run: ``python benchmarks/bench_handover_show.py``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PHOTOSEARCH_IMAGE_BACKEND", "onnxruntime")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from PySide6.QtCore import QSettings

    from photosearch.config import Paths
    from photosearch.gui.app import create_application, start_owner
    from photosearch.gui.main_window import MainWindow
    from photosearch.library.library import Library
    from photosearch.models.install import install_package_dir
    from tests.support.photos import make_photos
    from tests.tinymodel import build_tiny_model

    tmp = Path(tempfile.mkdtemp(prefix="ps-handover-"))
    paths = Paths.resolve(tmp / "data")
    with Library(paths, write=True, purpose="bench") as lib:
        pkg = install_package_dir(ROOT / "tests" / "fixtures" / "shapes-model", paths.models_dir)
        lib.set_active_model(pkg.id)
    app = create_application(["bench"])
    w = MainWindow(paths, settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), watch=False)
    w.show()

    def spin(cond: Any, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise SystemExit("timed out")
            app.processEvents()
            time.sleep(0.002)

    spin(lambda: w.library is not None and w.search.engine is not None)
    owner = start_owner(w, paths)
    env = dict(os.environ, PHOTOSEARCH_DATA_DIR=str(paths.data_dir), PYTHONPATH=str(ROOT))

    def run(argv: list[str], shown: Any, what: str) -> None:
        out: dict[str, float] = {}

        def cli() -> None:
            out["start"] = time.monotonic()
            p = subprocess.run(
                [sys.executable, "-m", "photosearch", *argv], env=env, capture_output=True, text=True
            )
            out["end"] = time.monotonic()
            out["rc"] = p.returncode

        t = threading.Thread(target=cli)
        t.start()
        spin(lambda: "end" in out and shown(), 120)
        seen = time.monotonic()
        t.join()
        print(
            f"{what:22} exit {int(out['rc'])}; CLI ran {out['end'] - out['start']:.2f} s; window showed it "
            f"{max(0.0, seen - out['end']):.2f} s after the CLI's answer ({seen - out['start']:.2f} s after its start)"
        )

    more = tmp / "more"
    make_photos(more, 3)
    run(
        ["folders", "add", str(more)],
        lambda: str(more) in [f.path for f in w.folders.folders()],
        "folders add",
    )
    manager = w.open_model_manager()
    tiny = build_tiny_model(tmp / "tiny-random")
    run(
        ["models", "import", str(tiny)],
        lambda: any(r.installed and r.id != pkg.id for r in manager.rows),
        "models import",
    )
    owner.stop()
    w.shutdown()


if __name__ == "__main__":
    main()
