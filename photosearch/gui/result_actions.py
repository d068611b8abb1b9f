"""What can be done with results: open, show in folder, preview, copy (paths, files, the image), export,
find similar, use as reference; the context menu that offers them."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QMimeData, QModelIndex, QObject, QPoint
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QMenu, QSplitter, QWidget

from photosearch.app.places import export_photos
from photosearch.gui import desktop
from photosearch.gui.grid import JustifiedView
from photosearch.gui.preview import PreviewPanel
from photosearch.gui.results import ResultsModel
from photosearch.gui.workers import TaskRunner
from photosearch.progress import plural

if TYPE_CHECKING:
    from photosearch.gui.places_controller import PlacesController
    from photosearch.gui.status_area import StatusArea
    from photosearch.gui.steer_controller import SteerController


class ActionsHost(Protocol):
    view: JustifiedView
    model: ResultsModel
    preview: PreviewPanel
    splitter: QSplitter
    status: StatusArea
    tasks: TaskRunner
    preview_width: int
    places: PlacesController
    steer: SteerController

    def choose_folder(self, title: str) -> str | None: ...

    def error_box(self, title: str, text: str) -> None: ...

    def find_similar(self, path: str) -> None: ...

    def use_as_reference(self, path: str) -> None: ...

    def width(self) -> int: ...


class ResultActions(QObject):
    def __init__(self, host: ActionsHost, parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self.parent_widget = parent
        self._clipboard_mime: QMimeData | None = None
        view = host.view
        view.selectionModel().currentChanged.connect(self._current_changed)
        view.customContextMenuRequested.connect(self._context_menu)
        view.activated_row.connect(lambda row: self.open_paths([host.model.result(row).path]))
        view.preview_requested.connect(self.toggle_preview)
        host.preview.open_requested.connect(lambda p: self.open_paths([p]))
        host.preview.show_requested.connect(self.show_in_folder)
        # closed from the keyboard: the focus goes back to the photos (not to the next control in the chain)
        host.preview.closed_by_person.connect(lambda had_focus: had_focus and host.view.setFocus())

    def selected_paths(self) -> list[str]:
        view = self.host.view
        rows = view.selected_rows()
        if not rows and view.currentIndex().isValid():
            rows = [view.currentIndex().row()]
        return [self.host.model.result(r).path for r in rows]

    def open_paths(self, paths: list[str]) -> None:
        for p in paths[:20]:
            if not desktop.open_file(p):
                self.host.status.say(
                    f"No program on this computer opens {os.path.basename(p)}: "
                    "install a photo viewer, or use Show in folder"
                )
                return

    def show_in_folder(self, path: str) -> None:
        if not desktop.show_in_folder(path):
            self.host.status.say(f"No file manager could show {os.path.dirname(path)}")

    def copy_paths(self, paths: list[str]) -> None:
        QGuiApplication.clipboard().setText("\n".join(paths))
        self.host.status.say(f"Copied {len(paths)} path{'s' if len(paths) != 1 else ''}")

    def copy_files(self, paths: list[str]) -> None:
        model = self.host.model
        rows = [i for i, r in enumerate(model.results) if r.path in set(paths)]
        mime = model.mimeData([model.index(r) for r in rows])
        QGuiApplication.clipboard().setMimeData(mime)
        self._clipboard_mime = mime
        self.host.status.say(
            f"Copied {len(paths)} file{'s' if len(paths) != 1 else ''}: paste them in a file manager"
        )

    def copy_image(self, path: str) -> None:
        img = QImage(path)
        if img.isNull():
            self.host.status.say("This photo can't be copied as an image")
            return
        QGuiApplication.clipboard().setImage(img)
        self.host.status.say("Copied the image")

    def export_selected(
        self, paths: list[str] | None = None, folder: str | None = None, *, no_location: bool = False
    ) -> None:
        """Copy the photos to a folder through the application's export (``app.places.export_photos``);
        ``no_location``: the copies carry nothing that says where they were taken."""
        paths = paths if paths is not None else self.selected_paths()
        if not paths:
            return
        how = " without location" if no_location else ""
        folder = folder or self.host.choose_folder(f"Copy {plural(len(paths), 'photo')}{how} to…")
        if not folder:
            return
        status = self.host.status
        status.say(f"Copying {plural(len(paths), 'photo')}{how} to {folder}…")
        self.host.tasks.submit(
            lambda: export_photos(paths, folder, no_location=no_location),
            lambda out: status.say(f"Copied {plural(len(out), 'photo')}{how} to {folder}"),
            lambda e: self.host.error_box("Some photos were not copied", str(e)),
        )

    # -- preview ------------------------------------------------------------------------------------
    def toggle_preview(self, row: int) -> None:
        """P: open the preview panel on this result, or close it."""
        h = self.host
        if h.preview.isVisible():
            h.preview_width = h.splitter.sizes()[2] or h.preview_width
            h.preview.close()
            h.view.setFocus()
        else:
            self.show_preview(row)

    def show_preview(self, row: int) -> PreviewPanel:
        h = self.host
        was_visible = h.preview.isVisible()
        h.preview.show_result(h.model.result(row), h.model.thumbnail(row, request=False))
        h.places.show_meta(h.model.result(row))
        if not was_visible:
            h.preview.show()
            sizes = h.splitter.sizes()
            want = h.preview_width or max(300, min(520, h.width() // 3))
            if sizes[2] < want:
                h.splitter.setSizes([sizes[0], max(200, sizes[1] + sizes[2] - want), want])
        return h.preview

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.host.preview.isVisible() and current.isValid():
            self.show_preview(current.row())

    # -- context menu -------------------------------------------------------------------------------
    def build_context_menu(self, index: QModelIndex) -> QMenu:
        h = self.host
        menu = QMenu(self.parent_widget)
        selected = self.selected_paths()
        path = h.model.result(index.row()).path if index.isValid() else (selected[0] if selected else "")
        if path:
            menu.addAction("Open", lambda: self.open_paths([path]))
            menu.addAction("Show in folder", lambda: self.show_in_folder(path))
            menu.addAction("Preview", lambda: self.show_preview(index.row()))
            menu.addSeparator()
            menu.addAction("Copy path", lambda: self.copy_paths([path]))
            menu.addAction("Copy image", lambda: self.copy_image(path))
            menu.addSeparator()
            menu.addAction("Find similar", lambda: h.find_similar(path))
            menu.addAction("Use as reference", lambda: h.use_as_reference(path))
        if len(selected) > 1:
            menu.addSeparator()
            n = len(selected)
            menu.addAction(f"Copy {plural(n, 'file')}", lambda: self.copy_files(selected))
            menu.addAction(f"Copy {n} paths", lambda: self.copy_paths(selected))
        chosen = selected if len(selected) > 1 else [path] if path else []
        if chosen:
            menu.addSeparator()
            what = plural(len(chosen), "photo") if len(chosen) > 1 else "photo"
            menu.addAction(f"Export {what} to a folder…", lambda: self.export_selected(chosen))
            menu.addAction(
                f"Export {what} without location…", lambda: self.export_selected(chosen, no_location=True)
            )
        h.steer.add_to_menu(menu, selected if len(selected) > 1 else [path] if path else [])
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        view = self.host.view
        index = view.indexAt(pos)
        if index.isValid() and not view.selectionModel().isSelected(index):
            view.setCurrentIndex(index)
        menu = self.build_context_menu(index)
        if not menu.isEmpty():
            menu.popup(view.viewport().mapToGlobal(pos))

    def release_clipboard(self) -> None:
        """Take back file lists we put on the clipboard: a Python-made QMimeData that Qt destroys after the
        interpreter has shut down crashes the process at exit (PySide6)."""
        mime, self._clipboard_mime = self._clipboard_mime, None
        if mime is None:
            return
        cb = QGuiApplication.clipboard()
        with contextlib.suppress(RuntimeError):
            if cb.mimeData() is mime or cb.ownsClipboard():
                urls = [u.toLocalFile() for u in mime.urls()]
                cb.setText("\n".join(urls))  # keep the paths, in a Qt-made object
