"""The OCR reader's two looks: which spots of the first look's detection map get a second, closer look,
and on which tiles of the full image (pure helpers, no model); and, with the real models, a photo without
text never loads its full-size image while small text on a large photo is read."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from photosearch.text import ocr
from photosearch.text.ocr import TextReader, _covered, _tiles, _weak_regions


def test_weak_spots_are_the_map_regions_above_the_threshold_without_specks() -> None:
    prob = np.zeros((100, 200), dtype=np.float32)
    prob[10:14, 20:60] = 0.2  # a faint line
    prob[50:53, 100:180] = 0.9  # a strong one
    prob[80, 5] = 0.9  # a speck
    spots = _weak_regions(prob, 0.15)
    assert sorted(spots) == [(20, 10, 60, 14), (100, 50, 180, 53)]
    assert _weak_regions(prob, 0.95) == []


def test_only_text_shaped_spots_strong_and_thin_are_kept_for_a_closer_look() -> None:
    import cv2

    prob = np.zeros((300, 400), dtype=np.float32)
    prob[10:14, 20:80] = 0.9  # a small line of words: strong and 4 map pixels across
    tilted = np.zeros_like(prob, dtype=np.uint8)
    cv2.line(tilted, (100, 150), (200, 120), 1, thickness=5)  # the same, tilted by ~17°
    prob[tilted > 0] = 0.8
    prob[40:44, 200:260] = 0.3  # thin but faint throughout
    prob[150:290, 250:390] = 0.35  # a broad faint spot (a sky, foliage)
    prob[200:210, 300:310] = 0.9  # ... with a strong speck inside: still broad
    spots = ocr._weak_regions(prob, 0.15, strong=0.6, thin=12)
    x, y, w, h = cv2.boundingRect(tilted)
    assert sorted(spots) == [(20, 10, 80, 14), (x, y, x + w, y + h)]
    assert len(ocr._weak_regions(prob, 0.15)) == 4  # without the shape test: every spot


def test_a_spot_holding_a_box_of_the_first_look_is_not_looked_at_again() -> None:
    box = np.array([[100, 50], [180, 50], [180, 53], [100, 53]], dtype=np.float32)
    assert _covered((98, 48, 182, 55), [box])
    assert not _covered((20, 10, 60, 14), [box])


def test_tiles_are_spots_with_margins_in_full_image_pixels_merged_when_they_overlap() -> None:
    # map 100×75 for a 4000×3000 photo: 40 full pixels per map pixel
    tiles = _tiles([(10, 10, 20, 12), (21, 10, 30, 12), (70, 60, 80, 62)], 40.0, 40.0, 4000, 3000)
    assert len(tiles) == 2  # the first two overlap once given their margins
    (a, b) = sorted(tiles)
    assert a[0] == (10 - 8) * 40 and a[2] >= 30 * 40 and a[1] == (10 - 8) * 40
    assert b[2] == 4000 or b[2] <= (80 + 8) * 40 + 1
    assert all(0 <= x0 < x1 <= 4000 and 0 <= y0 < y1 <= 3000 for x0, y0, x1, y1 in tiles)


def test_tiles_covering_most_of_the_photo_become_the_whole_photo() -> None:
    spots = [(x, y, x + 10, y + 10) for x in range(0, 100, 25) for y in range(0, 75, 25)]
    assert _tiles(spots, 40.0, 40.0, 4000, 3000) == [(0, 0, 4000, 3000)]


@pytest.mark.skipif(not ocr.available(), reason="rapidocr is not installed")
def test_small_words_on_a_large_photo_are_read_and_a_plain_photo_costs_one_look() -> None:
    rng = np.random.default_rng(5)
    base = rng.integers(70, 190, (75, 100, 3), dtype=np.uint8)
    full = Image.fromarray(base).resize((4000, 3000), Image.Resampling.BICUBIC)
    plain = full.copy()
    draw = ImageDraw.Draw(full)
    font = ImageFont.load_default(size=60)
    box = draw.textbbox((2600, 2200), "Harbour Street", font=font)
    draw.rectangle((box[0] - 20, box[1] - 15, box[2] + 20, box[3] + 15), fill=(240, 240, 235))
    draw.text((2600, 2200), "Harbour Street", font=font, fill=(25, 25, 30))
    reader = TextReader(first_side=960, det_side=1920)
    result = reader.read(full.reduce(4), full)
    assert "HARBOUR STREET" in result.text.upper()
    line = next(x for x in result.lines if "HARBOUR" in x.text.upper())
    assert 2500 < line.box[0][0] < 2700 and 2150 < line.box[0][1] < 2300  # full-image pixels

    loads: list[int] = []

    def load() -> Image.Image:
        loads.append(1)
        return plain

    assert reader.read(plain.reduce(4), load).regions == 0
    assert loads == []
