"""Turns what is in the query bar and the filters into a ``Query``, runs it (``SearchController`` →
``photosearch.app.search.search``) and shows the answer: results, or a plain-words message with one next step."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget

from photosearch.app.query import K_MAX, Query, QueryKind, elide
from photosearch.app.search import UNREACHABLE_KEY, timeline
from photosearch.gui.filters import FilterBar
from photosearch.gui.grid import JustifiedView
from photosearch.gui.library_state import LibraryState
from photosearch.gui.message_panel import MessagePanel
from photosearch.gui.months import result_time
from photosearch.gui.query_bar import QueryBar
from photosearch.gui.results import ResultsModel
from photosearch.gui.scrubber import timeline_months
from photosearch.gui.workers import SearchController, TaskRunner
from photosearch.progress import plural
from photosearch.search.engine import SearchResponse

if TYPE_CHECKING:
    from photosearch.gui.bursts_view import BurstController
    from photosearch.gui.model_controller import ModelController
    from photosearch.gui.places_controller import PlacesController
    from photosearch.gui.status_area import StatusArea
    from photosearch.gui.steer_controller import SteerController

SEARCH_K = 200  # results per page of a search
SEARCH_K_MAX = 5000  # scrolling further re-runs the search for up to this many
BROWSE_PAGE = 500

KIND_WORDS = {
    QueryKind.TEXT: "",
    QueryKind.IMAGE: "Photos like the reference · ",
    QueryKind.COMPOSED: "Reference + change · ",
    QueryKind.SIMILAR: "Similar photos · ",
    QueryKind.SEVERAL: "Photos like these · ",
    QueryKind.BROWSE: "Newest first · ",
}


class PresenterHost(Protocol):
    query_bar: QueryBar
    side: FilterBar
    model: ResultsModel
    view: JustifiedView
    stack: QStackedWidget
    message: MessagePanel
    welcome: MessagePanel
    status: StatusArea
    search: SearchController
    state: LibraryState
    models: ModelController
    places: PlacesController
    steer: SteerController
    bursts: BurstController
    closed: bool

    def act_on_message(self, action: str) -> None: ...


class SearchPresenter(QObject):
    results_shown = Signal()

    def __init__(self, host: PresenterHost, parent: QObject) -> None:
        super().__init__(parent)
        self.host = host
        self.current_request: Query | None = None
        self.current_response: SearchResponse | None = None
        self.pending_query = False
        self.message_action = ""
        self.live_request: Query | None = None  # the current query again, after photos arrived or left
        self.live_again = False  # more arrived while that ran
        self.result_count = ""  # the count shown for the current results
        self._counted: tuple[Query, SearchResponse] | None = None  # what result_count was said for
        self.by_date = False  # a search's close matches by month instead of best first
        host.search.finished.connect(self.finished)
        host.search.failed.connect(self.failed)
        host.message.action_clicked.connect(lambda: host.act_on_message(self.message_action))
        host.view.verticalScrollBar().valueChanged.connect(self.maybe_load_more)
        host.side.by_date_toggled.connect(self.set_by_date)
        host.view.more_needed.connect(self.load_until)
        self.timeline_tasks = TaskRunner(1, self)  # its own worker: never queued behind folder changes
        self.load_target = -1  # the scrubber asked for the library down to this photo

    def current_query(self) -> Query:
        return self.host.bursts.apply(self.host.steer.apply(self.host.places.narrow(self._typed_query())))

    def _typed_query(self) -> Query:
        h = self.host
        text = h.query_bar.text
        ref = h.query_bar.reference
        filters = h.side.filters()
        if ref is not None:
            label = f"{ref.name} + “{elide(text)}”" if text else f"photos like {ref.name}"
            return Query.of(
                text, (ref.query_image,), weight=h.query_bar.weight, filters=filters, k=SEARCH_K, label=label
            )
        if text:
            return Query.of(text, filters=filters, k=SEARCH_K, label=f"“{elide(text)}”")
        return Query.of(filters=filters, k=BROWSE_PAGE, label="your library")

    def run_query(self) -> None:
        h = self.host
        if h.closed or not h.state.loaded:
            return
        if not h.state.summary.folders:
            h.stack.setCurrentWidget(h.welcome)
            return
        self.submit(self.current_query())

    def submit(self, req: Query) -> None:
        h = self.host
        if req.kind is not QueryKind.BROWSE and h.search.engine is None:
            self.pending_query = True
            if h.state.summary.active_model is None:
                self.show_message(
                    "Searching needs a model",
                    "Set up a model to search by words or by photo. "
                    "Meanwhile, clear the search box to browse your photos by date.",
                    "Set up a model…",
                    "model",
                )
            elif h.models.error:
                self.show_message(
                    "The search model could not be loaded", h.models.error, "Set up a model…", "model"
                )
            else:
                self.show_message(
                    "Getting the search model ready…", "Your search runs as soon as it is loaded."
                )
                if not h.models.loading:
                    h.models.load_engine()
            return
        self.current_request = req
        h.search.submit(req)

    def refresh_live(self) -> None:
        """Photos arrived or left (indexing, a folder change): run the current query again and show the new
        answer without moving what is under the pointer (see ``finished``). Nothing is retyped."""
        h = self.host
        req = self.current_request
        if h.closed or req is None or not h.state.summary.folders:
            return
        if req.kind is not QueryKind.BROWSE and h.search.engine is None:
            return
        if h.search.busy:
            self.live_again = True
            return
        self.live_again = False
        shown = h.model.rowCount()
        if req.kind is QueryKind.BROWSE:
            again = req.with_(offset=0, k=max(BROWSE_PAGE, min(shown, SEARCH_K_MAX)))
        else:
            again = req.with_(offset=0, k=max(SEARCH_K, min(shown, SEARCH_K_MAX)))
        self.live_request = again
        self.current_request = again
        h.search.submit(again)

    def _show_live(self, resp: SearchResponse) -> bool:
        """A live answer over results already shown: with the pointer over the grid, the shown photos keep
        their places and the new ones are added at the end; otherwise the answer replaces them at the same
        scroll position. False when the answer is not results (then it is shown as any answer)."""
        h = self.host
        if not resp.results or resp.no_good_matches or h.stack.currentWidget() is not h.view:
            return False
        if not h.model.rowCount():
            return False
        bursts = resp.extra.get("bursts")
        if h.view.underMouse():
            have = {h.model.result(i).path for i in range(h.model.rowCount())}
            h.model.append_results([r for r in resp.results if r.path not in have], bursts)
        else:
            sb = h.view.verticalScrollBar()
            at = sb.value()
            h.model.set_results(resp.results, resp.kind, bursts)
            sb.setValue(at)
        self._preview_follows()
        return True

    def _preview_follows(self) -> None:
        """The preview shows a photo only while it is among the results."""
        preview = getattr(self.host, "preview", None)
        if preview is None or not preview.isVisible() or not preview.path:
            return
        model = self.host.model
        if not any(model.result(i).path == preview.path for i in range(model.rowCount())):
            preview.close()

    def engine_loaded(self) -> None:
        h = self.host
        if self.pending_query or h.query_bar.text or h.query_bar.reference is not None:
            self.pending_query = False
            self.run_query()

    def engine_failed(self, error: str) -> None:
        if self.pending_query:
            self.pending_query = False
            self.show_message("The search model could not be loaded", error, "Set up a model…", "model")

    def find_similar(self, path: str) -> None:
        self.submit(
            self.host.bursts.apply(
                Query(
                    QueryKind.SIMILAR,
                    images=(path,),
                    filters=self.host.side.filters(),
                    k=SEARCH_K,
                    label=f"photos like {os.path.basename(path)}",
                )
            )
        )

    def maybe_load_more(self, value: int) -> None:
        """Near the bottom of the grid: the next page of the library (browsing), or — for a search — the
        search again for more results (up to SEARCH_K_MAX), of which the new ones are appended."""
        h = self.host
        req, resp = self.current_request, self.current_response
        if req is None or resp is None or h.search.busy or h.stack.currentWidget() is not h.view:
            return
        sb = h.view.verticalScrollBar()
        if value < sb.maximum() - 2 * h.view.thumb_size:
            return
        shown = h.model.rowCount()
        if req.kind is QueryKind.BROWSE:
            if shown < int(resp.extra.get("total", 0)):
                more = req.with_(k=BROWSE_PAGE, offset=shown)
                self.current_request = more
                h.search.submit(more)
            return
        # a search returned a full page: there may be more (filters and the relevance cut-off return fewer;
        # stacked bursts count with all their shots)
        ranked = len(resp.results) + sum(len(s) - 1 for s in (resp.extra.get("bursts") or {}).values())
        if ranked >= req.k and req.k < SEARCH_K_MAX and shown < resp.library_size:
            more = req.with_(k=min(SEARCH_K_MAX, req.k + SEARCH_K), offset=shown)
            self.current_request = more
            h.search.submit(more)

    def finished(self, req: Query, resp: SearchResponse) -> None:
        h = self.host
        if h.closed:
            return
        self.current_response = resp
        if req.kind is QueryKind.BROWSE and req.offset > 0:
            h.model.append_results(resp.results)
            if self.load_target >= h.model.rowCount():
                self.load_until(self.load_target)
            return
        if req.offset > 0:  # more of the same search: append what isn't shown yet, in rank order
            have = {h.model.result(i).path for i in range(h.model.rowCount())}
            h.model.append_results([r for r in resp.results if r.path not in have], resp.extra.get("bursts"))
            return
        live = req is self.live_request
        self.live_request = None
        if live and self._show_live(resp):
            self._say_count(req, resp)
            self.results_shown.emit()
            if self.live_again:
                self.refresh_live()
            return
        self.show_results(resp)
        if h.model.rowCount() and not live:
            h.view.scrollToTop()
        n = resp.library_size
        if not resp.results:
            if n == 0 and h.state.summary.active_model is None:  # indexing waits for a model, not a folder
                self.show_message(
                    "Your photos are waiting for a model",
                    "PhotoSearch indexes them once a model is set up (it runs on this computer).",
                    "Set up a model…",
                    "model",
                )
            elif n == 0:
                busy = h.status.indexing_busy
                self.show_message(
                    "No photos are indexed yet",
                    "Indexing is under way: photos appear here as they are indexed."
                    if busy
                    else "Add a folder of photos, or wait for indexing to finish.",
                    "" if busy else "Add folder…",
                    "" if busy else "add",
                )
            elif req.kind is QueryKind.BROWSE and req.filters is None and _not_there(resp):
                gone = resp.extra[UNREACHABLE_KEY]
                self.show_message(
                    f"{'Your photo folder is' if len(gone) == 1 else 'Your photo folders are'} not there now",
                    f"{', '.join(gone)}: plug the drive in or connect the share, and the photos show again.",
                )
            elif req.kind is QueryKind.BROWSE or req.filters is not None:
                self.show_message(
                    f"No photos match these filters in {plural(n, 'photo')}",
                    "Try a wider date range or more file types." + _not_there(resp),
                    "Reset filters",
                    "reset",
                )
            else:
                self.show_message(f"Nothing matched {req.describe()}", _not_there(resp).strip())
        elif resp.no_good_matches:
            self.show_message(
                f"Nothing close to {req.describe()} in {plural(n, 'photo')}",  # names the photo and the words
                "Try other words, or look at the nearest photos anyway." + _not_there(resp),
                "Show the nearest anyway",
                "nearest",
            )
        else:
            h.stack.setCurrentWidget(h.view)
            self._say_count(req, resp)
        self.results_shown.emit()
        if self.live_again:
            self.refresh_live()

    def load_until(self, index: int) -> None:
        """The date scrubber jumped past the pages loaded: load the library down to photo ``index`` (in pages
        of the most a query returns); the grid goes there when it arrives."""
        h = self.host
        req, resp = self.current_request, self.current_response
        if req is None or resp is None or req.kind is not QueryKind.BROWSE:
            return
        total = int(resp.extra.get("total", 0))
        shown = h.model.rowCount()
        self.load_target = min(index, total - 1)
        if self.load_target < shown or h.search.busy:
            return
        more = req.with_(k=min(K_MAX, self.load_target - shown + BROWSE_PAGE), offset=shown)
        self.current_request = more
        h.search.submit(more)

    def _fetch_timeline(self, req: Query) -> None:
        """The whole library's months for the scrubber (read on a worker of its own)."""
        h = self.host
        catalog = h.search.catalog
        if catalog is None:
            return
        filters = req.filters

        def done(counts: list[tuple[int, int, int]]) -> None:
            if self.current_request is not None and self.current_request.kind is QueryKind.BROWSE:
                h.view.set_timeline(timeline_months(counts))

        self.timeline_tasks.submit(lambda: timeline(catalog, filters), done)

    def show_results(self, resp: SearchResponse) -> None:
        """The answer in the grid: the library by month; a search best first with its weaker results below
        a divider, or — with "by date" on — only its close matches, by month."""
        h = self.host
        browse = resp.kind == QueryKind.BROWSE
        self.load_target = -1
        h.view.set_timeline(None)
        h.view.set_by_date(browse or self.by_date)
        if browse and self.current_request is not None:
            self._fetch_timeline(self.current_request)
        results = resp.results
        if self.by_date and not browse:
            results = sorted(resp.passed, key=result_time, reverse=True)
        h.model.set_results(results, resp.kind, resp.extra.get("bursts"))
        self._preview_follows()

    def set_by_date(self, on: bool) -> None:
        """The "by date" switch: show a search's close matches by month (the library is always by date)."""
        self.by_date = on
        resp = self.current_response
        if resp is not None and self.host.stack.currentWidget() is self.host.view:
            self.show_results(resp)
            if self._counted is not None and self._counted[1] is resp:  # a search's count (not an album's)
                self._say_count(self._counted[0], resp)  # says what the grid now shows

    def _say_count(self, req: Query, resp: SearchResponse) -> None:
        h = self.host
        kind = KIND_WORDS.get(QueryKind(resp.kind), "")
        total = resp.extra.get("total") if resp.kind == QueryKind.BROWSE else None
        n = resp.library_size
        if total is not None:
            count = plural(total, "photo")
        else:
            close = len(resp.passed)
            rest = len(resp.results) - close
            line = resp.extra.get("cutoff") or {}
            if line and line.get("threshold", 0) is None:  # an uncalibrated model: no line at all
                count = f"{plural(close, 'match', 'matches')} in {plural(n, 'photo')} · no relevance line "
                count += "(this model is uncalibrated)"
            else:
                count = f"{plural(close, 'close match', 'close matches')} in {plural(n, 'photo')}"
                if line and not line.get("calibrated", True):
                    count += " (uncalibrated line)"
            if self.by_date:  # only the close matches are shown, by month: no line, nothing below it
                count += ", by date"
            elif rest:
                count += f" · {plural(rest, 'weaker match', 'weaker matches')} below the line"
            count += h.bursts.count_words(resp.extra.get("bursts") or {})
            named = int(resp.extra.get("name_matches") or 0)
            if named:
                count += f" · {plural(named, 'found by name', 'found by name')}"
        count += _not_there(resp, " · ")
        self.result_count = count
        self._counted = (req, resp)
        if resp.extra.get("cutoff"):
            h.steer.show_calibrated(bool(resp.extra["cutoff"].get("calibrated", True)))
        h.status.set_count(f"{kind}{count}")  # always shown, indexing or not

    def failed(self, req: Query, message: str) -> None:
        self.host.model.clear()
        self._preview_follows()
        self.show_message("The search didn't work", message)
        self.results_shown.emit()

    def show_message(self, title: str, hint: str = "", button: str = "", action: str = "") -> None:
        h = self.host
        h.message.show_message(title, hint, button)
        h.status.say_unless_indexing("")
        h.status.set_count("")
        self.result_count = ""
        self.message_action = action
        h.stack.setCurrentWidget(h.message)


def _not_there(resp: SearchResponse, sep: str = " ") -> str:
    """Which added folders' photos the answer leaves out because their root is not there now (an unplugged drive;
    ``UNREACHABLE_KEY``), in words; "" when none."""
    gone = resp.extra.get(UNREACHABLE_KEY) or []
    return f"{sep}not shown: {plural(len(gone), 'folder')} not there now ({', '.join(gone)})" if gone else ""
