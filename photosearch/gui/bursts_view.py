"""Bursts in the window: near-identical shots taken seconds apart show as one tile (the best-ranked shot) with
their count; a click on the count, B, or the context menu's "Show all n shots" expands the burst in place, and
the same again stacks it. The "Bursts" switch in the filter bar (remembered) asks every search for stacked
bursts. It starts on, as photo apps stack bursts (``photosearch search --bursts`` is the same answer); only
shots with a date taken, seconds apart, are ever stacked (:mod:`photosearch.search.bursts`).

The grouping is the application's (``Query.bursts`` → ``photosearch.app.search.search`` →
``SearchResponse.extra["bursts"]``); this controller only adds the flag to the window's queries, looks up the
other shots' files off the UI thread (on the search worker) and binds the switch, the key, clicks and menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QMenu, QToolButton, QWidget

from photosearch.app.query import Query, QueryKind
from photosearch.gui.burst_badge import badge_rect
from photosearch.gui.icons import set_icon
from photosearch.progress import plural
from photosearch.search.results import Result

if TYPE_CHECKING:
    from photosearch.gui.main_window import MainWindow

SETTING = "view/stack_bursts"


class BurstController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.pending: str | None = None  # a burst to expand once its shots are looked up

        b = self.button = QToolButton(window.side)
        b.setText("Bursts")
        b.setAccessibleName("Stack bursts")
        b.setToolTip(
            "Stack bursts: near-identical shots taken seconds apart show as one photo with their count "
            "(click the count or press B to see them all)"
        )
        set_icon(b, "stack")
        b.setIconSize(QSize(18, 18))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setAutoRaise(True)
        b.setCheckable(True)
        b.setChecked(str(window.settings.value(SETTING, "true")).lower() in ("true", "1"))
        b.toggled.connect(self._toggled)
        bar = window.side.layout()
        assert isinstance(bar, QHBoxLayout)
        bar.insertWidget(bar.indexOf(window.side.by_date_button), b)  # beside "By date": how results show
        by_date = window.side.by_date_button  # and reached by Tab there too (not last, after the status bar)
        QWidget.setTabOrder(window.side.orientation_combo, b)
        QWidget.setTabOrder(b, by_date)

        self.act_toggle = QAction("Show all shots of a burst, or stack them again", window.view)
        self.act_toggle.setShortcut(QKeySequence("B"))
        self.act_toggle.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.act_toggle.triggered.connect(self.toggle_current)
        window.view.addAction(self.act_toggle)

        model = window.model
        model.bursts_changed.connect(self.look_up)
        model.rowsRemoved.connect(lambda *_a: window.view.relayout())  # the grid relays out on inserts
        window.view.viewport().installEventFilter(self)

    @property
    def on(self) -> bool:
        return self.button.isChecked()

    def apply(self, q: Query) -> Query:
        """``q`` asking for stacked bursts when the switch is on (browsing shows every photo)."""
        return q.with_(bursts=self.on and q.kind is not QueryKind.BROWSE)

    def _toggled(self, on: bool) -> None:
        self.w.settings.setValue(SETTING, on)
        req = self.w.current_request
        if req is not None and req.kind is not QueryKind.BROWSE:
            self.w.run_query()

    # -- expanding and stacking ---------------------------------------------------------------------
    def toggle_row(self, row: int) -> bool:
        """Expand the burst ``row`` belongs to, or stack it again; False when the row is no burst."""
        model = self.w.model
        info = model.burst_info(row)
        if info is None:
            return False
        if info.expanded:
            model.collapse(info.leader)
            self._focus(info.leader)
            self.w.status.say(f"Stacked the burst of {info.size} shots")
            return True
        if not model.expand(info.leader):  # its shots are still being looked up: expanded when they are
            self.pending = info.leader
            self.look_up()
        else:
            self.w.status.say(f"A burst of {info.size} shots (B or a click on the count stacks them again)")
        return True

    def toggle_current(self) -> None:
        cur = self.w.view.currentIndex()
        if not cur.isValid() or not self.toggle_row(cur.row()):
            self.w.status.say("B shows the shots of a burst: pick a photo with a count on it")

    def _focus(self, path: str) -> None:
        view, model = self.w.view, self.w.model
        row = next((i for i, r in enumerate(model.results) if r.path == path), -1)
        if row >= 0:
            view.setCurrentIndex(model.index(row, 0))
            view.scrollTo(model.index(row, 0))

    def look_up(self) -> None:
        """Look the bursts' other shots up in the catalog (on the search worker)."""
        model, catalog = self.w.model, self.w.search.catalog
        missing = model.missing_shots()
        if not missing or catalog is None:
            return

        def work() -> dict[str, Any]:
            return {p: catalog.file_by_path(p) for p in missing}

        def done(found: dict[str, Any]) -> None:
            rows = {p: Result(0, p, 0.0, f, -1) for p, f in found.items() if f is not None}
            model.add_shots(list(found), rows)
            lead = self.pending
            if lead is not None and model.ready(lead):
                self.pending = None
                if model.expand(lead):
                    self._focus(lead)

        self.w.search.runner.submit(work, done)

    # -- the count on the tile, the context menu ----------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick)
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
            and not event.modifiers()
        ):
            view = self.w.view
            pos = event.position().toPoint()
            idx = view.indexAt(pos)
            info = self.w.model.burst_info(idx.row()) if idx.isValid() else None
            if info is not None and badge_rect(view.visualRect(idx), info, view.font()).contains(pos):
                if event.type() == QEvent.Type.MouseButtonPress:
                    view.setCurrentIndex(idx)
                    self.toggle_row(idx.row())
                return True  # the count is a button: no selection, no drag, no viewer
        return super().eventFilter(obj, event)

    def add_to_menu(self, menu: QMenu, paths: list[str]) -> None:
        model = self.w.model
        if len(paths) != 1:
            return
        row = next((i for i, r in enumerate(model.results) if r.path == paths[0]), -1)
        info = model.burst_info(row)
        if info is None:
            return
        menu.addSeparator()
        words = f"Stack the {info.size} shots again" if info.expanded else f"Show all {info.size} shots"
        menu.addAction(words, lambda: self.toggle_row(row))

    def count_words(self, bursts: dict[str, list[str]]) -> str:
        """ " · 2 bursts stacked" for the result count (empty without any)."""
        n = sum(1 for shots in bursts.values() if len(shots) > 1)
        return f" · {plural(n, 'burst')} stacked" if n else ""
