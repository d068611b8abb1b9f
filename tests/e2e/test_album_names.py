"""An album's name is one line in the command line too (the application layer's rule, shared with the window):
a name typed with a line break, a tab or another control character is saved, listed and found with spaces in
their place, so `album list` keeps one album a line; a name of nothing but those is refused in plain words."""

from __future__ import annotations

from pathlib import Path

from models.tools import shapes
from tests.support.cli import invoke


def test_an_album_name_with_a_line_break_is_listed_on_one_line(shapes_model: Path, tmp_path: Path) -> None:
    photos, data = tmp_path / "photos", tmp_path / "data"
    photos.mkdir()
    reds = []
    for i in range(12):
        spec = shapes.Spec(
            "circle" if i < 6 else "square",
            "red" if i < 6 else "blue",
            shapes.SIZES[i % 3],
            "centre",
            bg_seed=i,
        )
        path = photos / f"n{i:02d}.png"
        shapes.render(spec, 96).save(path)
        if i < 6:
            reds.append(str(path))
    assert invoke(data, "models", "import", str(shapes_model), "--use").code == 0
    assert invoke(data, "index", "--add", str(photos)).code == 0
    saved = invoke(data, "album", "save", "beach\nday\t2024", "--like", reds[0], "--like", reds[1])
    assert saved.code == 0, saved.stderr
    assert saved.stdout.startswith("album 'beach day 2024': ") and saved.stdout.count("\n") == 1
    other = invoke(data, "album", "save", "blue\r\nones", "--like", reds[2])
    assert other.code == 0, other.stderr
    listed = invoke(data, "album", "list")
    lines = listed.stdout.splitlines()
    assert len(lines) == 2 and [ln.split(":")[0] for ln in lines] == ["beach day 2024", "blue ones"]
    assert [a["name"] for a in invoke(data, "album", "list", "--json").json()["albums"]] == [
        "beach day 2024",
        "blue ones",
    ]
    # found by its one-line name, or typed again with the line break
    for typed in ("beach day 2024", "beach\nday 2024"):
        shown = invoke(data, "album", "export", typed, "--json")
        assert shown.code == 0 and set(reds[:2]) <= set(shown.json()["paths"])
        assert shown.json()["album"] == "beach day 2024"
    refused = invoke(data, "album", "save", "\n\t\x07", "--like", reds[0])
    assert refused.code != 0 and "an album needs a name" in refused.stderr and refused.error is None
    gone = invoke(data, "album", "delete", "blue\nones")
    assert gone.code == 0 and gone.stdout == "deleted the album 'blue ones'\n"
    assert invoke(data, "album", "list").stdout.splitlines() == lines[:1]
