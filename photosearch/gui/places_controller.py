"""Where and when in the window: the chips that say how the query line was understood ("📍 Italy ✕ ·
📅 Jun–Aug 2025 ✕"), the place list in the side bar (country → city, with counts; a click narrows the search)
and the photo's metadata in the preview (date with its zone, camera, lens, exposure, place, coordinates).

Every query already goes through ``photosearch.app.understand.run`` (``gui.workers.SearchController``); this
controller only adds what the person removed or chose to the query (``narrow``) and binds the widgets.
Reads of the catalog run on the window's library worker, never on the UI thread.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QVBoxLayout

from photosearch.app.places import list_places, meta_json
from photosearch.app.query import Query
from photosearch.app.understand import CHIPS_KEY, DROP_KEY
from photosearch.gui.chips import QueryChips
from photosearch.gui.meta_lines import MetaLines
from photosearch.gui.place_list import PlaceList
from photosearch.search.results import Filters, SearchResponse

if TYPE_CHECKING:
    from photosearch.gui.main_window import MainWindow


class PlacesController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.dropped: set[str] = set()  # kinds of filter the person took away from the current line
        self.place: str | None = None  # a place chosen in the list
        self._line = ""  # the query line the dropped kinds belong to

        body = window.centralWidget()
        assert body is not None
        self.chips = QueryChips(body)
        self.chips.setAccessibleName("How the search was understood")
        self.chips.setContentsMargins(10, 0, 10, 4)
        central = body.layout()
        assert isinstance(central, QVBoxLayout)
        central.insertWidget(central.indexOf(window.side) + 1, self.chips)
        self.chips.removed.connect(self._chip_removed)

        side = window.sidebar.layout()
        assert isinstance(side, QVBoxLayout)
        self.places_title = QLabel("Places", window.sidebar)
        self.places_title.setObjectName("SidebarTitle")
        self.places = PlaceList(window.sidebar)
        self.places.setAccessibleName("Places")
        self.places.setFrameShape(PlaceList.Shape.NoFrame)
        side.insertWidget(side.count() - 1, self.places_title)  # below the folders, above their buttons
        side.insertWidget(side.count() - 1, self.places, 1)
        self.places.place_chosen.connect(self._place_chosen)
        self._show_places(None)

        self.meta = MetaLines(window.preview)
        self.meta.setAccessibleName("Photo details")
        pv = window.preview.layout()
        assert isinstance(pv, QVBoxLayout)
        pv.insertWidget(pv.indexOf(window.preview.meta) + 1, self.meta)
        self.meta.set_meta(None)
        self._meta_for = ""

        window.search.finished.connect(self._answered)
        window.state.updated.connect(lambda _s: self.refresh_places())

    # -- the query ----------------------------------------------------------------------------------
    def narrow(self, q: Query) -> Query:
        """``q`` with the chosen place and without the removed filters (both forgotten when the line
        changes)."""
        line = self.w.query_bar.text
        if line != self._line:
            self._line, self.dropped = line, set()
        if self.place is not None:
            q = q.with_(filters=replace(q.filters or Filters(), place=self.place))
        if self.dropped:
            q = q.with_(extra={**q.extra, DROP_KEY: frozenset(self.dropped)})
        return q

    def _chip_removed(self, kind: str, _label: str) -> None:
        if kind in self.w.steer.CHIP_KINDS:  # 👍/👎 and "like these" show as chips too
            self.w.steer.remove(kind)
            return
        if kind == "place" and self.place is not None:
            self.place = None
        self.dropped.add(kind)
        self.w.run_query()

    def _place_chosen(self, name: str) -> None:
        """A place from the list takes the place of any the line names (a photo is in one place: Italy then
        Florence is Florence, and Italy then Finland would be nothing)."""
        self.place = name
        self.dropped.add("place")
        self.w.run_query()

    def _answered(self, _req: Query, resp: SearchResponse) -> None:
        self.chips.set_chips(list(resp.extra.get(CHIPS_KEY) or []) + self.w.steer.chips())

    # -- the place list -----------------------------------------------------------------------------
    def refresh_places(self) -> None:
        lib = getattr(self.w, "library", None)
        if lib is None:
            return
        catalog = lib.catalog
        self.w.library_tasks.submit(lambda: list_places(catalog).to_json(), self._show_places)

    def _show_places(self, listing: dict[str, Any] | None) -> None:
        has = bool(listing and listing.get("countries"))
        self.places.set_places(listing or {})
        self.places.setVisible(has)
        self.places_title.setVisible(has)

    # -- the preview --------------------------------------------------------------------------------
    def show_meta(self, result: Any) -> None:
        """The metadata of the photo the preview shows, read off the UI thread."""
        lib = getattr(self.w, "library", None)
        h = getattr(result.file, "content_hash", None)
        self._meta_for = h or ""
        if lib is None or not h:
            self.meta.set_meta(None)
            return
        catalog = lib.catalog

        def done(meta: dict[str, Any] | None) -> None:
            if self._meta_for == h:
                self.meta.set_meta(meta)

        self.w.library_tasks.submit(lambda: meta_json(catalog.meta_for_hash(h)), done)
