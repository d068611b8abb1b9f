"""Issue 20: ``photosearch models calibrate`` gives a model without a calibration a text relevance line, set on
the person's own library without labelled queries, through the real command line (files → indexer → catalog +
index → the app's verb), with an uncalibrated copy of the shapes test model on a library of real photographs
(scikit-image's samples) and drawn shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.tools import shapes
from tests.photos import SAMPLES, sample_photo
from tests.support.cli import invoke
from tests.support.uncalibrated import shape_photos, uncalibrated_model

SHAPES = 44


def _library(root: Path, model: Path, n_shapes: int, real: bool) -> tuple[Path, dict[str, shapes.Spec]]:
    photos, data = root / "photos", root / "data"
    specs = shape_photos(photos, n_shapes)
    if real:
        for name in SAMPLES:
            sample_photo(name).save(photos / f"{name}.jpg", quality=90)
    assert invoke(data, "models", "import", str(model), "--use").code == 0
    out = invoke(data, "index", "--add", str(photos), "--json")
    assert out.code == 0, out.stderr
    return data, specs


@pytest.fixture(scope="module")
def uncalibrated(shapes_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return uncalibrated_model(shapes_model, tmp_path_factory.mktemp("models") / "shapes-uncalibrated")


def search(data: Path, *args: str) -> dict:
    out = invoke(data, "search", *args, "--json")
    assert out.code == 0, out.stderr
    return out.json()


def test_calibrate_on_this_library_draws_a_text_line_that_holds(uncalibrated: Path, tmp_path: Path) -> None:
    data, specs = _library(tmp_path, uncalibrated, SHAPES, real=True)
    n = SHAPES + len(SAMPLES)
    before = search(data, "a red circle")["cutoff"]
    assert before["threshold"] is None and before["calibration"] == "uncalibrated"
    nonsense = search(data, "xyzzy qwerty")
    assert not nonsense["no_good_matches"]  # no line: everything "passes", nonsense too

    listed = invoke(data, "models", "list", "--json").json()
    assert listed["relevance_lines"] == {"shapes-uncalibrated": "uncalibrated"}

    out = invoke(data, "models", "calibrate")
    assert out.code == 0, out.stderr
    said = out.stdout
    assert f"{n} photos and 480 generated queries" in said
    assert "% of them pass the new line (at most 1 % allowed)" in said
    assert "before: no line for text queries (the model was uncalibrated)" in said
    assert "calibrated on this library" in said

    # stored in the catalog, for this library and model, setting the text line only
    from photosearch.config import Paths
    from photosearch.library.library import Library
    from photosearch.search.cutoff import RuleSource, load_rule

    with Library(Paths.resolve(data)) as lib:
        rule = load_rule(lib.catalog, "shapes-uncalibrated")
    assert rule.calibrated and rule.source is RuleSource.LIBRARY and rule.kinds == ("text",)
    assert rule.details["photos"] == n and rule.details["queries"] == 480
    assert f"margin of {rule.threshold('text'):.2f}" in said

    listed = invoke(data, "models", "list").stdout
    assert "relevance line for text: calibrated on this library" in listed

    res = search(data, "a red circle")
    line = res["cutoff"]
    assert line["calibration"] == "calibrated on this library" and line["calibrated"] is True
    assert line["threshold"] == pytest.approx(rule.threshold("text"))
    top = res["results"][0]
    assert top["passed"] and specs[top["path"]].colour == "red" and specs[top["path"]].shape == "circle"
    for text in ("xyzzy qwerty", "🙈🔥", "写真 東京", "кошка", "a photo"):
        res = search(data, text)
        assert res["no_good_matches"], (text, res["results"][:2])

    # photo queries keep the model's own line; a library photo still finds itself and passes
    shape = next(iter(specs))
    res = search(data, "--image", shape)
    assert res["results"][0]["path"] == shape and res["results"][0]["passed"]
    assert res["cutoff"]["calibration"] == "uncalibrated" and res["cutoff"]["threshold"] == 3.0

    again = invoke(data, "models", "calibrate", "--model", "shapes-uncalibrated", "--json")
    assert again.code == 0, again.stderr
    done = again.json()
    assert done["model"] == "shapes-uncalibrated" and done["photos"] == n and done["queries"] == 480
    assert done["before"] == "calibrated on this library"
    assert done["line"] == pytest.approx(rule.threshold("text"), abs=1e-3)  # the same library: the same line

    # and undone: the model's own line (none) again
    gone = invoke(data, "models", "calibrate", "--forget")
    assert gone.code == 0 and "forgot this library's calibration of shapes-uncalibrated" in gone.stdout
    assert search(data, "a red circle")["cutoff"]["calibration"] == "uncalibrated"
    assert "had no calibration" in invoke(data, "models", "calibrate", "--forget").stdout


def test_a_library_too_small_is_refused_in_plain_words(uncalibrated: Path, tmp_path: Path) -> None:
    data, _ = _library(tmp_path, uncalibrated, 12, real=False)
    out = invoke(data, "models", "calibrate")
    assert out.code == 2 and out.error is None
    assert "at least 40 photos" in out.stderr and "this library has 12" in out.stderr
    assert search(data, "a red circle")["cutoff"]["calibration"] == "uncalibrated"  # nothing stored
