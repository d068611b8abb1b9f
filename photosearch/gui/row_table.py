"""A read-only table of rows (models, text readers, skipped files) whose columns always fit its width."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget


class RowTable(QTableWidget):
    """A read-only table of models, one selected row at a time, whose columns always fit its width: each takes
    what its cells need while there is room; when there is not, the widest give up width (never below their
    header's) and a cut cell ends in '…' with its whole text in its tooltip (``set_row``)."""

    def set_row(self, row: int, cells: tuple[str, ...], data: str, tips: tuple[str, ...] = ()) -> None:
        """One row's cells; each cell's tooltip is its text, or its entry in ``tips`` when there is one (the
        columns are fitted by ``set_rows``, or ``fit_columns`` after the last row)."""
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            item.setToolTip(tips[c] if c < len(tips) and tips[c] else text)
            self.setItem(row, c, item)

    def set_rows(self, rows: Iterable[tuple[tuple[str, ...], str, tuple[str, ...]]]) -> None:
        """Every row at once, as (cells, data, tips), then the columns fitted once: fitting measures every cell
        of a column, so fitting after each row made filling the table quadratic (800 skipped files: 12 s on
        the UI thread)."""
        rows = list(rows)
        self.setRowCount(len(rows))
        for i, (cells, data, tips) in enumerate(rows):
            self.set_row(i, cells, data, tips)
        self.fit_columns()

    def fit_columns(self) -> None:
        hh = self.horizontalHeader()
        n = self.columnCount()
        want = [max(hh.sectionSizeHint(c), self.sizeHintForColumn(c)) for c in range(n)]
        floor = [min(hh.sectionSizeHint(c), w) for c, w in enumerate(want)]
        if n:  # the name matters most: it keeps about 30 characters
            floor[0] = min(want[0], max(floor[0], 30 * self.fontMetrics().averageCharWidth()))
        room = self.viewport().width()
        excess = sum(want) - room
        if excess > 0:  # the widest give up width first: every column is cut at one width, found by halving

            def total(cap: int) -> int:
                return sum(max(f, min(w, cap)) for w, f in zip(want, floor, strict=True))

            lo, hi = 0, max(want)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if total(mid) <= room else (lo, mid - 1)
            want = [max(f, min(w, lo)) for w, f in zip(want, floor, strict=True)]
        elif n:
            want[0] -= excess  # room to spare: the first column (the name) takes it
        for c, w in enumerate(want):
            hh.resizeSection(c, max(w, 1))
        if self.wordWrap():  # a table that wraps its cells instead of cutting them: rows as tall as they need
            self.resizeRowsToContents()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()


def row_table(parent: QWidget, columns: tuple[str, ...]) -> RowTable:
    """A ``RowTable`` with these column headers (the model manager's search models and text readers)."""
    table = RowTable(0, len(columns), parent)
    table.setHorizontalHeaderLabels(columns)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the columns fit instead
    table.setWordWrap(False)  # a cut cell ends in '…' (its tooltip has it all)
    table.setTabKeyNavigation(False)  # Tab goes on to the buttons (the arrows move within the table)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(False)
    return table
