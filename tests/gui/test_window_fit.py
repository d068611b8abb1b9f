"""What the window says fits where it says it (the audit of issue 20's window): each test resizes or changes
the real window the way a person's use does and checks that no text is clipped or truncated without a way to
read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox

from tests.gui.conftest import prepare_library, wait_results
from tests.support.photos import make_photos


def combo_text_room(combo: QComboBox) -> int:
    """The width the combo box's style gives its current text (the field left of the arrow)."""
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return field.width()


def test_the_strictness_control_shows_its_whole_label_once_the_model_says_if_it_is_calibrated(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the control took the width of '3 · default' (its text when the window first showed, before the
    model loaded) and then read '3 · calibrate' / '3 · uncalibrat' once the model had loaded."""
    make_photos(tmp_path / "photos", 2)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    combo = w.steer.strictness
    for calibrated in (True, False):
        w.steer.show_calibrated(calibrated)
        qtbot.waitUntil(
            lambda: combo_text_room(combo) >= combo.fontMetrics().horizontalAdvance(combo.currentText()),
            timeout=3000,
        )
        assert combo.currentText() in ("3 · calibrated", "3 · uncalibrated")


LONG = "Bridge_by_Sander_Klootwijk_a_rather_long_file_name_from_a_camera_export_2023-07-14_18-22-05"


def _long_named_library(tmp_path: Path) -> Path:
    photos = tmp_path / "photos"
    make_photos(photos, 6)
    (photos / "photo_0000.jpg").rename(photos / f"{LONG}.jpg")
    return photos


def test_a_long_reference_file_name_does_not_widen_the_window(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the line 'Like “<file name>”, changed as the text says:' under the search field asked for its
    whole width, so a reference photo with a long name widened an 800 px window to 1101 px (past a small
    screen's edge). Now the caption gives up width: it ends in '…' and its tooltip holds the whole line."""
    photos = _long_named_library(tmp_path)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=True))
    w.resize(800, 600)
    wait_results(qtbot, w)
    w.query_bar.well.set_path(str(photos / f"{LONG}.jpg"))
    w.query_bar.field.setText("at night")
    caption = w.query_bar.ref_caption
    qtbot.waitUntil(lambda: caption.isVisible() and LONG in caption.text())
    assert w.minimumSizeHint().width() <= 800 and w.width() == 800
    assert caption.geometry().right() < w.query_bar.slider.geometry().left()
    assert caption.elided and LONG in caption.toolTip()


def test_a_long_file_name_in_the_viewer_or_the_preview_does_not_widen_the_window(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the viewer's title ('<file name>  ·  3 of 6') and the preview's title asked for their whole
    width, so a photo with a long name widened an 800 px window. Now they end in '…' with the whole name in
    their tooltip (the count stays readable: the name is cut in its middle)."""
    photos = _long_named_library(tmp_path)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=True))
    w.resize(800, 600)
    wait_results(qtbot, w)
    row = next(i for i in range(w.model.rowCount()) if LONG in w.model.result(i).path)
    w.actions_.show_preview(row)
    qtbot.waitUntil(lambda: w.preview.isVisible() and LONG in w.preview.title.text())
    assert w.minimumSizeHint().width() <= 800 and w.width() == 800
    assert w.preview.title.elided and LONG in w.preview.title.toolTip()
    assert w.preview.title.geometry().right() < w.preview.close_button.geometry().left()
    w.preview.close()
    w.viewer.open_row(row)
    qtbot.waitUntil(lambda: w.viewer.isVisible() and LONG in w.viewer.title.text())
    assert w.minimumSizeHint().width() <= 800 and w.width() == 800
    title = w.viewer.title
    assert (
        title.elided and LONG in title.toolTip() and title.shown_text().endswith(f"of {w.model.rowCount()}")
    )
    first_button = min(b.geometry().left() for b in w.viewer.buttons.values())
    assert title.geometry().right() < first_button
    w.viewer.close_viewer()


def test_the_status_bar_fits_an_800_px_window(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: at 800 px the status bar's line and its count ('1 close match in 66 photos · 65 weaker matches
    below t') were cut mid-word with no way to read the rest, and the strictness control was squeezed to
    '3 · calibrate'. Now the two texts give up width first, ending in '…' with the whole text in their
    tooltip, and the controls keep theirs."""
    from PySide6.QtWidgets import QWidget

    photos = _long_named_library(tmp_path)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=True))
    w.resize(800, 600)
    w.query_bar.set_text("a photo of a bridge over a river in the evening light")
    qtbot.waitUntil(lambda: not w.search.busy and w.current_request.text.startswith("a photo of a bridge"))
    wait_results(qtbot, w)
    w.status.say("Indexing 1,234 / 40,211 · 14.2 photos/s · 33 min left")
    w.status.set_count("12 close matches in 40,211 photos · 188 weaker matches below the line")
    sb = w.statusBar()
    qtbot.waitUntil(lambda: w.status.count_label.elided)
    assert w.minimumSizeHint().width() <= 800 and w.width() == 800
    combo = w.steer.strictness
    assert combo_text_room(combo) >= combo.fontMetrics().horizontalAdvance(combo.currentText())
    for label in (w.status.label, w.status.count_label):
        assert label.elided is (label.width() < label.fontMetrics().horizontalAdvance(label.text()))
        if label.elided:
            assert label.text() in label.toolTip()
    shown = sorted(
        (x for x in sb.findChildren(QWidget) if x.isVisible() and x.parentWidget() is sb and x.width() > 0),
        key=lambda x: x.geometry().left(),
    )
    for a, b in zip(shown, shown[1:], strict=False):
        assert a.geometry().right() < b.geometry().left(), (a, b)
    assert shown[-1].geometry().right() <= sb.width()


def test_the_model_managers_columns_fit_its_width_and_a_cut_cell_has_its_whole_text_in_a_tooltip(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path
) -> None:
    """Before: at the manager's own size (900×600) the Model column took half the width and Licence, Languages,
    Quality and Needs sat behind a horizontal scroll bar ('none declare' cut at the edge). Now every column is
    on screen; a cell too long for its column ends in '…' and says the whole text in its tooltip."""
    from tests.gui.conftest import wait_listed

    w = make_window(prepare_library(data_dir, model=tiny_model, photos=None, index=False))
    dlg = wait_listed(qtbot, w.open_model_manager())
    qtbot.waitExposed(dlg)
    for width in (900, 760):
        dlg.resize(width, 600)
        for table in (dlg.table, dlg.readers.table):
            qtbot.waitUntil(lambda t=table: t.horizontalScrollBar().maximum() == 0, timeout=3000)
            hh = table.horizontalHeader()
            assert sum(hh.sectionSize(c) for c in range(table.columnCount())) <= table.viewport().width()
            for c in range(table.columnCount()):
                assert hh.sectionSize(c) >= 40, (width, c)  # no column squeezed to nothing
                for r in range(table.rowCount()):
                    item = table.item(r, c)
                    assert item.toolTip() == item.text()


def _widest_line(label: Any) -> float:
    """The widest line of a word-wrapped rich-text label as laid out in its width (wider than the label: a
    word that could not be broken, drawn past its edge)."""
    from PySide6.QtGui import QTextDocument, QTextOption

    doc = QTextDocument()
    doc.setDefaultTextOption(QTextOption(label.alignment()))  # wraps at word boundaries only, as QLabel does
    opt = doc.defaultTextOption()
    opt.setWrapMode(QTextOption.WrapMode.WordWrap)
    doc.setDefaultTextOption(opt)
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    return doc.idealWidth()


def test_a_long_file_name_in_the_details_is_cut_in_its_middle_not_at_the_edge(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the viewer's details (I) and the preview's details drew a file name too long for their width
    past their edge ('…/trips/scenetext06_a_rather_long_file_name_from_a'), with no way to read the rest.
    Now such a part of the path is cut in its middle with '…' and the whole path is the details' tooltip
    (Ctrl+C in the viewer copies it)."""
    photos = _long_named_library(tmp_path)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=photos, index=True))
    w.resize(800, 600)
    wait_results(qtbot, w)
    row = next(i for i in range(w.model.rowCount()) if LONG in w.model.result(i).path)
    path = w.model.result(row).path
    w.actions_.show_preview(row)
    meta = w.preview.meta
    qtbot.waitUntil(lambda: w.preview.isVisible() and "Path" in meta.text())
    qtbot.waitUntil(lambda: _widest_line(meta) <= meta.contentsRect().width(), timeout=3000)
    assert "…" in meta.text() and path in meta.toolTip()
    w.preview.close()
    w.viewer.open_row(row)
    qtbot.waitUntil(w.viewer.isVisible)
    if not w.viewer.details.isVisible():
        w.viewer.act("details")
    details = w.viewer.details
    qtbot.waitUntil(lambda: "Path" in details.text())
    assert _widest_line(details) <= details.contentsRect().width()
    assert "…" in details.text() and path in details.toolTip()
    w.viewer.close_viewer()


def test_the_date_and_type_filters_arrows_sit_level_with_their_text(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: 'Any date' and 'All types' drew their drop-down arrow in the button's bottom right corner, below
    the text (Qt's default for a tool button with a menu), beside the shape filter's centred arrow. The arrow
    (the marks in the button's last 14 px, read off the real button's pixels) is now centred on the text."""
    from PySide6.QtGui import QColor

    make_photos(tmp_path / "photos", 2)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    for b in (w.side.date_button, w.side.type_button):
        img = b.grab().toImage()
        dpr = img.devicePixelRatio()
        width, height = img.width(), img.height()
        back = QColor(img.pixel(width - 1, 1)).lightness()
        ys = [
            y
            for x in range(width - int(14 * dpr), width)
            for y in range(height)
            if abs(QColor(img.pixel(x, y)).lightness() - back) > 60
        ]
        assert ys, b.text()
        centre = sum(ys) / len(ys) / dpr
        assert abs(centre - height / dpr / 2) <= 3, (b.text(), centre, height / dpr)


def test_the_status_line_starts_level_with_the_side_bar(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the status line's text began 2 px from the window's edge while everything above it (side bar,
    filter row, search field) starts 8 px in: a ragged left edge at the bottom of the window."""
    from PySide6.QtCore import QPoint

    make_photos(tmp_path / "photos", 2)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    label = w.status.label
    text_left = label.mapTo(w, label.contentsRect().topLeft()).x()
    above = [w.query_bar.field, w.side.sidebar_button]  # the search field, the filter row
    lefts = {x.mapTo(w, QPoint(0, 0)).x() for x in above}
    assert len(lefts) == 1 and abs(text_left - lefts.pop()) <= 1, (text_left, lefts)


def test_active_filters_do_not_widen_an_800_px_window(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: with a date range, a file type and a shape chosen, the filter row held the date range and the
    list of types twice (on their buttons and again as chips beside them) and asked for 1,323 px: an 800 px
    window grew past a small screen. Now the chips have a row of their own under the bar, the buttons say
    briefly that they are set (the chip and the button's tooltip have the words), and a type filter that
    leaves out fewer types than it keeps names those ('All but PNG')."""
    make_photos(tmp_path / "photos", 4)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    w.resize(800, 600)
    wait_results(qtbot, w)
    bar = w.side
    bar.orientation_combo.setCurrentIndex(bar.orientation_combo.findData("portrait"))
    next(cb for cb, fmts in bar.type_boxes if fmts == ("png",)).setChecked(False)
    bar.use_from.setChecked(True)
    bar.use_to.setChecked(True)
    qtbot.waitUntil(lambda: {"date", "type", "orientation"} <= set(bar.chip_buttons))
    qtbot.waitUntil(lambda: all(c.isVisible() for c in bar.chip_buttons.values()))
    assert w.minimumSizeHint().width() <= 800 and w.width() == 800
    assert bar.chip_buttons["type"].text().startswith("All but PNG")
    assert bar.type_button.text() != "All types" and "All but PNG" in bar.type_button.toolTip()
    dates = bar.chip_buttons["date"].text().removesuffix("×").strip()
    assert bar.date_button.text() != "Any date" and dates in bar.date_button.toolTip()
    for chip in bar.chip_buttons.values():  # each chip whole, inside the window
        assert chip.isVisible() and chip.width() >= chip.sizeHint().width()
        right = chip.mapTo(w, chip.rect().topRight()).x()
        assert right < w.width(), chip.text()


def test_the_two_rows_of_chips_look_alike_and_line_up(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """A search's chips (a place, a date, 👍/👎 from the query) and the filter bar's chips (a shape, a date
    range) are the same kind of thing, removed the same way. Before, they were drawn two ways: square raised
    buttons 10 px in, and rounded pills 8 px in. Now both rows draw pills that start level with the bar."""
    from PySide6.QtCore import QPoint

    from photosearch.app.feedback import Verdict

    make_photos(tmp_path / "photos", 6)
    w = make_window(prepare_library(data_dir, model=tiny_model, photos=tmp_path / "photos", index=True))
    wait_results(qtbot, w)
    w.query_bar.set_text("a photo")
    qtbot.waitUntil(lambda: w.current_request.text == "a photo" and not w.search.busy)
    wait_results(qtbot, w)
    w.steer.mark(Verdict.LIKE, [w.model.result(0).path])
    bar = w.side
    bar.orientation_combo.setCurrentIndex(bar.orientation_combo.findData("landscape"))
    qtbot.waitUntil(lambda: bool(w.places.chips.buttons()) and "orientation" in bar.chip_buttons)
    query_chip, filter_chip = w.places.chips.buttons()[0], bar.chip_buttons["orientation"]
    qtbot.waitUntil(lambda: query_chip.isVisible() and filter_chip.isVisible())
    assert query_chip.objectName() == filter_chip.objectName() == "FilterChip"
    lefts = [c.mapTo(w, QPoint(0, 0)).x() for c in (query_chip, filter_chip)]
    assert lefts[0] == lefts[1] == bar.sidebar_button.mapTo(w, QPoint(0, 0)).x(), lefts


def test_a_country_name_cut_in_the_place_list_can_be_read_in_its_tooltip(qtbot: Any) -> None:
    """Before: in the side bar's place list (220 px) 'Holy See (Vatican City State)' showed as
    'Holy See (Vatican C…' with no way to read the rest (only the cities had tooltips)."""
    from photosearch.gui.place_list import PlaceList

    places = PlaceList()
    qtbot.addWidget(places)
    places.resize(220, 200)
    places.show()
    places.set_places(
        {
            "countries": [{"name": "Holy See (Vatican City State)", "count": 1, "cities": []}],
            "without_location": 3,
        }
    )
    item = places.topLevelItem(0)
    rect = places.visualItemRect(item)
    assert places.fontMetrics().horizontalAdvance(item.text(0)) > places.columnWidth(0) - 20  # it is cut
    assert rect.isValid() and item.toolTip(0) == "Holy See (Vatican City State)"


def test_no_cell_of_the_model_manager_is_left_blank(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path
) -> None:
    """Before: an installed model's 'Needs' cell was empty while its 'Quality' said '—': a blank read as
    something missing. Every cell says something now ('—' for nothing to say)."""
    from tests.gui.conftest import wait_listed

    w = make_window(prepare_library(data_dir, model=tiny_model, photos=None, index=False))
    dlg = wait_listed(qtbot, w.open_model_manager())
    blank = [
        (dlg.table.item(r, 0).text(), dlg.table.horizontalHeaderItem(c).text())
        for r in range(dlg.table.rowCount())
        for c in range(dlg.table.columnCount())
        if not dlg.table.item(r, c).text().strip()
    ]
    assert blank == []
    dlg.reject()


def test_the_skipped_files_list_names_each_file_and_its_whole_reason_without_scrolling_sideways(
    qtbot: Any, make_window: Any, data_dir: Path, tiny_model: Path, tmp_path: Path
) -> None:
    """Before: the skipped files' list put each file's whole path in a narrow first column, wrapped so that
    the file's own name was cut off ('/tmp/gui-audit/ photos/zz-…'), and the reason ran past the dialog's edge
    behind a horizontal scroll bar. Now the file's name has a column of its own (its folder beside it, the whole
    path in the tooltip) and the reason wraps within the dialog."""
    from PySide6.QtCore import QRect, Qt

    from photosearch.gui.library_dialog import SkippedDialog

    bad = "IMG_2044_a_download_that_stopped_half_way_through_the_transfer.jpg"
    reason = (
        "not an image PhotoSearch can read (unknown or damaged format; it opens JPEG, PNG, WebP, HEIC/HEIF, "
        "AVIF, TIFF, BMP and GIF)"
    )

    class Row:
        path = f"/home/someone/Pictures/Holidays 2023/Camera uploads/{bad}"
        error = reason

    w = make_window(prepare_library(data_dir, model=tiny_model, photos=None, index=False))
    dlg = SkippedDialog([Row()], w)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    t = dlg.table
    qtbot.waitUntil(lambda: t.horizontalScrollBar().maximum() == 0, timeout=3000)
    headers = [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
    name = t.item(0, headers.index("File"))
    assert name.text() == bad and name.toolTip() == Row.path
    why = t.item(0, headers.index("Reason"))
    width = t.columnWidth(headers.index("Reason")) - 8
    needed = t.fontMetrics().boundingRect(QRect(0, 0, width, 10000), Qt.TextFlag.TextWordWrap, why.text())
    assert why.text() == reason and needed.height() <= t.rowHeight(0)


def test_the_first_runs_other_models_are_read_whole_without_scrolling_sideways(
    qtbot: Any, make_window: Any, data_dir: Path
) -> None:
    """Before: under 'Other models' in the first-run dialog the longer entries ran past the list's edge behind
    a horizontal scroll bar ('… · unverified (files list', '… · CC-BY-NC-4.0 —'). They wrap now, and each
    says its whole line in its tooltip."""
    from photosearch.config import Paths

    w = make_window(Paths.resolve(data_dir), prompt_model=True)
    w.resize(800, 600)
    qtbot.waitUntil(lambda: w.model_dialog is not None and w.model_dialog.isVisible())
    dlg = w.model_dialog
    dlg.others_button.click()
    lst = dlg.list
    qtbot.waitUntil(lst.isVisible)
    qtbot.waitUntil(lambda: lst.horizontalScrollBar().maximum() == 0, timeout=3000)
    for i in range(lst.count()):
        item = lst.item(i)
        assert item.toolTip() == item.text()
        assert lst.visualItemRect(item).right() <= lst.viewport().width()
