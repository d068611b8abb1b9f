"""The side bar (collapsible, from the filter bar's first button): the library's folders — a click shows one
folder, "All photos" all of them — with Add folder… and Manage…. Later places and albums go here too."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photosearch.gui.icons import icon, set_icon
from photosearch.states import FolderState


class FolderSidebar(QWidget):
    add_folder_clicked = Signal()
    manage_folders_clicked = Signal()
    folder_chosen = Signal(object)  # a folder path, or None for all

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Sidebar")
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
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == path:
                self.list.setCurrentRow(i)
                return
        self.list.setCurrentRow(0)

    def _clicked(self, item: QListWidgetItem) -> None:
        self.folder_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
