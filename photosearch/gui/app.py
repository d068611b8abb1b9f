"""Starting the desktop app: logging to a rotating file, the QApplication (HiDPI, system palette, icon),
an excepthook that shows unexpected errors in a dialog, and the main window (shown before any model
loads: the model loads in the background after the window is up)."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from photosearch.config import APP_NAME, Paths

log = logging.getLogger(__name__)

LOG_FILE = "photosearch-gui.log"


def setup_logging(paths: Paths, level: int = logging.INFO) -> logging.Handler:
    """A rotating log file under ``paths.log_dir`` (1 MB × 3), attached to the root logger."""
    paths.log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        paths.log_dir / LOG_FILE, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return handler


def make_excepthook(parent_getter: Any = None) -> Any:
    """An excepthook that logs the traceback and shows it in a dialog (never kills the app)."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("unhandled exception", exc_info=(exc_type, exc, tb))
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is None:
            sys.__excepthook__(exc_type, exc, tb)
            return
        parent = parent_getter() if parent_getter else None
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Something went wrong",
            f"PhotoSearch hit an unexpected problem:\n\n{exc}\n\nYour photos and library are safe. "
            "The details were written to the log file.",
            QMessageBox.StandardButton.Ok,
            parent,
        )
        box.setDetailedText("".join(traceback.format_exception(exc_type, exc, tb)))
        box.open()
        hook.last_box = box  # type: ignore[attr-defined]

    return hook


def create_application(argv: list[str] | None = None) -> Any:
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from photosearch.gui.resources import resource_path, style_sheet

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else None
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        QCoreApplication.setOrganizationName(APP_NAME)
        QCoreApplication.setApplicationName(APP_NAME)
        app = QApplication(argv if argv is not None else sys.argv)
    QGuiApplication.setDesktopFileName("photosearch")
    icon = resource_path("icon.svg") or resource_path("icon.png")
    if icon:
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyleSheet(style_sheet())  # palette() references only: light or dark follows the system
    return app


def split_paths(
    similar: str | None, add_folders: list[str], paths: list[str]
) -> tuple[str | None, list[str]]:
    """What the command line asks for: a file to search by and folders to add (plain PATHs, as a file
    manager passes them: a folder is added, the first file is searched by)."""
    folders = [os.path.abspath(os.path.expanduser(d)) for d in add_folders]
    for p in paths:
        full = os.path.abspath(os.path.expanduser(p))
        if os.path.isdir(full):
            folders.append(full)
        elif similar is None:
            similar = full
    return (os.path.abspath(os.path.expanduser(similar)) if similar else None), folders


def apply_arguments(window: Any, similar: str | None, add_folders: list[str]) -> None:
    """Add the folders (the window says why when one is refused), then search by ``similar``."""
    from PySide6.QtWidgets import QMessageBox

    for d in add_folders:
        window.folders.add_folder(d)
    if not similar:
        return
    problem = None
    if not os.path.isfile(similar):
        problem = f"{similar} is not a file (it may have been moved or deleted)."
    elif not window.query_bar.well.set_path(similar):  # on success the search runs (once the model is ready)
        problem = f"{os.path.basename(similar)} is not a photo PhotoSearch can read."
    if problem:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Can't search by this file",
            problem,
            QMessageBox.StandardButton.Ok,
            window,
        )
        box.open()
        window.arguments_box = box


def hand_over_launch(paths: Paths, similar: str | None, add_folders: list[str]) -> bool:
    """A second launch: bring the running window forward and give it our arguments. False when no window
    of this library is running (or its owner is ``photosearch watch``): then this one starts."""
    from photosearch.app.handover import HandoverError, NoOwner, hand_over

    try:
        hand_over(paths.data_dir, "window.show", {"similar": similar, "add_folders": add_folders}, timeout=30)
    except NoOwner:
        return False
    except (HandoverError, OSError, ValueError) as e:
        log.info("the running owner did not take this launch (%s): starting a window", e)
        return False
    return True


def start_owner(window: Any, paths: Paths) -> Any:
    """Make this window the library's owner for other processes: a second launch's arguments, and the
    CLI's ``folders`` changes (run here, on the GUI thread) and ``models`` changes (run on the hand-over thread,
    then shown by the window) take effect at once. Returns the Owner."""
    from concurrent.futures import Future

    from PySide6.QtCore import QObject, Qt, Signal

    from photosearch.app.handover import HandoverError, Owner, folder_request, index_request, models_request
    from photosearch.errors import IndexLocked

    class GuiCall(QObject):
        call = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

        def _run(self, job: Any) -> None:
            fn, fut = job
            try:
                fut.set_result(fn())
            except BaseException as e:  # handed back to the caller's thread
                fut.set_exception(e)

        def __call__(self, fn: Any) -> Any:
            fut: Future[Any] = Future()
            self.call.emit((fn, fut))
            return fut.result(timeout=300)

    runner = GuiCall()
    window.handover_runner = runner

    def show(args: dict[str, Any], _progress: Any) -> Any:
        def do() -> Any:
            if window.isMinimized():
                window.showNormal()
            window.raise_()
            window.activateWindow()
            apply_arguments(window, args.get("similar"), [str(d) for d in args.get("add_folders") or []])
            return {"shown": True}

        return runner(do)

    def folders(args: dict[str, Any], _progress: Any) -> Any:
        def do() -> Any:
            lib = window.library
            if lib is None:
                raise HandoverError(
                    "the running PhotoSearch is still opening this library: try again in a moment"
                )
            if window.indexing is None:
                raise IndexLocked(
                    "the open window cannot change this library (another PhotoSearch process is updating it)"
                )
            result = folder_request(args, lib, window.indexing.service if window.indexing.running else None)
            window.state.refresh()
            return result

        return runner(do)

    def index(args: dict[str, Any], progress: Any) -> Any:  # waits on this thread; the service is thread-safe
        bridge = runner(lambda: window.indexing)
        if window.library is None:
            raise HandoverError(
                "the running PhotoSearch is still opening this library: try again in a moment"
            )
        return index_request(
            args, window.library, bridge.service if bridge is not None and bridge.running else None, progress
        )

    def models(args: dict[str, Any], progress: Any) -> Any:  # an import or a download: off the UI thread
        lib = window.library
        if lib is None:
            raise HandoverError(
                "the running PhotoSearch is still opening this library: try again in a moment"
            )
        if window.indexing is None:
            raise IndexLocked(
                "the open window cannot change this library (another PhotoSearch process is updating it)"
            )
        result = models_request(args, lib, progress)
        window.models_changed_elsewhere.emit(result)  # queued: the window shows it on its own thread
        return result

    owner = Owner(paths.data_dir, {"window.show": show, "folders": folders, "index": index, "models": models})
    owner.start()
    return owner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="photosearch-gui", description="PhotoSearch desktop app")
    parser.add_argument("--data-dir", help="where the catalog, index and models live")
    parser.add_argument("--no-watch", action="store_true", help="don't watch folders for changes")
    parser.add_argument("--similar", metavar="FILE", help="open searching for photos like FILE")
    parser.add_argument("--add-folder", action="append", default=[], metavar="DIR", help="add this folder")
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="an image: search for photos like it; a folder: add it (what a file manager passes)",
    )
    parser.add_argument("--quit-after-show", action="store_true", help=argparse.SUPPRESS)
    args, qt_args = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    similar, add_folders = split_paths(args.similar, args.add_folder, args.paths)
    t0 = time.perf_counter()
    from photosearch.gui import preflight

    problem = preflight.check()  # before Qt: a missing system library would abort the process (exit 134)
    if problem:
        print(problem, file=sys.stderr)
        return preflight.EXIT_CANNOT_START
    paths = Paths.resolve(args.data_dir)
    if hand_over_launch(paths, similar, add_folders):
        return 0  # the running window took it
    setup_logging(paths)
    app = create_application([sys.argv[0], *qt_args])
    from PySide6.QtCore import QTimer

    from photosearch.config import setting
    from photosearch.gui.main_window import MainWindow

    window = MainWindow(paths, watch=not args.no_watch)
    owner = start_owner(window, paths)
    sys.excepthook = make_excepthook(lambda: window)
    report = setting("PHOTOSEARCH_GUI_SHOWN_FILE")  # benchmarks: wall-clock time the window was up
    if report:  # queued before show(): runs on the first loop turn, after the window's first paint
        QTimer.singleShot(0, lambda: Path(report).write_text(f"{time.time():.6f} {window.isVisible()}"))
    window.show()
    log.info("window visible %.0f ms after start", 1000 * (time.perf_counter() - t0))
    if similar or add_folders:  # after the window's own first-turn work (queued by its first show)
        QTimer.singleShot(0, lambda: apply_arguments(window, similar, add_folders))
    if args.quit_after_show:
        QTimer.singleShot(0, window.close)
    code = app.exec()
    owner.stop()
    window.shutdown()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
