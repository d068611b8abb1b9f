"""``photosearch models calibrate``: set a model's text relevance line on the person's own library, without
labelled queries (:mod:`photosearch.search.selfcal`), and keep it in the catalog for that library and model.

No Qt, no printing: the CLI, the window's model manager and a running owner (the hand-over) show what this
returns.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from photosearch.errors import LibraryTooSmall, PhotoSearchError
from photosearch.library.library import Library
from photosearch.search import selfcal
from photosearch.search.cutoff import forget_rule, save_rule
from photosearch.search.line import LineSource

__all__ = ["Calibrated", "LibraryTooSmall", "calibrate_model", "forget_calibration", "text_line_source"]


@dataclass(frozen=True)
class Calibrated:
    """What a calibration did, for the person."""

    model: str
    photos: int
    queries: int
    share: float  # the share of generated queries allowed to pass
    passed: float  # the share that passes at the new line
    line: float
    noise_line: float  # where the generated queries put the line (never below selfcal.FLOOR)
    raw_line: float  # where they put it without the floor
    guard: float
    before: str  # the line's source before (LineSource words)
    before_line: float | None  # None: there was no text line
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The calibration in plain words (what ``photosearch models calibrate`` prints)."""
        was = (
            "before: no line for text queries (the model was uncalibrated)"
            if self.before_line is None
            else f"before: {self.before_line:.2f} ({self.before})"
        )
        where = (
            f"{self.noise_line:.2f}, where the generated queries put it"
            if self.raw_line >= self.noise_line
            else f"{self.noise_line:.2f} (the generated queries stay below {self.raw_line:.2f} here, and a line "
            "is never below 0: a match must describe a photo better than the best everyday caption)"
        )
        return [
            f"calibrated the relevance line of {self.model} on this library, in {self.seconds:.1f} s:",
            f"  {self.photos:,} photos and {self.queries} generated queries that cannot match anything "
            "(made-up words, other alphabets, symbols, file names, words without meaning);",
            f"  {100 * self.passed:.1f} % of them pass the new line (at most {100 * self.share:g} % allowed);",
            f"  the line sits at a margin of {self.line:.2f} over everyday captions: {where}, plus "
            f"{self.guard:.2f} for queries that mean something this library lacks (no generated query can "
            "stand for those);",
            f"  {was}; searches now say 'calibrated on this library'",
        ]


def calibrate_model(lib: Library, model_id: str | None = None) -> Calibrated:
    """Self-calibrate ``model_id`` (default: the model searches use) on ``lib`` and store the line in the
    catalog (``cutoff:<model id>``; photo queries keep the model's own line). Raises ``LibraryTooSmall``
    below :data:`selfcal.MIN_PHOTOS` photos embedded with the model, ``ModelNotInstalled`` for an unknown
    model."""
    t0 = time.perf_counter()
    engine = selfcal.LibraryLine(lib.catalog, lib.runtime(_installed(lib, model_id)))
    n = len(lib.catalog.visible_labels(engine.runtime.id))
    before, source = engine.line_and_source("text")
    if n < selfcal.MIN_PHOTOS:
        now = (
            "the model is uncalibrated: its text results are not sorted into good and weak"
            if source is LineSource.UNCALIBRATED
            else f"its text line is the one {source.value}"
        )
        raise LibraryTooSmall(
            f"calibrating needs at least {selfcal.MIN_PHOTOS} photos embedded with {engine.runtime.id}; this "
            f"library has {n} — add photos and index them, then calibrate again (until then {now})"
        )
    sc = selfcal.calibrate_engine(engine)
    save_rule(lib.catalog, engine.runtime.id, selfcal.rule_for(sc, time.time()))
    return Calibrated(
        model=engine.runtime.id,
        photos=sc.photos,
        queries=sc.queries,
        share=sc.share,
        passed=sc.passed,
        line=sc.line,
        noise_line=sc.noise_line,
        raw_line=sc.raw_line,
        guard=sc.guard,
        before=source.value,
        before_line=float(before) if np.isfinite(before) else None,
        seconds=time.perf_counter() - t0,
    )


def text_line_source(lib: Library, model_id: str) -> str:
    """Where ``model_id``'s text line comes from in ``lib``, in words (``LineSource``: "calibrated on this
    library", "calibrated for this model", "uncalibrated"); "" when the model cannot be read."""
    try:
        return selfcal.LibraryLine(lib.catalog, lib.runtime(model_id)).line_and_source("text")[1].value
    except PhotoSearchError:
        return ""


def forget_calibration(lib: Library, model_id: str | None = None) -> dict[str, Any]:
    """Undo ``calibrate_model``: drop this library's line for ``model_id`` (default: the model in use); the
    model's own line (or none: uncalibrated) applies again. Returns ``model``, ``forgotten`` (there was one)
    and ``now`` (where the text line comes from afterwards)."""
    rt = lib.runtime(_installed(lib, model_id))
    forgotten = forget_rule(lib.catalog, rt.id)
    return {"model": rt.id, "forgotten": forgotten, "now": text_line_source(lib, rt.id)}


def _installed(lib: Library, model_id: str | None) -> str | None:
    """``model_id`` when installed (None: the model in use); else the not-installed error with a hint."""
    if model_id is not None and not (lib.paths.models_dir / model_id / "manifest.json").is_file():
        from photosearch.app.model_checks import not_installed

        raise not_installed(lib.paths, model_id)
    return model_id
