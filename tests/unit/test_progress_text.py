"""How progress reads: one renderer (``photosearch.progress.describe``) for the CLI line and the GUI status bar."""

from __future__ import annotations

import json

import pytest

from photosearch.progress import Progress, ProgressPhase, describe

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
    "done-scan-rejects": Progress("done", 5, 5, errors=3, encoded=2, extra={"scan": {"errors": 2}}),
    "done-nothing-new": Progress("done", 0, 0, extra={"scan": {"errors": 0}}),
    "stopped": Progress("stopped"),
}


def test_one_renderer_for_the_cli_and_the_gui() -> None:
    """``describe`` is the only place progress becomes words: the CLI's live line and the GUI's status bar
    both show it (before, two renderers said different things for the same event)."""
    assert {k: describe(p) for k, p in CASES.items()} == {
        "scan-start": "Looking for new and changed photos…",
        "scan-done": "Scanned 120 photos",
        "embed-start": "Indexing…",
        "embed": "Indexing 40 / 120 · 3.2 photos/s · 25 s left · 2 skipped",
        "embed-paused": "Paused — Indexing 40 / 120",
        "embed-hours": "Indexing 1 / 90,000 · 2.0 photos/s · 12 h 30 min left",
        "saving": "Saving the search index…",
        "done": "Done: 120 photos processed, 118 embedded, 2 skipped",
        "cancelled": "Indexing stopped",
        "error": "Indexing stopped: disk full",
        "idle": "Done: 5 photos processed, 0 embedded, 0 skipped",
        "done-scan-rejects": "Done: 7 photos processed, 2 embedded, 5 skipped",
        "done-nothing-new": "Done: no new or changed photos",
        "stopped": "",
    }


def test_phases_are_typed_and_still_read_as_strings() -> None:
    p = Progress("embedding", 1, 2)
    assert p.phase is ProgressPhase.EMBEDDING and p.phase == "embedding" and f"{p.phase}" == "embedding"
    assert json.loads(json.dumps(p.to_json()))["phase"] == "embedding"
    with pytest.raises(ValueError):
        Progress("sleeping")


def test_the_cli_line_shows_the_same_words(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from photosearch.cli import ProgressLine

    line = ProgressLine(stream=sys.stderr)
    line(CASES["done"])
    assert capsys.readouterr().err.strip() == describe(CASES["done"])
