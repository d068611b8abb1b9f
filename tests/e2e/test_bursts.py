"""Bursts are moments: shots dated seconds apart that look near-identical stack into one result; look-alike
photos without a date taken (drawn shapes, screenshots, scans) never do."""

from __future__ import annotations

from pathlib import Path

from models.tools import shapes
from tests.gui.steer_photos import make_burst
from tests.support.cli import invoke


def test_undated_look_alikes_are_not_stacked_a_dated_burst_is(shapes_model: Path, tmp_path: Path) -> None:
    photos, data = tmp_path / "photos", tmp_path / "data"
    burst = make_burst(photos / "burst", 10)
    undated = []
    for i in range(8):  # yellow stars of one size and place on different backgrounds: alike, not one moment
        path = photos / "drawn" / f"star{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        shapes.render(shapes.Spec("star", "yellow", "large", "centre", bg_seed=300 + i), 128).save(path)
        undated.append(str(path))
    assert invoke(data, "models", "import", str(shapes_model), "--use").code == 0
    assert invoke(data, "index", "--add", str(photos)).code == 0
    res = invoke(data, "search", "a yellow star", "-k", "30", "--bursts", "--json").json()
    stacks = res["bursts"]
    assert [sorted(v) for v in stacks.values()] == [sorted(burst)]  # one burst: the ten dated shots
    shown = {r["path"] for r in res["results"]}
    assert set(undated) <= shown  # every undated star is its own result
