"""Steering a search from the window: 👍/👎 on results (L and D, the context menu; Ctrl+Z takes the last one
back) re-rank at once from stored vectors; "More like these" searches by several selected photos together
(M, the context menu); a strictness control (1–5, the README's scale) moves the relevance line.

Everything goes through the one ``search(Query)``: this controller only adds the verdicts, the several
photos and the strictness to the query the window builds (``apply``), and binds keys, menu and control.
Verdicts and the several photos belong to one query line: typing another one forgets them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QSizePolicy

from photosearch.app.feedback import Feedback, Verdict
from photosearch.app.query import Query, QueryKind, elide
from photosearch.progress import plural
from photosearch.search.line import DEFAULT_STRICTNESS

if TYPE_CHECKING:
    from photosearch.gui.main_window import MainWindow

STRICTNESS_LABELS = {1: "1 · loosest", 2: "2", 3: "3 · calibrated", 4: "4", 5: "5 · strictest"}
UNCALIBRATED = "3 · uncalibrated"  # the default point of a model without a calibration
UNKNOWN = "3 · default"  # no model loaded yet: nothing to say about its calibration


class SteerController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.feedback = Feedback()
        self.several: tuple[str, ...] = ()  # "more like these": the photos the search is by
        self._line = ""

        self.strictness = QComboBox(window)
        # its width follows its labels: '3 · default' until the model says whether it is calibrated
        self.strictness.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.strictness.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # never squeezed
        for level, label in STRICTNESS_LABELS.items():
            self.strictness.addItem(label, level)
        self.strictness.setCurrentIndex(self.strictness.findData(int(DEFAULT_STRICTNESS)))
        self.show_calibrated(None)
        self.strictness.setAccessibleName("Strictness")
        self.strictness.currentIndexChanged.connect(lambda _i: self.w.run_query())
        sb = window.statusBar()
        caption = QLabel("Strictness", window)
        caption.setBuddy(self.strictness)  # what a screen reader says the control is (its name is its text)
        sb.addPermanentWidget(caption)
        sb.addPermanentWidget(self.strictness)

        self.act_like = self._act("More like this (👍)", "L", lambda: self.mark(Verdict.LIKE))
        self.act_unlike = self._act("Less like this (👎)", "D", lambda: self.mark(Verdict.UNLIKE))
        self.act_undo = self._act(
            "Take back the last 👍/👎", QKeySequence.StandardKey.Undo, lambda: self.undo()
        )
        self.act_several = self._act("More like these", "M", lambda: self.more_like_selected())

    def show_calibrated(self, calibrated: bool | None) -> None:
        """Say on the strictness control whether the model's line is calibrated (when its engine loads, and
        each search's answer): an uncalibrated model's 3 is a default, not a measured point. None: no model
        is loaded yet, so nothing is claimed."""
        i = self.strictness.findData(int(DEFAULT_STRICTNESS))
        if calibrated is None:
            self.strictness.setItemText(i, UNKNOWN)
            self.strictness.setToolTip(
                "How close a photo must be to count as a good match (3: the model's line)"
            )
            return
        self.strictness.setItemText(
            i, STRICTNESS_LABELS[int(DEFAULT_STRICTNESS)] if calibrated else UNCALIBRATED
        )
        self.strictness.setToolTip(
            "How close a photo must be to count as a good match (3: the model's calibrated line)"
            if calibrated
            else "How close a photo must be to count as a good match. This model has no calibration: "
            "its words are not cut at all, and photo queries use a default line"
        )

    def _act(self, text: str, keys: str | QKeySequence.StandardKey, slot: object) -> QAction:
        a = QAction(text, self.w.view)
        a.setShortcut(QKeySequence(keys))
        a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # while the photos have focus
        a.triggered.connect(slot)
        self.w.view.addAction(a)
        return a

    # -- the query ----------------------------------------------------------------------------------
    def apply(self, q: Query) -> Query:
        """``q`` steered: the strictness, the verdicts, the several photos (all forgotten when the line
        changes)."""
        line = self.w.query_bar.text
        if line != self._line:
            self._line = line
            self.feedback.clear()
            self.several = ()
        level = self.strictness.currentData()
        q = q.with_(strictness=int(level) if level is not None else DEFAULT_STRICTNESS)
        if self.several:
            q = Query.of(
                q.text,
                self.several,
                filters=q.filters,
                k=q.k,
                strictness=q.strictness,
                label=f"photos like these {len(self.several)}" + (f" + “{elide(q.text)}”" if q.text else ""),
            )
        if (self.feedback.liked or self.feedback.disliked) and q.kind is not QueryKind.BROWSE:
            q = self.feedback.apply(q)
        return q

    # -- shown as chips beside the understood filters (their ✕ takes them away) ----------------------
    CHIP_KINDS = ("several", "like", "unlike")

    def chips(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.several:
            out.append(("several", f"like these {len(self.several)}"))
        if self.feedback.liked:
            out.append(("like", f"{len(self.feedback.liked)} liked"))
        if self.feedback.disliked:
            out.append(("unlike", f"{len(self.feedback.disliked)} not wanted"))
        return out

    def remove(self, kind: str) -> None:
        if kind == "several":
            self.several = ()
        elif kind in ("like", "unlike"):
            for p in list(self.feedback.liked if kind == "like" else self.feedback.disliked):
                self.feedback.verdicts.pop(p, None)
        self.w.run_query()

    # -- verdicts -----------------------------------------------------------------------------------
    def mark(self, verdict: Verdict, paths: list[str] | None = None) -> None:
        paths = paths if paths is not None else self.w.actions_.selected_paths()
        req = self.w.current_request
        if not paths or req is None or req.kind is QueryKind.BROWSE:
            self.w.status.say("👍/👎 steer a search: type words or give a photo first")
            return
        for p in paths:
            self.feedback.mark(p, verdict)
        self._say()
        self.w.run_query()

    def undo(self) -> None:
        if self.feedback.undo():
            self._say()
            self.w.run_query()

    def _say(self) -> None:
        up, down = len(self.feedback.liked), len(self.feedback.disliked)
        self.w.status.say(f"Steered by 👍 {up} · 👎 {down} (Ctrl+Z takes the last one back)")

    # -- several photos -----------------------------------------------------------------------------
    def more_like_selected(self, paths: list[str] | None = None) -> None:
        paths = paths if paths is not None else self.w.actions_.selected_paths()
        if len(paths) < 2:
            if paths:
                self.w.find_similar(paths[0])
            return
        self.several = tuple(paths)
        self._line = self.w.query_bar.text
        self.feedback.clear()
        self.w.status.say(f"Photos like these {plural(len(paths), 'photo')} together")
        self.w.run_query()

    def add_to_menu(self, menu: QMenu, paths: list[str]) -> None:
        """The steering entries of the results' context menu."""
        if not paths:
            return
        menu.addSeparator()
        if len(paths) > 1:
            menu.addAction(f"More like these {len(paths)}", lambda: self.more_like_selected(paths))
        menu.addAction("👍 More like this", lambda: self.mark(Verdict.LIKE, paths))
        menu.addAction("👎 Less like this", lambda: self.mark(Verdict.UNLIKE, paths))
        self.w.albums.add_to_menu(menu)  # "Save 👍/👎 as album…"
        self.w.bursts.add_to_menu(menu, paths)  # "Show all n shots"
