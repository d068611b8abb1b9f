"""The filter bar above the results: folder, date range (calendars, dates in the person's locale), file type
and orientation as slim drop-downs, the "by date" switch, and the active filters as chips that remove
themselves when clicked."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from photosearch.search.engine import Filters

from PySide6.QtCore import QDate, QLocale, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from photosearch.gui.icons import set_icon
from photosearch.states import FolderState

FILE_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("JPEG", ("jpeg",)),
    ("PNG", ("png",)),
    ("HEIC/AVIF", ("heic", "avif")),
    ("WebP", ("webp",)),
    ("Other", ("gif", "bmp", "tiff")),
)
ORIENTATIONS = (
    ("Any shape", None),
    ("Landscape", "landscape"),
    ("Portrait", "portrait"),
    ("Square", "square"),
)


def date_format() -> str:
    """The person's locale's short date; with no locale set (C/POSIX: "5 12 2024"), day, month name, year."""
    loc = QLocale()
    if loc.language() == QLocale.Language.C:
        return "d MMM yyyy"
    return loc.dateFormat(QLocale.FormatType.ShortFormat)


def locale_date(d: QDate) -> str:
    return QLocale().toString(d, date_format())


DATE_TIP = "Only photos taken in a date range"
TYPE_TIP = "Only some file types"


class FilterBar(QWidget):
    changed = Signal()
    by_date_toggled = Signal(bool)
    sidebar_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FilterBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 8, 4)
        lay.setSpacing(6)
        self.sidebar_button = self._tool("sidebar", "Folders", "Show or hide the folders")
        self.sidebar_button.setCheckable(True)
        self.sidebar_button.setChecked(True)
        self.sidebar_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.sidebar_button.toggled.connect(self.sidebar_toggled)
        lay.addWidget(self.sidebar_button)

        self.folder_combo = QComboBox(self)
        self.folder_combo.setAccessibleName("Folder")
        self.folder_combo.setToolTip("Only photos in this folder")
        self.folder_combo.addItem("All folders", None)
        self.folder_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.folder_combo.setMaximumWidth(260)
        self.folder_combo.currentIndexChanged.connect(lambda _i: self._changed())
        lay.addWidget(self.folder_combo)

        # dates: a drop-down with two calendars, each on its own switch
        self.date_button = self._tool("calendar", "Any date", DATE_TIP)
        menu = QMenu(self.date_button)
        box = QWidget(menu)
        form = QFormLayout(box)
        fmt = date_format()
        self.use_from = QCheckBox("From", box)
        self.date_from = QDateEdit(QDate.currentDate().addYears(-1), box)
        self.use_to = QCheckBox("To", box)
        self.date_to = QDateEdit(QDate.currentDate(), box)
        for check, edit in ((self.use_from, self.date_from), (self.use_to, self.date_to)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(fmt)  # the person's locale, never "1 12 2025"
            edit.setAccessibleName(f"{check.text()} date")
            check.toggled.connect(lambda _on: self._changed())
            edit.dateChanged.connect(self._date_edited)
            form.addRow(check, edit)
        act = QWidgetAction(menu)
        act.setDefaultWidget(box)
        menu.addAction(act)
        self.date_button.setMenu(menu)
        lay.addWidget(self.date_button)

        # types: a drop-down of check boxes
        self.type_button = self._tool("image", "All types", TYPE_TIP)
        tmenu = QMenu(self.type_button)
        tbox = QWidget(tmenu)
        tl = QFormLayout(tbox)
        self.type_boxes: list[tuple[QCheckBox, tuple[str, ...]]] = []
        for label, fmts in FILE_TYPES:
            cb = QCheckBox(label, tbox)
            cb.setChecked(True)
            cb.toggled.connect(lambda _on: self._changed())
            tl.addRow(cb)
            self.type_boxes.append((cb, fmts))
        tact = QWidgetAction(tmenu)
        tact.setDefaultWidget(tbox)
        tmenu.addAction(tact)
        self.type_button.setMenu(tmenu)
        lay.addWidget(self.type_button)

        self.orientation_combo = QComboBox(self)
        self.orientation_combo.setAccessibleName("Shape")
        self.orientation_combo.setToolTip("Only landscape, portrait or square photos")
        for text, value in ORIENTATIONS:
            self.orientation_combo.addItem(text, value)
        self.orientation_combo.currentIndexChanged.connect(lambda _i: self._changed())
        lay.addWidget(self.orientation_combo)

        # the active filters, each removable: a row of their own under the bar (the window places it), so
        # that they never widen the bar
        self.chips = QWidget(self)
        self.chips_layout = QHBoxLayout(self.chips)
        self.chips_layout.setContentsMargins(8, 0, 8, 4)
        self.chips_layout.setSpacing(4)
        lay.addStretch(1)

        self.by_date_button = self._tool("calendar", "By date", "Show a search's close matches by month")
        self.by_date_button.setCheckable(True)
        self.by_date_button.toggled.connect(self.by_date_toggled)
        lay.addWidget(self.by_date_button)
        self._update_chips()

    def _tool(self, icon_name: str, text: str, tip: str) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setToolTip(tip)
        b.setAccessibleName(text)
        set_icon(b, icon_name)
        b.setIconSize(QSize(18, 18))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        b.setAutoRaise(True)
        # a menu's arrow level with the text, like the combo boxes' (Qt draws it in the bottom right corner)
        b.setStyleSheet(
            "QToolButton::menu-indicator { subcontrol-origin: padding; subcontrol-position: center right; }"
        )
        return b

    def _changed(self) -> None:
        self._update_chips()
        self.changed.emit()

    def _date_edited(self, _d: Any) -> None:
        if self.use_from.isChecked() or self.use_to.isChecked():
            self._changed()
        else:
            self._update_chips()

    # -- chips: what is active, at a glance ----------------------------------------------------------
    def active(self) -> list[tuple[str, str]]:
        """(kind, words) of each active filter, in the order of the bar."""
        out = []
        if self.folder_combo.currentData():
            out.append(("folder", f"In {self.folder_combo.currentText()}"))
        f, t = self.use_from.isChecked(), self.use_to.isChecked()
        if f or t:
            a, b = locale_date(self.date_from.date()), locale_date(self.date_to.date())
            out.append(("date", f"{a} – {b}" if f and t else f"From {a}" if f else f"Until {b}"))
        checked = [cb.text() for cb, _ in self.type_boxes if cb.isChecked()]
        left_out = [cb.text() for cb, _ in self.type_boxes if not cb.isChecked()]
        if left_out:  # named by the shorter list
            words = ", ".join(checked) if len(checked) <= len(left_out) else "All but " + ", ".join(left_out)
            out.append(("type", words if checked else "No types"))
        if self.orientation_combo.currentData():
            out.append(("orientation", self.orientation_combo.currentText()))
        return out

    def _update_chips(self) -> None:
        while self.chips_layout.count():
            item = self.chips_layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.hide()  # gone now, deleted when the event loop turns
                w.deleteLater()
        self.chip_buttons: dict[str, QToolButton] = {}
        for kind, words in self.active():
            chip = QToolButton(self.chips)
            chip.setObjectName("FilterChip")
            chip.setText(f"{words}  ×")
            chip.setToolTip("Remove this filter")
            chip.setAccessibleName(f"Remove filter: {words}")
            chip.clicked.connect(lambda _c=False, k=kind: self.remove(k))
            self.chips_layout.addWidget(chip)
            self.chip_buttons[kind] = chip
        self.chips_layout.addStretch(1)
        self.chips.setVisible(bool(self.chip_buttons))
        # the buttons say briefly that they are set: the words are on the chip and in their tooltip
        said = dict(self.active())
        dates, types = said.get("date"), said.get("type")
        self.date_button.setText("Date range" if dates else "Any date")
        self.date_button.setToolTip(f"{dates} (only photos taken then)" if dates else DATE_TIP)
        n = sum(cb.isChecked() for cb, _ in self.type_boxes)
        self.type_button.setText(
            f"{n} of {len(self.type_boxes)} types" if types and n else types or "All types"
        )
        self.type_button.setToolTip(f"{types} (only these file types)" if types else TYPE_TIP)

    def remove(self, kind: str) -> None:
        """Take one filter off (its chip was clicked)."""
        groups: dict[str, list[Any]] = {
            "folder": [self.folder_combo],
            "date": [self.use_from, self.use_to],
            "type": [cb for cb, _ in self.type_boxes],
            "orientation": [self.orientation_combo],
        }
        widgets = groups[kind]
        for w in widgets:
            w.blockSignals(True)
        if kind == "folder":
            self.folder_combo.setCurrentIndex(0)
        elif kind == "date":
            self.use_from.setChecked(False)
            self.use_to.setChecked(False)
        elif kind == "type":
            for cb, _ in self.type_boxes:
                cb.setChecked(True)
        else:
            self.orientation_combo.setCurrentIndex(0)
        for w in widgets:
            w.blockSignals(False)
        self._changed()

    # -- the window's calls --------------------------------------------------------------------------
    def set_folders(self, folders: list[Any]) -> None:
        current = self.folder_combo.currentData()
        blocked = self.folder_combo.blockSignals(True)
        self.folder_combo.clear()
        self.folder_combo.addItem("All folders", None)
        for f in folders:
            mark = (
                " (paused)"
                if f.state == FolderState.PAUSED
                else " (offline)"
                if f.state == FolderState.OFFLINE
                else ""
            )
            self.folder_combo.addItem(f"{f.path}{mark}", f.path)
        i = self.folder_combo.findData(current) if current else 0
        self.folder_combo.setCurrentIndex(max(i, 0))
        self.folder_combo.blockSignals(blocked)
        if current and i < 0:
            self._changed()

    def set_folder(self, path: str | None) -> None:
        i = self.folder_combo.findData(path) if path else 0
        self.folder_combo.setCurrentIndex(max(i, 0))

    def reset(self) -> None:
        widgets = [self.folder_combo, self.use_from, self.use_to, self.orientation_combo]
        widgets += [cb for cb, _ in self.type_boxes]
        for w in widgets:
            w.blockSignals(True)
        self.folder_combo.setCurrentIndex(0)
        self.use_from.setChecked(False)
        self.use_to.setChecked(False)
        self.orientation_combo.setCurrentIndex(0)
        for cb, _ in self.type_boxes:
            cb.setChecked(True)
        for w in widgets:
            w.blockSignals(False)
        self._changed()

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
        f.orientation = self.orientation_combo.currentData()
        return f if f.active() else None
