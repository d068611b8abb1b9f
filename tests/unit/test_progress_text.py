"""How progress reads, pinned before the two renderers (CLI line, GUI status bar) became one."""

from __future__ import annotations

from photosearch.progress import Progress

CASES = {
    "scan-start": Progress("scanning", message="looking for new, changed and removed photos"),
    "scan-done": Progress("scanning", 120, 120),
    "embed-start": Progress("embedding", 0, 0),
    "embed": Progress("embedding", 40, 120, rate=3.25, eta=25.0, errors=2),
    "embed-paused": Progress("embedding", 40, 120, rate=0.0, eta=None, paused=True),
    "embed-hours": Progress("embedding", 1, 90000, rate=2.0, eta=45000.0),
    "saving": Progress("saving", message="saving the search index"),
    "done": Progress("done", 120, 120, errors=2, encoded=118),
    "cancelled": Progress("cancelled", 40, 120),
    "error": Progress("error", message="disk full"),
    "idle": Progress("idle", 5, 5),
    "stopped": Progress("stopped"),
}


def render_cli() -> dict[str, str]:
    from photosearch.cli import format_progress

    return {k: format_progress(p) for k, p in CASES.items()}


def test_cli_progress_line() -> None:
    assert render_cli() == {
        "scan-start": "Scanning folders… looking for new, changed and removed photos",
        "scan-done": "Scanned 120 photos",
        "embed-start": "Indexing 0/0",
        "embed": "Indexing 40/120 · 3.2 photos/s · 25 s left · 2 skipped",
        "embed-paused": "Indexing 40/120 · paused",
        "embed-hours": "Indexing 1/90,000 · 2.0 photos/s · 12 h 30 min left",
        "saving": "Saving… saving the search index",
        "done": "Done: 120 photos processed, 118 embedded, 2 skipped",
        "cancelled": "Cancelled…",
        "error": "Error… disk full",
        "idle": "Idle…",
        "stopped": "Stopped…",
    }


def render_gui() -> dict[str, str]:
    import pytest

    pytest.importorskip("PySide6")
    from photosearch.gui.main_window import progress_text

    return {k: progress_text(p) for k, p in CASES.items()}


def test_gui_status_text() -> None:
    assert render_gui() == {
        "cancelled": "Indexing stopped",
        "done": "",
        "embed": "Indexing 40 / 120 · 3.2 photos/s · 25 s left",
        "embed-hours": "Indexing 1 / 90,000 · 2.0 photos/s · 12 h 30 min left",
        "embed-paused": "Paused — Indexing 40 / 120",
        "embed-start": "Indexing…",
        "error": "Indexing stopped: disk full",
        "idle": "",
        "saving": "Saving the search index…",
        "scan-done": "Looking for new and changed photos…",
        "scan-start": "Looking for new and changed photos…",
        "stopped": "",
    }
