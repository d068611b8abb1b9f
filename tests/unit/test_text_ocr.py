"""The OCR reader with the real PP-OCRv6 models that ship in the rapidocr wheel: words rendered onto a
photo-like background are read back with their boxes in full-image pixels; a photo without text stops after
detection; the budget cuts recognition short; nothing is imported before it is used."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from photosearch.text.ocr import CREDIT, TextReader, available

pytestmark = pytest.mark.skipif(not available(), reason="rapidocr is not installed")


def photo_with_text(lines: list[tuple[str, int]], size: tuple[int, int] = (2400, 1600)) -> Image.Image:
    rng = np.random.default_rng(3)
    base = rng.integers(60, 200, (size[1] // 40, size[0] // 40, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    y = 150
    for text, px in lines:
        font = ImageFont.load_default(size=px)
        box = draw.textbbox((200, y), text, font=font)
        draw.rectangle((box[0] - 20, box[1] - 15, box[2] + 20, box[3] + 15), fill=(245, 245, 240))
        draw.text((200, y), text, font=font, fill=(20, 20, 30))
        y = box[3] + 120
    return img


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader(det_side=960)


def test_reads_rendered_words_with_boxes_in_full_image_pixels(reader: TextReader) -> None:
    full = photo_with_text([("BOARDING PASS", 110), ("Via Roma 12", 90), ("TOTAL 42.50", 80)])
    reduced = full.resize((960, 640))
    result = reader.read(reduced, lambda: full)
    texts = [line.text.upper() for line in result.lines]
    assert result.regions >= 3 and result.complete
    for want in ("BOARDING PASS", "VIA ROMA 12", "TOTAL 42.50"):
        assert any(want in t.replace("  ", " ") for t in texts), (want, texts)
    first = next(line for line in result.lines if "BOARDING" in line.text.upper())
    xs = [x for x, _ in first.box]
    assert min(xs) < 400 and max(xs) > 1000  # full-size coordinates, not the reduced image's
    assert 0.5 <= first.confidence <= 1.0


def test_a_photo_without_text_stops_after_detection(reader: TextReader) -> None:
    yy, xx = np.mgrid[0:1600, 0:2400]
    sky = np.stack([xx / 2400 * 120 + 60, yy / 1600 * 100 + 80, np.full_like(xx, 200.0)], axis=2)
    blank = Image.fromarray(sky.astype(np.uint8))  # a smooth sky: nothing for the detector
    calls: list[int] = []

    def full() -> Image.Image:
        calls.append(1)
        return blank

    result = reader.read(blank.resize((960, 640)), full)
    assert result.regions == 0 and result.lines == () and calls == []


def test_the_time_budget_cuts_recognition_short() -> None:
    quick = TextReader(budget_s=0.0)
    full = photo_with_text([("ALPHA", 100), ("BRAVO", 100)])
    result = quick.read(full.resize((960, 640)), full)
    assert result.regions >= 2 and not result.complete and len(result.lines) < result.regions


def test_nothing_heavy_is_imported_until_used_and_the_models_are_credited() -> None:
    code = (
        "import sys, photosearch.text.ocr, photosearch.text.match; "
        "print(sorted(m for m in ('rapidocr', 'cv2', 'onnxruntime') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert "PaddleOCR" in CREDIT
