"""The relevance line's parts: the zero-shot margin, strictness, a model's calibration, the date order."""

from __future__ import annotations

import numpy as np
import pytest

from photosearch.search.line import (
    DEFAULT_LINE,
    STEP,
    ModelCalibration,
    Strictness,
    bank_margin,
    shift,
)
from photosearch.search.results import Result, SearchResponse
from photosearch.search.steering import SortOrder, by_date
from photosearch.store.schema import FileRow


def test_margin_is_scale_free_and_compares_with_the_best_captions() -> None:
    bank = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.1, 0.2, 0.3, 0.4, 0.5]])
    q = np.array([0.6, 0.35])
    m = bank_margin(q, bank)
    assert m[0] == pytest.approx((0.6 - 0.5) / bank[0].std())  # against the best caption
    assert bank_margin(q, bank, top=3)[0] == pytest.approx((0.6 - 0.4) / bank[0].std())
    assert m[1] < 0  # below the bank's best caption: not a match
    assert (
        bank_margin(np.array([0.5]), bank[:1])[0] == 0
    )  # a query that *is* the best caption: never above it
    # the same photo under a model whose cosines sit elsewhere (scaled and shifted): the same margins
    assert bank_margin(q * 3 + 1, bank * 3 + 1) == pytest.approx(m)
    with pytest.raises(ValueError):
        bank_margin(q, bank[:1])


def test_strictness_scale() -> None:
    assert Strictness.of(None) is Strictness.CALIBRATED and Strictness.of("5") is Strictness.STRICTEST
    assert (
        shift("text", 3) == 0
        and shift("text", 5) == 2 * STEP["text"]
        and shift("image", 1) == -2 * STEP["image"]
    )
    for bad in (0, 6, "x"):
        with pytest.raises(ValueError):
            Strictness.of(bad)


def test_calibration_comes_from_the_manifest_or_is_marked_uncalibrated() -> None:
    assert ModelCalibration.from_extra({}).calibrated is False
    assert ModelCalibration.from_extra({"relevance": {"text": "junk"}}).calibrated is False
    cal = ModelCalibration.from_extra({"relevance": {"text": 1.7, "source": "eval"}})
    assert (
        cal.calibrated and cal.thresholds["text"] == 1.7 and cal.thresholds["image"] == DEFAULT_LINE["image"]
    )
    assert ModelCalibration.from_extra(cal.to_extra()) == cal


def _result(i: int, taken: float | None, passed: bool) -> Result:
    f = FileRow(
        i, 1, f"/p/{i}.jpg", 1, int(1e18) + i, None, "jpeg", 10, 10, taken, None, "indexed", None, 0.0
    )
    return Result(i, f.path, 1.0 - i / 100, f, i, passed=passed)


def test_date_order_keeps_only_good_matches() -> None:
    rs = [_result(1, 300.0, True), _result(2, 100.0, False), _result(3, 200.0, True), _result(4, None, True)]
    resp = SearchResponse(rs, "text", 10)
    newest = by_date(resp, SortOrder.NEWEST, 10)
    assert [r.label for r in newest.results] == [4, 1, 3]  # no date: its file time (1e9 s, the newest here)
    assert [r.rank for r in newest.results] == [1, 2, 3] and newest.extra["sort"] == "newest"
    assert [r.label for r in by_date(resp, SortOrder.OLDEST, 2).results] == [3, 1]
    weak = SearchResponse([_result(5, 1.0, False)], "text", 10)
    assert by_date(weak, SortOrder.NEWEST, 10) is weak  # nothing passes: "no good matches", as it was
