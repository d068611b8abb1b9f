"""The side bar (collapsible, from the filter bar's first button): the library's folders — a click shows one
folder, "All photos" all of them — with Add folder… and Manage…; the library's albums taught by example, each
with its number of photos (a click shows its photos, the context menu exports or deletes it; "Save as album…"
makes one from the 👍 and 👎 of a search: ``photosearch.gui.albums_controller``). The places list goes below
(``photosearch.gui.places_controller``)."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from photosearch.gui.icons import icon, set_icon
from photosearch.states import FolderState


class FolderSidebar(QWidget):
    add_folder_clicked = Signal()
    manage_folders_clicked = Signal()
    folder_chosen = Signal(object)  # a folder path, or None for all
    album_chosen = Signal(str)  # an album's name
    album_menu_requested = Signal(str, QPoint)  # an album's name, where (global)
    save_album_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
        self._folder: str | None = None  # the folder shown (None: all)
        self.setMinimumWidth(150)
        self.setMaximumWidth(360)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 2, 8)
        title = QLabel("Folders", self)
        title.setObjectName("SidebarTitle")
        lay.addWidget(title)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Folders")
        self.list.setFrameShape(QListWidget.Shape.NoFrame)
        self.list.setIconSize(QSize(18, 18))
        self.list.itemClicked.connect(self._clicked)
        lay.addWidget(self.list, 1)
        self._albums_section(lay)
        row = QHBoxLayout()
        self.add_button = QToolButton(self)
        self.add_button.setText("Add folder…")
        self.manage_button = QToolButton(self)
        self.manage_button.setText("Manage…")
        for b, name, sig in (
            (self.add_button, "folder-add", self.add_folder_clicked),
            (self.manage_button, "settings", self.manage_folders_clicked),
        ):
            set_icon(b, name)
            b.setAccessibleName(b.text().rstrip("…"))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setAutoRaise(True)
            b.clicked.connect(sig)
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.folders: list[Any] = []
        self.set_folders([])

    def set_folders(self, folders: list[Any], current: str | None = None) -> None:
        self.folders = list(folders)
        self.list.clear()
        everything = QListWidgetItem(icon("image"), "All photos")
        everything.setData(Qt.ItemDataRole.UserRole, None)
        self.list.addItem(everything)
        for f in folders:
            mark = (
                " (paused)"
                if f.state == FolderState.PAUSED
                else " (offline)"
                if f.state == FolderState.OFFLINE
                else ""
            )
            item = QListWidgetItem(
                icon("folder"), f"{os.path.basename(f.path.rstrip(os.sep)) or f.path}{mark}"
            )
            item.setToolTip(f.path)
            item.setData(Qt.ItemDataRole.UserRole, f.path)
            self.list.addItem(item)
        self.set_current(current)

    def set_current(self, path: str | None) -> None:
        self._folder = path
        if self.albums.selectedItems():  # an album is shown: no folder is
            self.list.clearSelection()
            return
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == path:
                self.list.setCurrentRow(i)
                return
        self.list.setCurrentRow(0)

    def _clicked(self, item: QListWidgetItem) -> None:
        self.albums.clearSelection()
        self.folder_chosen.emit(item.data(Qt.ItemDataRole.UserRole))

    # -- albums -------------------------------------------------------------------------------------
    def _albums_section(self, lay: QVBoxLayout) -> None:
        head = QHBoxLayout()
        head.setContentsMargins(0, 8, 0, 0)
        title = QLabel("Albums", self)
        title.setObjectName("SidebarTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.save_album_button = QToolButton(self)
        self.save_album_button.setText("Save as album…")
        self.save_album_button.setAccessibleName("Save as album")
        self.save_album_button.setToolTip(
            "Save as album…: an album that learns from the photos you marked 👍 (and 👎) in this search, "
            "and keeps filling as new photos arrive"
        )
        set_icon(self.save_album_button, "album-add")
        self.save_album_button.setAutoRaise(True)
        self.save_album_button.clicked.connect(self.save_album_clicked)
        head.addWidget(self.save_album_button)
        lay.addLayout(head)
        self.albums = QTreeWidget(self)
        self.albums.setAccessibleName("Albums")
        self.albums.setColumnCount(2)
        self.albums.setHeaderHidden(True)
        self.albums.setRootIsDecorated(False)
        self.albums.setFrameShape(QTreeWidget.Shape.NoFrame)
        self.albums.setIconSize(QSize(18, 18))
        self.albums.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.albums.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        header = self.albums.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.albums.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.albums.itemClicked.connect(self._album_clicked)
        self.albums.customContextMenuRequested.connect(self._album_menu)
        lay.addWidget(self.albums)
        self.albums_hint = QLabel(
            "No albums yet: in a search, mark photos that belong (L) and some that don't (D), "
            "then Save as album…",
            self,
        )
        self.albums_hint.setObjectName("SidebarHint")
        self.albums_hint.setWordWrap(True)
        self.albums_hint.setEnabled(False)  # drawn in the palette's quieter colour
        lay.addWidget(self.albums_hint)
        self.set_albums([])

    def set_albums(self, albums: list[Any], current: str | None = None) -> None:
        """``albums``: ``photosearch.app.albums.AlbumSummary`` rows (name, members…)."""
        self.albums.clear()
        for a in albums:
            item = QTreeWidgetItem([a.name, f"{a.members:,}"])
            item.setIcon(0, icon("album"))
            item.setData(0, Qt.ItemDataRole.UserRole, a.name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, f"{a.name}: {a.members:,} photos, taught by {a.liked} 👍 and {a.disliked} 👎")
            self.albums.addTopLevelItem(item)
        rows = max(1, min(8, len(albums)))
        row_h = self.albums.sizeHintForRow(0) if albums else 24
        self.albums.setFixedHeight(rows * max(20, row_h) + 4)
        self.albums.setVisible(bool(albums))
        self.albums_hint.setVisible(not albums)
        self.set_current_album(current)

    def _album_items(self) -> list[QTreeWidgetItem]:
        items = (self.albums.topLevelItem(i) for i in range(self.albums.topLevelItemCount()))
        return [it for it in items if it is not None]

    def album_names(self) -> list[str]:
        return [str(it.data(0, Qt.ItemDataRole.UserRole)) for it in self._album_items()]

    def album_count(self, name: str) -> int | None:
        """The count shown beside album ``name`` (None when it is not listed)."""
        for item in self._album_items():
            if item.data(0, Qt.ItemDataRole.UserRole) == name:
                return int(item.text(1).replace(",", ""))
        return None

    def set_current_album(self, name: str | None) -> None:
        """Mark album ``name`` as the one shown (None: none is; the folder shown is marked again)."""
        self.albums.clearSelection()
        for item in self._album_items():
            if name is not None and item.data(0, Qt.ItemDataRole.UserRole) == name:
                item.setSelected(True)
                self.albums.setCurrentItem(item)
                self.list.clearSelection()
                return
        self.set_current(self._folder)

    def _album_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self.list.clearSelection()
        self.album_chosen.emit(str(item.data(0, Qt.ItemDataRole.UserRole)))

    def _album_menu(self, pos: QPoint) -> None:
        item = self.albums.itemAt(pos)
        if item is not None:
            name = str(item.data(0, Qt.ItemDataRole.UserRole))
            self.album_menu_requested.emit(name, self.albums.viewport().mapToGlobal(pos))
