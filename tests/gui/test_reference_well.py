"""The reference well takes a dropped photo at once and decodes its thumbnail off the UI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QUrl

from photosearch.gui.query_bar import ReferenceWell, load_preview
from tests.support.photos import make_image
from tests.support.qt import drop_on


def test_a_dropped_photo_is_the_reference_at_once_and_its_thumbnail_follows(
    qtbot: Any, tmp_path: Path
) -> None:
    well = ReferenceWell()
    qtbot.addWidget(well)
    well.show()
    seen: list[Any] = []
    well.changed.connect(seen.append)
    photo = make_image(tmp_path / "big.jpg", size=(3000, 2000))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    assert drop_on(well, mime).isAccepted()
    assert well.reference is not None and well.reference.path == str(photo) and seen == [well.reference]
    qtbot.waitUntil(lambda: not well.reference.preview.isNull(), timeout=10000)
    assert max(well.reference.preview.width(), well.reference.preview.height()) <= 256
    qtbot.waitUntil(lambda: well.image_label.pixmap() is not None and not well.image_label.pixmap().isNull())
    well.loader.wait()


def test_an_unreadable_photo_gets_no_preview(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    assert load_preview(str(bad)).isNull()
    assert not ReferenceWell.accepts(QMimeData())
