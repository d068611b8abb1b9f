"""The second indexing pass: reading the words in photos (OCR), after embedding.

``TextPass`` reads the photos the catalog lists as pending for text (``Catalog.text_pending``: one file per
content hash with no stored text, in online folders whose ``read_text`` switch is on) and stores each
result at once, so the catalog is the pass's own state: a killed pass resumes where it stopped and never
reads a finished photo again; a moved or renamed photo keeps its text (it is keyed by content hash).
Detection runs on a reduced decode (JPEG draft mode through ``photosearch.library.imaging.open_image``),
recognition on full-resolution crops of the regions found (``photosearch.text.ocr.TextReader``).

``TextSteps`` is the indexing service's part that runs the pass only while embedding has nothing to do: it
reads one photo at a time and gives way whenever changes, scans or embedding work arrive.

Privacy: recognised text is never logged (only counts and file paths).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import EllipsisType

from photosearch.config import setting_int
from photosearch.errors import ManifestError, PhotoSearchError
from photosearch.indexing.state import ServiceState
from photosearch.library.imaging import open_image
from photosearch.models.text_reader_pkg import BUNDLED_ID, choices_made, chosen, load_text_reader
from photosearch.progress import Progress, ProgressPhase, RateMeter, WorkControl
from photosearch.store.catalog import Catalog, FileRow
from photosearch.store.catalog_text import StoredLine
from photosearch.text.match import index_form
from photosearch.text.ocr import DET_SIDE, OcrUnavailable, ReadInterrupted, TextReader

log = logging.getLogger(__name__)

BUDGET_S = 8.0  # CPU seconds per photo for recognition; lines read before it runs out are kept
ENV_THREADS = "PHOTOSEARCH_TEXT_THREADS"


def text_threads() -> int:
    """Threads for reading text: every core (up to 4). The pass runs only while embedding is idle, so the
    cores are free; more urgent work interrupts it between steps."""
    return max(1, setting_int(ENV_THREADS) or min(4, os.cpu_count() or 1))


class TextPass:
    """Reads pending photos' text into the catalog (see the module docstring)."""

    def __init__(
        self,
        catalog: Catalog,
        reader: TextReader | None = None,
        models_dir: Path | None = None,
        choice: str | None | EllipsisType = ...,
    ) -> None:
        self.catalog = catalog
        self.unavailable: str | None = None  # why text cannot be read here (the OCR package is missing)
        # the text reader chosen with 'photosearch models use' (an added recognition model), checked now:
        # a changed or missing file stops the pass with the reason, never a read with another model
        recognition = None
        self.chosen = chosen(catalog) if choice is ... else choice  # given: read by the caller just now
        if reader is None and self.chosen and self.chosen != BUNDLED_ID and models_dir is not None:
            try:
                pkg = load_text_reader(models_dir, self.chosen)
                recognition = (pkg.model_path, pkg.dict_path)
            except ManifestError as e:
                self.unavailable = str(e)
                log.warning("text pass skipped: %s", e)
        self.reader = reader or TextReader(
            det_side=DET_SIDE, budget_s=BUDGET_S, threads=text_threads(), recognition=recognition
        )

    def read_one(self, f: FileRow, stop: Callable[[], bool] | None = None) -> str:
        """Read ``f``'s text and store it under its content hash. Returns the stored status, or
        "interrupted" (nothing stored: the photo stays pending) when ``stop`` said so midway."""
        assert f.content_hash is not None
        start = time.monotonic()
        try:
            # the first look's draft-mode decode (1000×750 for a 12 MP JPEG); the full decode only if it saw text
            reduced = open_image(f.path, draft_short_side=self.reader.first_side * 3 // 4).image
            result = self.reader.read(reduced, lambda: open_image(f.path).image, stop)
        except ReadInterrupted:
            return "interrupted"
        except OcrUnavailable:
            raise
        except PhotoSearchError as e:  # unreadable now (gone, damaged): recorded, not retried every run
            log.info("could not read text in %s: %s", f.path, e)
            self.catalog.put_text(f.content_hash, "failed", [], "", time.monotonic() - start)
            return "failed"
        except Exception as e:  # an OCR failure is a skipped photo, never a stopped pass
            log.warning("reading text in %s failed: %s", f.path, type(e).__name__)
            self.catalog.put_text(f.content_hash, "failed", [], "", time.monotonic() - start)
            return "failed"
        lines = [StoredLine(x.text, x.confidence, x.box) for x in result.lines]
        if result.regions == 0:
            status = "none"
        elif not result.complete:
            status = "too-slow"
        else:
            status = "read"
        text = "\n".join(x.text for x in lines)
        self.catalog.put_text(f.content_hash, status, lines, index_form(text), result.seconds)
        log.debug("text pass: %s → %s (%d lines)", f.path, status, len(lines))
        return status

    def run(self, control: WorkControl | None = None) -> Iterator[Progress]:
        """Read every pending photo; one progress event per photo. Stops (with a ``cancelled`` event) when
        ``control`` is cancelled; blocks while it is paused."""
        control = control or WorkControl()
        if self.unavailable:
            return
        self.catalog.delete_orphan_texts()
        files = self.catalog.text_pending()
        read_before, _ = self.catalog.text_counts()
        total = read_before + len(files)
        meter = RateMeter()
        found = 0
        yield Progress(ProgressPhase.READING_TEXT, read_before, total)
        for i, f in enumerate(files):
            if not control.checkpoint():
                yield Progress(ProgressPhase.CANCELLED, read_before + i, total, message="cancelled")
                return
            try:
                status = self.read_one(f)
            except OcrUnavailable as e:
                self.unavailable = str(e)
                log.warning("text pass skipped: %s", e)
                return
            found += status in ("read", "too-slow")
            done = read_before + i + 1
            rate = meter.update(i + 1)
            yield Progress(
                ProgressPhase.READING_TEXT,
                done,
                total,
                rate=rate,
                eta=RateMeter.eta(total - done, rate),
                current=f.path,
                paused=control.paused,
                extra={"with_text": found},
            )


class TextSteps(ServiceState):
    """The service's text step: one photo at a time, only when nothing else (embedding first) is waiting."""

    text_pass: TextPass | None
    read_text: bool
    text_deferred: bool
    _choices_seen = -1  # ``choices_made()`` when the chosen text reader was last read from the catalog

    def _should_yield(self) -> bool:  # EmbedSteps's: more urgent work (changes, scans, pause, stop) arrived
        raise NotImplementedError

    def _text_step(self) -> bool:
        """Read the text of the next pending photo. False when there is none (or text reading is off)."""
        if not self.read_text or self.text_deferred:
            return False
        made = choices_made()  # the choice is read once, and again only after 'models use' changed it here
        if self.text_pass is None or made != self._choices_seen:
            self._choices_seen = made
            old, choice = self.text_pass, chosen(self.catalog)
            if old is None or old.chosen != choice:
                self.text_pass = TextPass(
                    self.catalog, models_dir=self.library.paths.models_dir, choice=choice
                )
                if old is not None:
                    old.reader.watcher.close()
        tp = self.text_pass
        assert tp is not None
        if tp.unavailable:
            return False
        with self._work_lock:
            pending = self.catalog.text_pending(limit=1)
        if not pending:
            return False
        read, total = self.catalog.text_counts()
        try:  # not under the work lock: reading takes seconds; storing is one transaction
            # gives way midway when changes, scans, a pause or a stop arrive: new photos are embedded first.
            # The reader asks _should_yield from a watcher thread too (it only takes the service's locks
            # briefly), and aborts the model run in progress when it says so
            if tp.read_one(pending[0], stop=self._should_yield) == "interrupted":
                return True
        except OcrUnavailable as e:
            tp.unavailable = str(e)
            log.warning("text pass skipped: %s", e)
            return False
        self._emit(
            Progress(
                ProgressPhase.READING_TEXT,
                read + 1,
                total,
                current=pending[0].path,
                errors=self.errors,
                encoded=self.encoded,
            )
        )
        return True
