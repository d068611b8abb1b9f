"""Issue 20: search a person can trust and steer, through the command line on a real library (files → indexer
→ catalog + index → the app's one ``search(Query)``), with the shapes test model.

The relevance line says "no good matches" to nonsense, emoji, other scripts and empty-meaning words, and passes
real matches; a photo of the library finds itself, passing; ``--strictness`` moves the line monotonically;
``--sort date`` lists only good matches, by date; ``--like/--unlike`` steer; ``--image`` repeats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.tools import shapes
from tests.support.cli import invoke

N = 120


@pytest.fixture(scope="module")
def library(
    shapes_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, shapes.Spec]]:
    root = tmp_path_factory.mktemp("trust")
    photos, data = root / "photos", root / "data"
    photos.mkdir()
    rng = np.random.default_rng(7)
    specs: dict[str, shapes.Spec] = {}
    combos = [c for c in shapes.all_combos() if c[1] != "purple"]  # purple: an absent colour
    for i in range(N):
        spec = shapes.Spec(*combos[int(rng.integers(len(combos)))], bg_seed=1000 + i)
        if i < 12:  # a dozen red circles, for the date order
            spec = shapes.Spec(
                "circle", "red", shapes.SIZES[i % 3], shapes.POSITIONS[i % 5], bg_seed=1000 + i
            )
        img = shapes.render(spec, 96)
        exif = img.getexif()
        exif[0x0132] = f"{2010 + i % 12}:{1 + i % 12:02d}:15 12:00:00"  # DateTime: a date taken per photo
        path = photos / f"p{i:03d}.jpg"
        img.save(path, quality=92, exif=exif)
        specs[str(path)] = spec
    assert invoke(data, "models", "import", str(shapes_model), "--use").code == 0
    out = invoke(data, "index", "--add", str(photos), "--json")
    assert out.code == 0, out.stderr
    return data, specs


def search(data: Path, *args: str) -> dict:
    out = invoke(data, "search", *args, "--json")
    assert out.code == 0, out.stderr
    return out.json()


def test_nonsense_and_empty_words_answer_no_good_matches(library: tuple[Path, dict]) -> None:
    data, _ = library
    for text in ("xyzzy qwerty", "🙈🔥", "写真 東京", "кошка", "a photo"):
        res = search(data, text)
        assert res["no_good_matches"], (text, res["results"][:2])
        assert not any(r["passed"] for r in res["results"])


def test_a_real_match_passes_and_the_line_is_reported(library: tuple[Path, dict]) -> None:
    data, specs = library
    res = search(data, "a red circle")
    top = res["results"][0]
    assert top["passed"] and specs[top["path"]].colour == "red" and specs[top["path"]].shape == "circle"
    line = res["cutoff"]
    assert line["strictness"] == 3 and line["calibrated"] is True  # the fixture carries its calibration


def test_an_image_query_finds_the_photo_itself_and_it_passes(library: tuple[Path, dict]) -> None:
    data, specs = library
    for path in list(specs)[20:25]:
        top = search(data, "--image", path)["results"][0]
        assert top["path"] == path and top["passed"] and top["score"] > 0.999


def test_strictness_moves_the_line_monotonically(library: tuple[Path, dict]) -> None:
    data, _ = library
    looser_somewhere = False
    for text in ("red", "a small blue star", "xyzzy qwerty", "a circle at the top left"):
        runs = [search(data, text, "-k", "60", "--strictness", str(s)) for s in (1, 3, 5)]
        lines = [r["cutoff"]["threshold"] for r in runs]
        assert lines[0] < lines[1] < lines[2]
        passed = [{r["path"] for r in run["results"] if r["passed"]} for run in runs]
        assert passed[2] <= passed[1] <= passed[0]
        looser_somewhere |= len(passed[0]) > len(passed[2])
    assert looser_somewhere


def test_sort_by_date_lists_only_good_matches_newest_or_oldest_first(library: tuple[Path, dict]) -> None:
    data, specs = library
    rel = search(data, "a red circle", "-k", "100")
    good = {r["path"] for r in rel["results"] if r["passed"]}
    newest = search(data, "a red circle", "--sort", "date", "-k", "100")
    assert newest["sort"] == "newest"
    assert {r["path"] for r in newest["results"]} == good and all(r["passed"] for r in newest["results"])
    dates = [r["taken_at"] for r in newest["results"]]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) > 1
    oldest = search(data, "a red circle", "--sort", "oldest", "-k", "100")
    assert [r["taken_at"] for r in oldest["results"]] == sorted(dates)
    # nothing passes: the answer is "no good matches", never a date-sorted list of weak results
    none = search(data, "xyzzy qwerty", "--sort", "date")
    assert none["no_good_matches"] and none["sort"] == "relevance"


def test_like_and_unlike_steer_and_the_disliked_photo_leaves(library: tuple[Path, dict]) -> None:
    data, specs = library
    before = search(data, "a circle", "-k", "10")["results"]
    liked = next(
        p for p, s in specs.items() if s.shape == "circle" and s.colour == "red" and s.size == "small"
    )
    disliked = before[0]["path"] if specs[before[0]["path"]].colour != "red" else before[1]["path"]
    after = search(data, "a circle", "-k", "10", "--like", liked, "--unlike", disliked)["results"]
    paths = [r["path"] for r in after]
    assert disliked not in paths
    red_before = sum(specs[r["path"]].colour == "red" for r in before)
    red_after = sum(specs[p].colour == "red" for p in paths)
    assert red_after >= red_before
    assert any(r["path"] == liked and r["passed"] for r in after) or liked not in paths


def test_several_images_and_several_with_words(library: tuple[Path, dict]) -> None:
    data, specs = library
    blue_stars = [p for p, s in specs.items() if s.shape == "star" and s.colour == "blue"][:2]
    if len(blue_stars) < 2:
        pytest.skip("the seed gave fewer than two blue stars")
    res = search(data, "--image", blue_stars[0], "--image", blue_stars[1])
    assert res["kind"] == "several" and res["query"]["image"] == blue_stars
    paths = [r["path"] for r in res["results"]]
    assert not set(blue_stars) & set(paths)  # the references themselves are left out
    assert specs[paths[0]].shape == "star"
    composed = search(data, "--image", blue_stars[0], "--image", blue_stars[1], "red")
    assert composed["kind"] == "several" and composed["query"]["text"] == "red"
    top3 = [specs[r["path"]] for r in composed["results"][:3]]
    assert any(s.colour == "red" for s in top3) and [r["path"] for r in composed["results"]] != paths


def test_album_taught_by_example_lists_exports_and_keeps_filling(shapes_model: Path, tmp_path: Path) -> None:
    photos, data = tmp_path / "photos", tmp_path / "data"
    photos.mkdir()
    rng = np.random.default_rng(3)
    specs: dict[str, shapes.Spec] = {}
    for i in range(80):
        if i < 16:
            spec = shapes.Spec("circle", "red", shapes.SIZES[i % 3], shapes.POSITIONS[i % 5], bg_seed=i)
        else:
            c = shapes.all_combos()[int(rng.integers(len(shapes.all_combos())))]
            if c[:2] == ("circle", "red"):
                c = ("square", *c[1:])
            spec = shapes.Spec(*c, bg_seed=i)
        path = photos / f"a{i:03d}.png"
        shapes.render(spec, 96).save(path)
        specs[str(path)] = spec
    assert invoke(data, "models", "import", str(shapes_model), "--use").code == 0
    assert invoke(data, "index", "--add", str(photos)).code == 0
    reds = [p for p, s in specs.items() if (s.shape, s.colour) == ("circle", "red")]
    others = [p for p, s in specs.items() if s.colour == "red" and s.shape != "circle"][:2]
    args = ["album", "save", "red circles", *sum((["--like", p] for p in reds[:5]), [])]
    args += sum((["--unlike", p] for p in others), [])
    saved = invoke(data, *args, "--json")
    assert saved.code == 0, saved.stderr
    listed = invoke(data, "album", "list", "--json").json()["albums"]
    assert [a["name"] for a in listed] == ["red circles"] and listed[0]["liked"] == 5
    shown = invoke(data, "album", "show", "red circles", "--json").json()
    members = [r["path"] for r in shown["results"]]
    assert set(reds[:5]) <= set(members) and not set(others) & set(members)
    found = len(set(members) & set(reds[5:])) / len(reds[5:])
    assert found >= 0.8, (found, [specs[m] for m in members if m not in reds])
    exported = invoke(data, "album", "export", "red circles")
    assert exported.stdout.split("\n")[:-1] == members
    # a new red circle arrives and is indexed: it is a member at once; a renamed example stays an example
    new = photos / "new.png"
    shapes.render(shapes.Spec("circle", "red", "medium", "centre", bg_seed=999), 96).save(new)
    Path(reds[0]).rename(photos / "renamed.png")
    assert invoke(data, "index").code == 0
    shown = invoke(data, "album", "show", "red circles", "--json").json()
    paths = {r["path"] for r in shown["results"]}
    assert str(new) in paths and str(photos / "renamed.png") in paths
    assert shown["results"] and invoke(data, "album", "list", "--json").json()["albums"][0]["liked"] == 5
    # an example deleted from the disk drops out
    Path(reds[1]).unlink()
    assert invoke(data, "index").code == 0
    assert invoke(data, "album", "list", "--json").json()["albums"][0]["liked"] == 4


def test_a_burst_of_ten_shows_as_one_result_with_its_count(shapes_model: Path, tmp_path: Path) -> None:
    from PIL import Image

    photos, data = tmp_path / "photos", tmp_path / "data"
    photos.mkdir()
    rng = np.random.default_rng(5)
    base = np.asarray(
        shapes.render(shapes.Spec("star", "yellow", "large", "centre", bg_seed=42), 128), np.float32
    )
    burst = []
    for i in range(10):  # ten shots a second apart: a little sensor noise and exposure drift
        shot = np.clip(base * rng.uniform(0.97, 1.03) + rng.normal(0, 2.0, base.shape), 0, 255).astype(
            np.uint8
        )
        img = Image.fromarray(shot)
        exif = img.getexif()
        exif[0x0132] = f"2024:05:01 10:00:{i:02d}"
        path = photos / f"burst{i}.jpg"
        img.save(path, quality=93, exif=exif)
        burst.append(str(path))
    for i in range(40):
        c = shapes.all_combos()[int(rng.integers(len(shapes.all_combos())))]
        shapes.render(shapes.Spec(*c, bg_seed=100 + i), 128).save(photos / f"other{i}.png")
    assert invoke(data, "models", "import", str(shapes_model), "--use").code == 0
    assert invoke(data, "index", "--add", str(photos)).code == 0
    out = invoke(data, "search", "a yellow star", "-k", "20", "--json")
    assert out.code == 0, (out.stderr, out.error)
    plain = out.json()
    assert sum(r["path"] in burst for r in plain["results"]) == 10  # expanded: all ten shots
    res = invoke(data, "search", "a yellow star", "-k", "20", "--bursts", "--json").json()
    top = res["results"][0]
    assert top["path"] in burst and top["burst"] == 10
    assert sorted(res["bursts"][top["path"]]) == sorted(burst)  # expands to every shot
    assert sum(r["path"] in burst for r in res["results"]) == 1
    human = invoke(data, "search", "a yellow star", "--bursts").stdout
    assert "a burst of 10 shots" in human


def test_good_matches_come_before_weaker_ones_at_every_strictness(library: tuple[Path, dict]) -> None:
    """A text query's line is judged per photo (its margin over everyday captions), so a weaker photo can
    score above a good match; the list (and the window's "Weaker matches below" divider) must still show every
    good match first, numbered in that order."""
    data, _ = library
    mixed = 0
    for text in ("a red circle", "a blue square", "a green triangle", "a circle", "a yellow star"):
        for level in ("1", "2", "3", "4"):
            res = search(data, text, "-k", "60", "--strictness", level)
            flags = [r["passed"] for r in res["results"]]
            assert flags == sorted(flags, reverse=True), (text, level, flags)
            assert [r["rank"] for r in res["results"]] == list(range(1, len(flags) + 1))
            mixed += 0 < sum(flags) < len(flags)
    assert mixed >= 5  # the rule was tested where good and weaker matches are both in the list
