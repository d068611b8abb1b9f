"""Where and when in the window: the chips that say how the query line was understood ("📍 Italy ✕ ·
📅 Jun–Aug 2025 ✕"), the place list in the side bar (country → city, with counts; a click narrows the search)
and the photo's metadata in the preview (date with its zone, camera, lens, exposure, place, coordinates).

Every query already goes through ``photosearch.app.understand.run`` (``gui.workers.SearchController``); this
controller only adds what the person removed or chose to the query (``narrow``) and binds the widgets.
Reads of the catalog run on the window's library worker, never on the UI thread.

The place list is read again only when places may have changed: a library summary arrives after every change
the window hears of (each indexing batch, a model copied in, a folder paused), but the list is re-read only
when the catalog's place stamp moved since the list shown was read (``Catalog.places_stamp``: a photo's place
written or replaced — by this connection or another process —, a folder added, removed, gone offline), at
most once per ``RELIST_MS`` while changes keep coming (the last one is always read), one read at a time; the
widget is rebuilt only when the listing differs. Photos indexed or read without a place don't move the stamp:
the "Without a location" count follows each summary's visible photos (no read). Other changes of the catalog
(its ``change_counter``: a placed photo deleted, copied or edited) are read once they have stopped for
``QUIET_MS`` — after indexing, not during it.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout

from photosearch.app.places import list_places, meta_json
from photosearch.app.query import Query
from photosearch.app.understand import CHIPS_KEY, DROP_KEY
from photosearch.gui.chips import QueryChips
from photosearch.gui.meta_lines import MetaLines
from photosearch.gui.place_list import PlaceList
from photosearch.search.results import Filters, SearchResponse

if TYPE_CHECKING:
    from photosearch.app.status import LibrarySummary
    from photosearch.gui.main_window import MainWindow


class PlacesController(QObject):
    RELIST_MS = 2000  # while places keep changing (metadata pass), the place list is read at most this often
    QUIET_MS = 5000  # other changes of the catalog are read once they have stopped this long

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
        self.chips.setContentsMargins(8, 0, 8, 4)  # level with the filter bar and its chips
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
        self._shown: dict[str, Any] | None = None
        # (catalog, its place stamp, its change counter) when the list shown was read
        self._listed_from: tuple[weakref.ref[Any], object, object] | None = None
        self._listing = False  # a read is running
        self._again = False  # a refresh arrived while it ran
        self._listed_at: float | None = None  # monotonic time the last read started
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.timeout.connect(self.refresh_places)
        self._settle = False  # the next read also reads changes other than places (they have stopped)
        self._quiet = QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.timeout.connect(self._settled)
        self.lists_read = 0  # how many times the catalog was read for the list (tests count them)
        self._show_places(None)

        self.meta = MetaLines(window.preview)
        self.meta.setAccessibleName("Photo details")
        pv = window.preview.layout()
        assert isinstance(pv, QVBoxLayout)
        pv.insertWidget(pv.indexOf(window.preview.meta) + 1, self.meta)
        self.meta.set_meta(None)
        self._meta_for = ""

        window.search.finished.connect(self._answered)
        window.state.updated.connect(self._summary_arrived)

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
    def _summary_arrived(self, s: LibrarySummary) -> None:
        shown = self._shown
        if shown is not None:  # the photos without a place: the visible ones less the placed ones listed
            unplaced = max(0, s.visible - sum(int(c["count"]) for c in shown.get("countries", [])))
            if unplaced != shown.get("without_location"):
                self._shown = {**shown, "without_location": unplaced}
                self.places.set_without_location(unplaced)
        self.refresh_places()

    def _settled(self) -> None:
        self._settle = True
        self.refresh_places()

    def refresh_places(self) -> None:
        """Read the place list again if its places may have changed since the one shown, or other changes
        of the catalog have settled (off the UI thread)."""
        lib = getattr(self.w, "library", None)
        if lib is None:
            return
        if self._listing:
            self._again = True
            return
        since = None if self._listed_at is None else time.monotonic() - self._listed_at
        wait_ms = 0 if since is None else int(self.RELIST_MS - since * 1000)
        if wait_ms > 0:  # read not long ago: once more when the pause is over (changes in between fold in)
            if not self._later.isActive():
                self._later.start(wait_ms)
            return
        catalog = lib.catalog
        before = self._listed_from
        shown_here = before is not None and before[0]() is catalog
        seen = before[1:] if before is not None and shown_here else None
        settle, self._settle = self._settle, False

        def read() -> tuple[object, object, dict[str, Any] | None]:
            places, changes = catalog.places_stamp(), catalog.change_counter()
            if seen is not None and places == seen[0] and (changes == seen[1] or not settle):
                return places, changes, None  # the places shown are current (other changes wait to settle)
            return places, changes, list_places(catalog).to_json()

        def done(out: tuple[object, object, dict[str, Any] | None]) -> None:
            places, changes, listing = out
            if listing is not None:
                self._listed_from = (weakref.ref(catalog), places, changes)
                self.lists_read += 1
                if listing != self._shown:
                    self._show_places(listing)
            elif seen is not None and changes != seen[1]:  # read once they stop
                self._quiet.start(self.QUIET_MS)
            self._finished()

        self._listing = True
        self._listed_at = time.monotonic()
        self.w.library_tasks.submit(read, done, lambda _e: self._finished())

    def _finished(self) -> None:
        self._listing = False
        if self._again:
            self._again = False
            self.refresh_places()

    def _show_places(self, listing: dict[str, Any] | None) -> None:
        self._shown = listing
        has = bool(listing and listing.get("countries"))
        self.places.set_places(listing or {})
        self.places.setVisible(has)
        self.places_title.setVisible(has)

    # -- the preview --------------------------------------------------------------------------------
    def show_meta(self, result: Any) -> None:
        """The metadata of the photo the preview shows, read off the UI thread."""
        h = getattr(result.file, "content_hash", None)
        self._meta_for = h or ""

        def done(meta: dict[str, Any] | None) -> None:
            if self._meta_for == (h or ""):
                self.meta.set_meta(meta)
                self.w.preview.set_meta(meta)

        self.read_meta(result, done)

    def read_meta(self, result: Any, done: Callable[[dict[str, Any] | None], None]) -> None:
        """``done(meta)`` on the UI thread with ``result``'s metadata (``app.places.meta_json``), read on the
        library worker; at once with None when there is none to read."""
        lib = getattr(self.w, "library", None)
        h = getattr(result.file, "content_hash", None)
        if lib is None or not h:
            done(None)
            return
        catalog = lib.catalog
        self.w.library_tasks.submit(lambda: meta_json(catalog.meta_for_hash(h)), done)
