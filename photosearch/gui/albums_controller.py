"""Albums taught by example, in the window: the side bar lists the library's albums with their number of photos;
a click shows an album's photos in the grid, named in a chip above them whose ✕ goes back to the search (they
keep filling: the list and the open album are read again when the library changes); "Save as album…" (the side bar, the results' context menu) makes one from the 👍 and
👎 of the current search; an album's context menu exports its photos to a folder or deletes it.

Every verb is the application's (``photosearch.app.albums``, ``photosearch.app.places.export_photos``), the
same functions the ``photosearch album`` command calls; they run on a worker of this controller's own, never
on the UI thread (an album's members are worked out from every stored embedding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMenu, QMessageBox

from photosearch.app.albums import (
    AlbumSummary,
    album_members,
    album_name,
    delete_album,
    list_albums,
    save_album,
)
from photosearch.app.places import export_photos
from photosearch.errors import PhotoSearchError
from photosearch.gui.workers import TaskRunner
from photosearch.progress import plural
from photosearch.search.engine import SearchResponse

if TYPE_CHECKING:
    from photosearch.app.status import LibrarySummary
    from photosearch.gui.main_window import MainWindow


class AlbumsController(QObject):
    listed = Signal(list)  # the albums (AlbumSummary), as the side bar now shows them
    shown = Signal(str)  # an album's photos are in the grid (its name)
    saved = Signal(object)  # AlbumSummary of an album just saved

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.tasks = TaskRunner(1, self)
        self.current: str | None = None  # the album shown in the grid
        self.albums: list[AlbumSummary] = []
        self._listing = self._list_again = False
        self._loading = self._load_again = False
        self._visible_seen = -1
        sb = window.sidebar
        sb.album_chosen.connect(self.open)
        sb.album_menu_requested.connect(self._menu)
        sb.save_album_clicked.connect(lambda: self.save_from_feedback())
        sb.folder_chosen.connect(self._folder_chosen)
        window.search.started.connect(lambda _q: self._leave())
        window.state.updated.connect(self._library_changed)

    # -- the list -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the albums and their counts again (one read at a time; changes meanwhile fold into one)."""
        lib = self.w.library
        if lib is None or self.w.closed:
            return
        if self._listing:
            self._list_again = True
            return
        self._listing, self._list_again = True, False

        def work() -> list[AlbumSummary]:
            if lib.active_model_id() is None:
                return []
            return list_albums(lib)

        self.tasks.submit(work, self._listed_now, self._list_failed)

    def _listed_now(self, albums: list[AlbumSummary]) -> None:
        self._listing = False
        if self.w.closed:
            return
        self.albums = albums
        if self.current is not None and self.current not in {a.name for a in albums}:
            self.current = None  # deleted (here or by another process)
        self.w.sidebar.set_albums(albums, self.current)
        self.listed.emit(albums)
        if self._list_again:
            self.refresh()

    def _list_failed(self, e: BaseException) -> None:
        self._listing = False
        self.w.status.say(f"The albums could not be read: {e}")

    def _library_changed(self, s: LibrarySummary) -> None:
        if self.w.closed or s.visible == self._visible_seen:
            return
        self._visible_seen = s.visible  # photos arrived or left: counts and the open album follow
        self.refresh()
        if self.current is not None:
            self._load(self.current, fresh=False)

    # -- an album in the grid -------------------------------------------------------------------------
    def open(self, name: str) -> None:
        """Show album ``name``'s photos in the grid (the search in the line stays; typing runs it)."""
        if self.w.library is None:
            return
        self.current = name
        self.w.search.generation += 1  # a search still running is not shown over the album
        self.w.presenter.current_request = None  # nothing to page through or run again live
        self.w.sidebar.set_current_album(name)
        self._load(name, fresh=True)

    def _load(self, name: str, fresh: bool) -> None:
        lib = self.w.library
        if lib is None:
            return
        if self._loading:
            self._load_again = True
            return
        self._loading, self._load_again = True, False

        def done(resp: SearchResponse) -> None:
            self._loading = False
            if self.current == name and not self.w.closed:
                self._show(name, resp, fresh)
            if self._load_again and self.current is not None:
                self._load(self.current, fresh=self.current != name)

        def failed(e: BaseException) -> None:
            self._loading = False
            if self.current == name:
                self.w.presenter.show_message(f"The album “{name}” could not be shown", str(e))

        self.tasks.submit(lambda: album_members(lib, name), done, failed)

    def _show(self, name: str, resp: SearchResponse, fresh: bool) -> None:
        w, p = self.w, self.w.presenter
        if not resp.results:
            p.current_response = resp
            p.show_message(
                f"The album “{name}” has no photos now",
                resp.message or "Its photos may have left the library: save it again from a search.",
            )
            self.shown.emit(name)
            return
        sb = w.view.verticalScrollBar()
        at = sb.value()
        p.current_response = resp
        p.show_results(resp)
        w.stack.setCurrentWidget(w.view)
        if fresh:
            w.view.scrollToTop()
        else:
            sb.setValue(at)
        # named above the photos, as the chips name what a search understood; its ✕ runs the line again
        w.places.chips.set_chips([("album", f"Album “{name}”")])
        p.result_count = f"Album “{name}” · {plural(len(resp.results), 'photo')}"
        w.status.set_count(p.result_count)
        p.results_shown.emit()
        self.shown.emit(name)

    def _leave(self) -> None:
        """A search (or the library by date) took the grid: no album is open any more."""
        if self.current is not None:
            self.current = None
            self.w.sidebar.set_current_album(None)

    def _folder_chosen(self, _path: object) -> None:
        if self.current is not None:
            self._leave()
            self.w.run_query()

    # -- save, delete, export ---------------------------------------------------------------------------
    def ask_name(self, suggested: str) -> str | None:
        """The album's name, asked in a small dialog (tests replace this)."""
        name, ok = QInputDialog.getText(
            self.w,
            "Save as album",
            "A name for the album. It learns from the photos you marked 👍 and 👎,\n"
            "and keeps filling as new photos like them arrive.",
            QLineEdit.EchoMode.Normal,
            suggested,
        )
        return name.strip() if ok and name.strip() else None

    def save_from_feedback(self, name: str | None = None) -> None:
        """Save an album from the 👍 and 👎 of the current search."""
        fb = self.w.steer.feedback
        liked, disliked = fb.liked, fb.disliked
        if not liked:
            self.w.status.say("An album learns from examples: mark photos of a search 👍 (L) first")
            return
        if self._read_only():
            return
        name = name or self.ask_name(self.w.query_bar.text.strip())
        if not name:
            return
        try:
            name = album_name(name)  # one line, the app's rule (a pasted line break is a space)
        except PhotoSearchError as e:
            self.w.status.say(str(e))
            return
        lib = self.w.lib
        self.w.status.say(f"Saving the album “{name}”…")

        def done(s: AlbumSummary) -> None:
            self.w.status.say(
                f"Saved the album “{s.name}”: {plural(s.members, 'photo')} now, more as photos like them arrive"
            )
            self.saved.emit(s)
            self.refresh()

        self.tasks.submit(
            lambda: save_album(lib, name, liked, disliked),
            done,
            lambda e: self.w.error_box("The album could not be saved", _words(e)),
        )

    def delete(self, name: str, confirm: bool = True) -> None:
        if self._read_only():
            return
        if confirm:
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Delete album",
                f"Delete the album “{name}”? Its photos stay where they are.",
                QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
                self.w,
            )
            box.button(QMessageBox.StandardButton.Ok).setText("Delete album")
            box.accepted.connect(lambda: self.delete(name, confirm=False))
            self.confirm_box = box
            box.open()
            return
        lib = self.w.lib

        def done(_x: object) -> None:
            self.w.status.say(f"Deleted the album “{name}”")
            if self.current == name:
                self._leave()
                self.w.run_query()
            self.refresh()

        self.tasks.submit(
            lambda: delete_album(lib, name),
            done,
            lambda e: self.w.error_box("The album could not be deleted", _words(e)),
        )

    def export(self, name: str, folder: str | None = None) -> None:
        """Copy the album's photos into a folder the person picks."""
        folder = folder or self.w.choose_folder(f"Copy the photos of “{name}” to…")
        if not folder:
            return
        lib = self.w.lib
        self.w.status.say(f"Copying the photos of “{name}” to {folder}…")

        def work() -> list[Any]:
            return export_photos([r.path for r in album_members(lib, name).results], folder)

        self.tasks.submit(
            work,
            lambda out: self.w.status.say(f"Copied {plural(len(out), 'photo')} of “{name}” to {folder}"),
            lambda e: self.w.error_box("Copying failed", _words(e)),
        )

    def _read_only(self) -> bool:
        if self.w.read_only:
            self.w.status.say("The library is open read-only here: albums can be looked at, not changed")
        return self.w.read_only

    # -- menus ----------------------------------------------------------------------------------------
    def _menu(self, name: str, at: QPoint) -> None:
        menu = self.build_menu(name)
        menu.popup(at)

    def build_menu(self, name: str) -> QMenu:
        menu = QMenu(self.w.sidebar)
        menu.addAction("Show its photos", lambda: self.open(name))
        menu.addAction("Export to a folder…", lambda: self.export(name))
        menu.addSeparator()
        menu.addAction("Delete album…", lambda: self.delete(name))
        self.last_menu = menu
        return menu

    def add_to_menu(self, menu: QMenu) -> None:
        """The results' context menu: save the search's 👍/👎 as an album."""
        fb = self.w.steer.feedback
        if fb.liked:
            menu.addAction(
                f"Save {len(fb.liked)} 👍 / {len(fb.disliked)} 👎 as album…",
                lambda: self.save_from_feedback(),
            )


def _words(e: BaseException) -> str:
    return str(e) if isinstance(e, PhotoSearchError) else f"{type(e).__name__}: {e}"
