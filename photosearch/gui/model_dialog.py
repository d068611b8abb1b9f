"""First run: one model recommended for this computer (RAM, CPU) with the reason in plain words, its figures
in a details line and one button; the registry's other models under "Other models" (install with a progress
bar) or "Import a model folder…" (any supported layout); and the folders where photos usually are (Pictures,
DCIM on an attached phone or card) to add with one click."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QToolButton,
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
    """``install(lib, entry, progress) -> Installed`` when this build can download models: the same verb as
    'photosearch models install NAME --use' (``photosearch.app.model_install``): the download needs no
    library; the install and the choice of the model happen together, or not at all (a library that cannot
    record the choice, a full disk: the package is removed again and the model choice put back)."""
    try:
        from photosearch.app.model_install import download_model, install_and_choose
    except ImportError:
        return None

    def install(lib: Any, entry: Any, progress: Callable[[Any], None] | None = None) -> Any:
        fetched = download_model(str(_field(entry, "id")), lib.paths, progress=progress)
        return install_and_choose(lib, fetched, use=True)

    return install


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


def recommendation(entries: list[Any], paths: Any = None) -> tuple[str | None, str, str, str]:
    """(recommended model id, plain-words reason, its quality, speed, download and licence in plain words, the
    figures behind them) for this computer. Runs on a worker: it probes the machine and reads the registry."""
    try:
        from photosearch.app.models import list_models, recommend_model

        rec = recommend_model()
    except Exception:  # a broken registry must not stop first run
        log.exception("no recommendation")
        return None, "", "", ""
    if not any(_field(e, "id") == rec.entry.id for e in entries):
        return None, "", "", ""
    row = None
    if paths is not None:
        try:
            row = next((r for r in list_models(paths).rows if r.id == rec.entry.id), None)
        except Exception:
            log.exception("no model listing for the recommendation's plain words")
    return (
        rec.entry.id,
        f"Recommended for this computer: {rec.reason}",
        plain_facts(rec.entry, row),
        rec.details,
    )


def plain_facts(entry: Any, row: Any = None) -> str:
    """A model's quality, speed, download and licence in a person's words ('Quality: good · Speed: fast ·
    Download: about 150 MB · Free for any use'), from the fields the app layer gives (``ModelRow.quality``,
    the registry entry's speed class, size and licence)."""
    bits = []
    quality = getattr(row, "quality", "") if row is not None else ""
    if quality:
        bits.append(f"Quality: {quality}")
    speed = _field(entry, "speed_class", default="")
    if speed:
        bits.append(f"Speed: {speed}")
    mb = _field(entry, "approx_download_mb", default=None)
    if isinstance(mb, int | float) and mb:
        bits.append(f"Download: about {mb:,.0f} MB")
    if _field(entry, "commercial_use", default=True) is False:
        bits.append(f"Licence: {_field(entry, 'licence', default='')}, not for commercial use")
    elif _field(entry, "licence", default=""):
        bits.append(f"Licence: {_field(entry, 'licence')}")
    return " · ".join(bits)


class ModelDialog(QDialog):
    """``controller`` is the main window: ``import_model_interactive()`` and ``install_registry_model(entry,
    installer, dialog)`` run the work in the background (the app layer's verbs: installed and chosen, or
    nothing) and call back ``finished_install(ok, message)``."""

    install_finished = Signal(bool, str)

    def __init__(self, controller: Any, parent: QWidget | None = None, *, offline_note: str = "") -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Welcome to PhotoSearch")
        self.setMinimumWidth(640)  # the height follows what is shown (the list unfolds, folders appear)
        lay = QVBoxLayout(self)
        title = QLabel("Welcome to PhotoSearch", self)
        title.setObjectName("DialogTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        title.setFont(font)
        lay.addWidget(title)
        intro = QLabel(
            "PhotoSearch needs a model to understand photos and words. It runs on this computer; "
            "nothing leaves it.",
            self,
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.entries = registry_entries()
        self.installer = registry_installer()
        self.recommended: str | None = None
        self.recommending = True  # the machine is probed on a worker (``_recommend``), never on the UI thread

        # the recommended model: its name, why, and one button
        self.card = QFrame(self)
        self.card.setObjectName("RecommendedModel")
        self.card.setFrameShape(QFrame.Shape.StyledPanel)
        card = QVBoxLayout(self.card)
        self.rec_name = QLabel("", self.card)
        bold = self.rec_name.font()
        bold.setBold(True)
        self.rec_name.setFont(bold)
        self.reason = QLabel("Looking at this computer to recommend a model…", self.card)
        self.reason.setWordWrap(True)
        self.details = QLabel("", self.card)
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: palette(placeholder-text);")
        for w in (self.rec_name, self.reason, self.details):
            w.setVisible(bool(w.text()))
            card.addWidget(w)
        self.install_button = QPushButton("Install", self.card)
        self.install_button.setEnabled(False)  # until the recommendation is there
        row = QHBoxLayout()
        row.addWidget(self.install_button)
        row.addStretch(1)
        card.addLayout(row)
        lay.addWidget(self.card)
        self.card.setVisible(bool(self.entries))

        # the others, folded away
        self.list = QListWidget(self)
        self.list.setAccessibleName("Other models")
        self.list.setWordWrap(True)  # a long line wraps within the list, never behind a sideways scroll bar
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        for e in self.entries:
            item = QListWidgetItem(describe_entry(e))
            item.setToolTip(item.text())
            item.setData(Qt.ItemDataRole.UserRole, e)
            self.list.addItem(item)
        self.others_button = QToolButton(self)
        self.others_button.setText("Other models")
        self.others_button.setCheckable(True)
        self.others_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.others_button.setArrowType(Qt.ArrowType.RightArrow)
        self.others_button.setAutoRaise(True)
        self.others_button.toggled.connect(self._show_others)
        if self.entries:
            self.list.setCurrentRow(0)  # the default, listed first, until the recommendation arrives
            lay.addWidget(self.others_button, 0, Qt.AlignmentFlag.AlignLeft)
            lay.addWidget(self.list, 1)
            self.list.hide()
            self.others_button.hide()
        else:
            self.list.hide()
            self.others_button.hide()
        self.list.currentItemChanged.connect(lambda *_: self._name_install_button())
        self._name_install_button()
        self.note = QLabel(offline_note or self._note(), self)
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.bar = QProgressBar(self)
        self.bar.hide()
        lay.addWidget(self.bar)

        # where photos usually are (found off the UI thread)
        self.folders_box = QFrame(self)
        fl = QVBoxLayout(self.folders_box)
        fl.setContentsMargins(0, 6, 0, 0)
        fl.addWidget(QLabel("Your photos are probably here:", self.folders_box))
        self.folder_checks: list[QCheckBox] = []
        self._folders_layout = fl
        self.add_folders_button = QPushButton("Add these folders", self.folders_box)
        self.add_folders_button.clicked.connect(self._add_folders)
        fl.addWidget(self.add_folders_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.folders_box.hide()
        lay.addWidget(self.folders_box)
        self._find_folders()
        self._recommend()

        row = QHBoxLayout()
        self.import_button = QPushButton("Import a model folder…", self)
        self.import_button.setToolTip(
            "A PhotoSearch package, or an Immich, transformers.js or rclip model folder"
        )
        self.later_button = QPushButton("Later", self)
        row.addWidget(self.import_button)
        row.addStretch(1)
        row.addWidget(self.later_button)
        lay.addLayout(row)
        self.install_button.clicked.connect(self._install)
        self.import_button.clicked.connect(self._import)
        self.later_button.clicked.connect(self.reject)
        self.install_finished.connect(self._finished)
        self.adjustSize()

    def _recommend(self) -> None:
        """``recommend_model()`` (it probes the machine and reads the registry) on a worker thread; the card
        says it is looking meanwhile and its button waits."""
        from photosearch.gui.workers import TaskRunner

        entries = self.entries
        paths = getattr(self.controller, "paths", None) or getattr(
            getattr(self.controller, "host", None), "paths", None
        )
        self._generation = getattr(self, "_generation", 0) + 1
        gen = self._generation
        self._rec_tasks = TaskRunner(1, self)
        self._rec_tasks.submit(
            lambda: recommendation(entries, paths),
            lambda rec: self._recommended(gen, rec),
            lambda _e: self._recommended(gen, (None, "", "", "")),
        )

    def _recommended(self, gen: int, rec: tuple[str | None, str, str, str]) -> None:
        if gen != self._generation:  # a newer one was asked for
            return
        rec_id, reason, details, figures = rec
        self.recommending = False
        self.recommended = rec_id
        rec_entry = next((e for e in self.entries if _field(e, "id") == rec_id), None)
        self.rec_name.setText(str(_field(rec_entry, "name", default="")) if rec_entry else "")
        self.reason.setText(reason)
        self.details.setText(details)
        self.details.setToolTip(figures)  # the figures (benchmarks, sizes) for whoever wants them
        self.details.setAccessibleDescription(figures)
        for w in (self.rec_name, self.reason, self.details):
            w.setVisible(bool(w.text()))
        if self.entries:
            ids = [_field(e, "id") for e in self.entries]
            self.list.setCurrentRow(ids.index(rec_id) if rec_id in ids else 0)  # else the default, first
            self.list.setVisible(
                rec_entry is None or self.others_button.isChecked()
            )  # no recommendation: the list is the choice
            self.others_button.setVisible(rec_entry is not None)
        self._name_install_button()
        busy = self.bar.isVisible()
        self.install_button.setEnabled(not busy and bool(self.entries) and self.installer is not None)
        self.install_button.setDefault(self.install_button.isEnabled())
        self.adjustSize()

    def _show_others(self, on: bool) -> None:
        self.list.setVisible(on)
        self.others_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.adjustSize()

    def _name_install_button(self) -> None:
        item = self.list.currentItem()
        name = _field(item.data(Qt.ItemDataRole.UserRole), "name", default="") if item is not None else ""
        self.install_button.setText(f"Install {name}" if name and not self.recommending else "Install")

    # -- suggested folders --------------------------------------------------------------------------
    def _find_folders(self) -> None:
        from photosearch.app.folders import suggested_folders
        from photosearch.gui.workers import TaskRunner

        host = getattr(self.controller, "host", None)
        lib = getattr(host, "library", None)
        self._folder_tasks = TaskRunner(1, self)
        self._folder_tasks.submit(lambda: suggested_folders(lib), self._show_folders)

    def _show_folders(self, found: list[str]) -> None:
        for path in found:
            box = QCheckBox(path, self.folders_box)
            box.setChecked(True)
            self.folder_checks.append(box)
            self._folders_layout.insertWidget(self._folders_layout.count() - 1, box)
        self.folders_box.setVisible(bool(found))
        self.adjustSize()

    def _add_folders(self) -> None:
        host = getattr(self.controller, "host", None)
        folders = getattr(host, "folders", None)
        if folders is None:
            return
        for box in self.folder_checks:
            if box.isChecked() and box.isEnabled():
                folders.add_folder(box.text())
                box.setEnabled(False)
                box.setText(f"{box.text()} — added")
        self.add_folders_button.setEnabled(any(b.isEnabled() for b in self.folder_checks))

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
            self.install_button.setEnabled(
                not self.recommending and bool(self.entries) and self.installer is not None
            )
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
