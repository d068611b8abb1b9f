"""First-run model setup: one model recommended for this computer (RAM, CPU) with the reason in plain words
and the figures in a details line; the registry's other models (install with a progress bar) or "Import a
model folder…" (any supported layout)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)


def registry_entries() -> list[Any]:
    """The model registry's entries, or [] when this build has no registry."""
    try:
        from photosearch.models import registry
    except ImportError:
        return []
    for name in ("load_registry", "entries", "list_models", "load", "models", "all_models"):
        fn = getattr(registry, name, None)
        if callable(fn):
            try:
                out = fn()
            except Exception:  # a broken registry must not stop first run
                log.exception("reading the model registry failed")
                return []
            if isinstance(out, dict):
                out = out.get("models", list(out.values()))
            models = list(getattr(out, "models", out))
            default = getattr(out, "default", None)
            return sorted(models, key=lambda m: _field(m, "id") != default)  # the default first
    return []


def registry_installer() -> Callable[..., Any] | None:
    """``install_from_registry(entry, paths, progress=…)`` when this build can download models."""
    try:
        from photosearch.models.install import install_from_registry
    except ImportError:
        return None
    return install_from_registry


def _field(entry: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        v = entry.get(n) if isinstance(entry, dict) else getattr(entry, n, None)
        if v is not None:
            return v
    return default


def describe_entry(entry: Any) -> str:
    name = _field(entry, "name", "title", "id", default="model")
    size = _field(entry, "approx_download_mb", "size_mb", "download_mb", "size", default=None)
    if isinstance(size, int | float) and size > 10_000:
        size = f"{size / 1e6:.0f} MB"
    elif isinstance(size, int | float):
        size = f"{size:.0f} MB"
    langs = _field(entry, "languages", default=None)
    if isinstance(langs, list | tuple):
        langs = ", ".join(langs)
    quality = _field(entry, "speed_class", default=None)
    licence = _field(entry, "licence", default=None)
    if licence and _field(entry, "commercial_use", default=True) is False:
        licence = f"{licence} — not for commercial use"
    unverified = "unverified (files listed from the hub at install)" if _field(entry, "unverified") else None
    bits = [str(name)] + [str(x) for x in (size, langs, quality, licence, unverified) if x]
    return " · ".join(bits)


def recommendation(entries: list[Any]) -> tuple[str | None, str, str]:
    """(recommended model id, plain-words reason, details line) for this computer."""
    try:
        from photosearch.app.models import recommend_model

        rec = recommend_model()
    except Exception:  # a broken registry must not stop first run
        log.exception("no recommendation")
        return None, "", ""
    if not any(_field(e, "id") == rec.entry.id for e in entries):
        return None, "", ""
    return rec.entry.id, f"Recommended for this computer: {rec.reason}", f"Details: {rec.details}"


class ModelDialog(QDialog):
    """``controller`` is the main window: ``import_model_interactive()`` and ``install_registry_model(entry,
    progress_cb)`` run the work in the background and call back ``finished_install(ok, message)``."""

    install_finished = Signal(bool, str)

    def __init__(self, controller: Any, parent: QWidget | None = None, *, offline_note: str = "") -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Set up a search model")
        self.resize(600, 380)
        lay = QVBoxLayout(self)
        intro = QLabel(
            "PhotoSearch needs a model to understand photos and words. It runs on this computer; "
            "nothing leaves it.",
            self,
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.entries = registry_entries()
        self.installer = registry_installer()
        self.list = QListWidget(self)
        for e in self.entries:
            item = QListWidgetItem(describe_entry(e))
            item.setData(Qt.ItemDataRole.UserRole, e)
            self.list.addItem(item)
        rec_id, reason, details = recommendation(self.entries)
        self.recommended = rec_id
        self.reason = QLabel(reason, self)
        self.reason.setWordWrap(True)
        self.details = QLabel(details, self)
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: palette(mid);")
        for w in (self.reason, self.details):
            w.setVisible(bool(w.text()))
            lay.addWidget(w)
        if self.entries:
            ids = [_field(e, "id") for e in self.entries]
            self.list.setCurrentRow(
                ids.index(rec_id) if rec_id in ids else 0
            )  # else the default, listed first
            lay.addWidget(self.list, 1)
        else:
            self.list.hide()
        self.note = QLabel(offline_note or self._note(), self)
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.bar = QProgressBar(self)
        self.bar.hide()
        lay.addWidget(self.bar)
        row = QHBoxLayout()
        self.install_button = QPushButton("Install", self)
        self.install_button.setEnabled(bool(self.entries) and self.installer is not None)
        self.install_button.setDefault(self.install_button.isEnabled())
        self.import_button = QPushButton("Import a model folder…", self)
        self.import_button.setToolTip(
            "A PhotoSearch package, or an Immich, transformers.js or rclip model folder"
        )
        self.later_button = QPushButton("Later", self)
        row.addWidget(self.install_button)
        row.addWidget(self.import_button)
        row.addStretch(1)
        row.addWidget(self.later_button)
        lay.addLayout(row)
        self.install_button.clicked.connect(self._install)
        self.import_button.clicked.connect(self._import)
        self.later_button.clicked.connect(self.reject)
        self.install_finished.connect(self._finished)

    def _note(self) -> str:
        if not self.entries:
            return (
                "No downloadable models are listed in this version. Import a model folder (a PhotoSearch "
                "package, or an Immich, transformers.js or rclip model)."
            )
        if self.installer is None:
            return "Downloading is not available in this version yet: import a model folder instead."
        return "Choose a model and press Install, or import a model folder you already have."

    def _busy(self, on: bool, text: str = "") -> None:
        for b in (self.install_button, self.import_button, self.later_button):
            b.setEnabled(not on)
        if not on:
            self.install_button.setEnabled(bool(self.entries) and self.installer is not None)
        self.bar.setVisible(on)
        if text:
            self.note.setText(text)

    def progress(self, p: Any) -> None:
        """A download progress report (``done``/``total`` bytes; ``total`` None while unknown)."""
        total = getattr(p, "total", None)
        if total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * p.done / total))
            rate = getattr(p, "rate", 0.0)
            self.note.setText(
                f"Downloading… {p.done / 1e6:.0f} of {total / 1e6:.0f} MB"
                + (f" · {rate / 1e6:.1f} MB/s" if rate else "")
            )
        else:
            self.bar.setRange(0, 0)

    def _install(self) -> None:
        item = self.list.currentItem()
        if item is None or self.installer is None:
            return
        entry = item.data(Qt.ItemDataRole.UserRole)
        if not self._licence_ok(entry):
            return
        self._busy(True, f"Installing {describe_entry(entry)}…")
        self.bar.setRange(0, 0)
        self.controller.install_registry_model(entry, self.installer, self)

    def confirm_licence(self, entry: Any) -> bool:
        from PySide6.QtWidgets import QMessageBox

        text = (
            f"{_field(entry, 'name')} is licensed {_field(entry, 'licence')}. "
            f"{_field(entry, 'licence_note', default='')}\n\nIt may not be used commercially. Install it?"
        )
        return QMessageBox.question(self, "Licence", text) == QMessageBox.StandardButton.Yes

    def _licence_ok(self, entry: Any) -> bool:
        """A non-commercial (or undeclared) licence is shown before install and accepted once."""
        if _field(entry, "commercial_use", default=True) is not False:
            return True
        paths = getattr(self.controller, "paths", None) or getattr(
            getattr(self.controller, "host", None), "paths", None
        )
        from photosearch.app.models import accept_licence, licence_accepted

        if paths is not None and licence_accepted(paths, entry):
            return True
        if not self.confirm_licence(entry):
            return False
        if paths is not None:
            accept_licence(paths, entry)
        return True

    def _import(self) -> None:
        if self.controller.import_model_interactive(self):
            self._busy(True, "Checking and copying the model…")
            self.bar.setRange(0, 0)

    def _finished(self, ok: bool, message: str) -> None:
        self._busy(False, message)
        if ok:
            self.accept()


def call_installer(fn: Callable[..., Any], entry: Any, paths: Any, on_progress: Callable[[Any], None]) -> Any:
    """Call the registry's install function (entry, paths, progress=callback)."""
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {"progress": on_progress} if "progress" in params else {}
    return fn(entry, paths, **kwargs)
