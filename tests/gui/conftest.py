"""GUI test helpers: a library on disk (model installed, photos added and optionally indexed), a main
window with settings in a temp file, and a teardown that leaves no worker running."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool

from photosearch.config import Paths
from tests.support.library import prepare_library

__all__ = ["prepare_library", "wait_listed", "wait_results"]


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    QCoreApplication.setOrganizationName("PhotoSearchTests")
    QCoreApplication.setApplicationName("PhotoSearchTests")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot: Any, settings: QSettings) -> Iterator[Callable[..., Any]]:
    from photosearch.gui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(paths: Paths, *, wait_engine: bool = True, prompt_model: bool = False, **kw: Any) -> MainWindow:
        w = MainWindow(paths, settings=settings, watch=False, prompt_model=prompt_model, **kw)
        qtbot.addWidget(w)
        windows.append(w)
        w.show()
        qtbot.waitUntil(lambda: w.library is not None, timeout=10000)
        if wait_engine and w.lib.active_model_id() is not None:
            qtbot.waitUntil(lambda: w.search.engine is not None, timeout=20000)
        return w

    yield make
    for w in windows:
        w.shutdown()
    QThreadPool.globalInstance().waitForDone(10000)


def wait_results(qtbot: Any, w: Any, timeout: int = 15000) -> None:
    """Wait until the current query has been answered (results, or a message)."""
    qtbot.waitUntil(lambda: not w.search.busy and w.current_response is not None, timeout=timeout)


def wait_listed(qtbot: Any, dlg: Any, timeout: int = 15000) -> Any:
    """Wait until the model manager shows its newest listing (read on a worker thread); returns the dialog."""
    qtbot.waitUntil(lambda: not dlg.loading, timeout=timeout)
    return dlg
