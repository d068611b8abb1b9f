"""Forgetting a library from the window: ask, stop the indexing service, close the library, delete what
``photosearch.app.forget`` deletes, and open the (now empty) library again — all but the question on the
library worker, so the window stays responsive."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from photosearch.gui.main_window import Opened, open_library


def forget_library(window: Any, confirm: bool = True) -> None:
    """Delete everything PhotoSearch derived from the photos (after the person agrees), then start afresh
    with an empty library. The service stops, the library closes and the files go on the library worker."""
    from photosearch.app.forget import forget, what_would_go

    if window.library is None or window.read_only:
        window.error_box(
            "Can't forget this library now", "Another PhotoSearch is using it; close that first."
        )
        return
    if confirm:
        names = ", ".join(p.name for p in what_would_go(window.paths)) or "nothing"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Forget this library?",
            f"PhotoSearch will delete what it made from your photos in {window.paths.data_dir} ({names}). "
            "Your photos and your installed models stay. Indexing starts again from nothing.",
            QMessageBox.StandardButton.Cancel,
            window,
        )
        go = box.addButton("Forget", QMessageBox.ButtonRole.DestructiveRole)
        box.exec()
        if box.clickedButton() is not go:
            return
    lib, bridge = window.library, window.indexing
    window.library, window.indexing = None, None
    window.search.generation += 1  # answers still on their way belong to the old library
    window.search.engine = None
    window.search.catalog = None
    window.model.clear()
    window.message.show_message("Forgetting this library…")
    window.stack.setCurrentWidget(window.message)

    def work() -> Opened:
        if bridge is not None:
            bridge.stop()
        lib.close()
        forget(window.paths)
        return open_library(window.paths)

    def done(opened: Opened) -> None:
        if bridge is not None:
            bridge.deleteLater()
        window.status.say("Forgot the library: add your folders again to index them")
        window._library_ready(opened)  # the window's own opening step, as at start

    window.library_tasks.submit(work, done, window._library_failed)
