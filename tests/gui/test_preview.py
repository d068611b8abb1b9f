"""The preview panel's decoding: any format the indexer reads (HEIC included), oriented, bounded in size;
an unreadable photo says why instead of failing."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from photosearch.gui.preview import PreviewPanel, load_preview_image
from photosearch.library.imaging import HEIF_AVAILABLE


def _photo(path: Path, size: tuple[int, int], **save: Any) -> Path:
    rng = np.random.default_rng(5)
    img = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize(size)
    img.save(path, **save)
    return path


def test_large_jpeg_is_bounded_and_oriented(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    p = _photo(tmp_path / "big.jpg", (4000, 3000), quality=85, exif=exif.tobytes())
    img = load_preview_image(str(p), edge=1600)
    assert (img.width(), img.height()) == (1200, 1600)  # portrait after orientation, longest side 1600


@pytest.mark.skipif(not HEIF_AVAILABLE, reason="pillow-heif is not installed")
def test_heic_is_shown(tmp_path: Path) -> None:
    p = _photo(tmp_path / "a.heic", (640, 480), format="HEIF", quality=80)
    img = load_preview_image(str(p))
    assert (img.width(), img.height()) == (640, 480) and not img.isNull()


def _result(path: Path) -> Any:
    f = SimpleNamespace(path=str(path), taken_at=None, size=path.stat().st_size, width=10, height=10)
    return SimpleNamespace(path=str(path), file=f)


def test_unreadable_photo_says_why(qtbot: Any, tmp_path: Path) -> None:
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    panel.show_result(_result(bad))
    qtbot.waitUntil(lambda: "can't be shown" in panel.image.text(), timeout=10000)
    assert "not an image" in panel.image.text() or "cannot open" in panel.image.text()
    panel.loader.wait()


def test_a_late_image_for_an_earlier_result_is_ignored(qtbot: Any, tmp_path: Path) -> None:
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    a = _photo(tmp_path / "a.png", (300, 200))
    b = _photo(tmp_path / "b.png", (200, 300))
    panel.show_result(_result(a))
    panel.show_result(_result(b))  # moved on before a's image arrived
    with qtbot.waitSignal(panel.image_loaded, timeout=10000) as sig:
        pass
    panel.loader.wait()
    assert sig.args == [str(b)] and panel.loaded_path == str(b)
    assert panel._pixmap.width() == 200 and panel._pixmap.height() == 300
