"""The model manager's rows: what each column of a model says, the host it needs and the relay that carries its
worker's reports to the UI thread."""

from __future__ import annotations

from typing import Any, Protocol, cast

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from photosearch.app import models as app_models
from photosearch.config import Paths
from photosearch.errors import PhotoSearchError
from photosearch.library.library import Library
from photosearch.models.download import DownloadProgress
from photosearch.progress import Progress

COLUMNS = ("Model", "State", "Size", "Licence", "Languages", "Quality", "Needs")


class ModelManagerHost(Protocol):
    """What the manager needs from the window."""

    paths: Paths

    @property
    def library(self) -> Library | None: ...

    def model_changed(self) -> None:
        """The active model changed (or was removed): reload the search engine."""


class Relay(QObject):
    """Carries a worker thread's reports to the UI thread (queued signals)."""

    download = Signal(DownloadProgress)
    switching = Signal(Progress)
    # (what, result: a ModelPackage, or the switch's last phase; the listing read after it, or None)
    done = Signal(str, object, object)
    failed = Signal(str, BaseException, object)


def _mb(n: float | None) -> str:
    return "" if n is None else f"{n / 1e6:,.0f} MB"


def opened(lib: Library | None) -> Library:
    """The window's library, which an install or import records itself in (the same verbs as the CLI's, all
    or nothing: ``photosearch.app.model_install``); it is opened as the window shows."""
    if lib is None:
        raise PhotoSearchError("the library is still opening: try again in a moment (nothing was installed)")
    return lib


def row_cells(r: app_models.ModelRow) -> tuple[str, ...]:
    """One model's cells, in COLUMNS' order."""
    name = r.name + (" (recommended)" if r.default else "")
    state = (
        ("● active" if r.active else "→ switching to it" if r.switching_to else "installed")
        if r.installed
        else ("available — unverified" if r.unverified else "available")
    )
    size = _mb(r.size_on_disk) if r.installed else (f"~{r.download_mb:,.0f} MB" if r.download_mb else "?")
    licence = r.licence + ("" if r.commercial_use else " — not for commercial use")
    cells = (name, state, size, licence, ", ".join(r.languages), r.quality, r.needs)
    return tuple(c or "—" for c in cells)  # never a blank cell: '—' where there is nothing to say


def details_text(r: app_models.ModelRow, listing: app_models.ModelListing) -> tuple[str, str]:
    """The line under the table about the selected model, in a person's words, and the technical line behind
    it (published figures, how it runs here and why, the hub commit) for its tooltip."""
    bits = [
        f"Quality: {r.quality}" if r.quality else "",
        f"Speed: {r.speed_class}" if r.speed_class else "",
        r.licence_note,
    ]
    source = listing.text_lines.get(r.id, "") if r.installed else ""
    if source:
        bits.append(f"Relevance line for text: {source}")
    if r.unverified:
        bits.append(
            "Unverified: its file list is not known in advance; the files are listed from the hub and "
            "checked against the hub's own checksums at install."
        )
    tech = [r.quality_details, f"Runs here as {r.runs}" if r.runs else ""]
    if r.commit:
        tech.append(f"commit {r.commit[:12]}")
    return " · ".join(b for b in bits if b), " · ".join(b for b in tech if b)


def _w(x: object) -> QWidget:
    return cast(QWidget, x)


class ManagerQuestions:
    """The model manager's questions to the person (methods, so that tests can answer them)."""

    def confirm_licence(self, entry: Any) -> bool:
        text = (
            f"{entry.name} is licensed {entry.licence}. {entry.licence_note or ''}\n\n"
            "It may not be used commercially. Install it?"
        )
        return QMessageBox.question(_w(self), "Licence", text) == QMessageBox.StandardButton.Yes

    def confirm_unverified(self, message: str) -> bool:
        return (
            QMessageBox.question(_w(self), "Install without a checksum?", message)
            == QMessageBox.StandardButton.Yes
        )

    def confirm_remove_reader(self, name: str) -> bool:
        answer = QMessageBox.question(
            _w(self),
            "Remove the text reader",
            f"Remove {name}? New photos' text is then read with the bundled one.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def confirm_remove(self, row: app_models.ModelRow) -> bool:
        return (
            QMessageBox.question(_w(self), "Remove model", f"Remove {row.name} and its search data?")
            == QMessageBox.StandardButton.Yes
        )

    def choose_folder(self) -> str | None:
        return (
            QFileDialog.getExistingDirectory(_w(self), "Choose a model folder (any supported layout)") or None
        )
