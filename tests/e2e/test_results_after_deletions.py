"""After a photo is deleted, a search asking for more results than the library holds must still list every
photo. The hnswlib index keeps a deleted photo's label (marked deleted) in its count, so it is asked for
k = min(k, count incl. deleted); hnswlib refuses ("fewer than k"), and ``VectorIndex._knn_shrinking`` used to
halve k (20 → 10 → 5 …): 6 live photos of 7 gave 3, 61 of 62 gave 31. It now bisects to the largest k."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.helpers import make_photos, run_cli


def test_every_photo_is_listed_after_one_is_deleted(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    pics = tmp_path / "Pictures"
    photos = make_photos(pics, 7)
    run_cli(data_dir, "models", "import", str(tiny_model))
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    photos[0].unlink()
    run_cli(data_dir, "index", "-q")
    out = json.loads(
        run_cli(data_dir, "search", "a red circle", "-k", "20", "--strictness", "1", "--json").stdout
    )
    assert sorted(r["path"] for r in out["results"]) == sorted(str(p) for p in photos[1:])
