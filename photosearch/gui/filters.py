"""The side panel: the library's folders (with "Add…") and the filters (folder, date range, file type)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from photosearch.search.engine import Filters

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photosearch.states import FolderState

FILE_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("JPEG", ("jpeg",)),
    ("PNG", ("png",)),
    ("HEIC/AVIF", ("heic", "avif")),
    ("WebP", ("webp",)),
    ("Other", ("gif", "bmp", "tiff")),
)


class FilterPanel(QWidget):
    changed = Signal()
    add_folder_clicked = Signal()
    manage_folders_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(190)
        self.setMaximumWidth(280)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 8)

        lib = QGroupBox("Library", self)
        ll = QVBoxLayout(lib)
        self.folder_list = QLabel("", lib)
        self.folder_list.setWordWrap(True)
        self.folder_list.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ll.addWidget(self.folder_list)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add folder…", lib)
        self.add_button.clicked.connect(self.add_folder_clicked)
        self.manage_button = QPushButton("Manage…", lib)
        self.manage_button.clicked.connect(self.manage_folders_clicked)
        row.addWidget(self.add_button)
        row.addWidget(self.manage_button)
        ll.addLayout(row)
        lay.addWidget(lib)

        box = QGroupBox("Filters", self)
        form = QFormLayout(box)
        self.folder_combo = QComboBox(box)
        self.folder_combo.addItem("All folders", None)
        self.folder_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form.addRow("Folder", self.folder_combo)

        self.use_from = QCheckBox("From", box)
        self.date_from = QDateEdit(QDate.currentDate().addYears(-1), box)
        self.date_from.setCalendarPopup(True)
        self.use_to = QCheckBox("To", box)
        self.date_to = QDateEdit(QDate.currentDate(), box)
        self.date_to.setCalendarPopup(True)
        for check in (self.use_from, self.use_to):
            check.toggled.connect(lambda _on: self.changed.emit())
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._date_edited)
        form.addRow(self.use_from, self.date_from)
        form.addRow(self.use_to, self.date_to)

        types = QWidget(box)
        tl = QVBoxLayout(types)
        tl.setContentsMargins(0, 0, 0, 0)
        self.type_boxes: list[tuple[QCheckBox, tuple[str, ...]]] = []
        for label, fmts in FILE_TYPES:
            cb = QCheckBox(label, types)
            cb.setChecked(True)
            cb.toggled.connect(lambda _on: self.changed.emit())
            tl.addWidget(cb)
            self.type_boxes.append((cb, fmts))
        form.addRow("Type", types)
        self.reset_button = QPushButton("Reset filters", box)
        self.reset_button.clicked.connect(self.reset)
        form.addRow(self.reset_button)
        lay.addWidget(box)
        lay.addStretch(1)

    def _date_edited(self, _d: Any) -> None:
        if self.use_from.isChecked() or self.use_to.isChecked():
            self.changed.emit()

    def set_folders(self, folders: list[Any]) -> None:
        names = []
        for f in folders:
            mark = (
                " (paused)"
                if f.state == FolderState.PAUSED
                else " (offline)"
                if f.state == FolderState.OFFLINE
                else ""
            )
            names.append(f"{f.path}{mark}")
        self.folder_list.setText("\n".join(names) if names else "No folders yet.")
        current = self.folder_combo.currentData()
        blocked = self.folder_combo.blockSignals(True)
        self.folder_combo.clear()
        self.folder_combo.addItem("All folders", None)
        for f in folders:
            self.folder_combo.addItem(f.path, f.path)
        i = self.folder_combo.findData(current) if current else 0
        self.folder_combo.setCurrentIndex(max(i, 0))
        self.folder_combo.blockSignals(blocked)
        if current and i < 0:
            self.changed.emit()

    def reset(self) -> None:
        widgets = [self.folder_combo, self.use_from, self.use_to] + [cb for cb, _ in self.type_boxes]
        for w in widgets:
            w.blockSignals(True)
        self.folder_combo.setCurrentIndex(0)
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)
        for cb, _ in self.type_boxes:
            cb.setChecked(True)
        for w in widgets:
            w.blockSignals(False)
        self.changed.emit()

    def filters(self) -> Filters | None:
        from photosearch.search.engine import Filters

        f = Filters()
        f.folder = self.folder_combo.currentData()
        if self.use_from.isChecked():
            d = self.date_from.date()
            f.date_from = dt.datetime(d.year(), d.month(), d.day()).timestamp()
        if self.use_to.isChecked():
            d = self.date_to.date()
            f.date_to = dt.datetime(d.year(), d.month(), d.day(), 23, 59, 59).timestamp()
        checked = [fmts for cb, fmts in self.type_boxes if cb.isChecked()]
        if len(checked) != len(self.type_boxes):
            f.formats = tuple(x for fmts in checked for x in fmts)
        return f if f.active() else None
