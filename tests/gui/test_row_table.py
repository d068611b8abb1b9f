"""The model manager's and the skipped-files dialog's table fits its columns once per filling, not once per row:
fitting measures every cell of a column, so fitting after each row made a list of 800 skipped files take 12 s
on the UI thread."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from photosearch.gui.row_table import RowTable, row_table


def test_a_table_of_many_rows_is_fitted_once(qtbot, monkeypatch) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    table = row_table(parent, ("File", "Folder", "Reason"))
    fits: list[int] = []
    real = RowTable.fit_columns
    monkeypatch.setattr(RowTable, "fit_columns", lambda self: (fits.append(1), real(self))[1])
    table.set_rows(((f"IMG_{i:04d}.jpg", "/photos", "damaged"), str(i), ()) for i in range(500))
    assert table.rowCount() == 500 and len(fits) == 1
    assert table.item(499, 0).text() == "IMG_0499.jpg" and table.item(499, 0).toolTip() == "IMG_0499.jpg"
