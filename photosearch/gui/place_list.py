"""Browse by place: countries (most photos first) and their cities, with counts. Fed with
``photosearch.app.places.list_places(...).to_json()``; choosing a row asks to narrow the search to that place
(``place_chosen``: the name to filter by, as ``--place`` takes it)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

PLACE_ROLE = Qt.ItemDataRole.UserRole


class PlaceList(QTreeWidget):
    place_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Place", "Photos"])
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        head = self.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the names take the room
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)  # the counts stay whole
        self.itemActivated.connect(self._chosen)
        self.itemClicked.connect(self._chosen)
        self._unplaced: QTreeWidgetItem | None = None  # the "Without a location" row

    def set_places(self, listing: dict[str, Any]) -> None:
        self.clear()
        self._unplaced = None
        for c in listing.get("countries", []):
            top = QTreeWidgetItem([c["name"], str(c["count"])])
            top.setData(0, PLACE_ROLE, c["name"])
            top.setToolTip(0, c["name"])  # a long name is cut ('Holy See (Vatican C…') in the side bar
            for city in c.get("cities", []):
                if not city.get("name"):
                    continue
                child = QTreeWidgetItem([city["name"], str(city["count"])])
                child.setData(0, PLACE_ROLE, city["name"])
                child.setToolTip(0, ", ".join(x for x in (city["name"], city.get("region"), c["name"]) if x))
                top.addChild(child)
            self.addTopLevelItem(top)
        self.set_without_location(listing.get("without_location", 0))

    def set_without_location(self, n: int) -> None:
        """The last row: how many photos have no place (none when there are none); the rest stays as it is."""
        if self._unplaced is not None and not n:
            self.takeTopLevelItem(self.indexOfTopLevelItem(self._unplaced))
            self._unplaced = None
        elif self._unplaced is not None:
            self._unplaced.setText(1, str(n))
        elif n:
            self._unplaced = QTreeWidgetItem(["Without a location", str(n)])
            self._unplaced.setFlags(self._unplaced.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.addTopLevelItem(self._unplaced)

    def _chosen(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        name = item.data(0, PLACE_ROLE)
        if name:
            self.place_chosen.emit(str(name))
