"""`--export-to` a path that is a file, or a folder that can't be made, said nothing useful: a
FileExistsError / PermissionError traceback after the results were printed. One line says why, with an
exit code, and nothing is copied; the window's export (the same ``export_photos``) gets the same error."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosearch.app.places import export_photos
from photosearch.errors import PhotoSearchError
from tests.e2e.helpers import make_photos, run_cli
from tests.support.cli import invoke


def test_export_to_a_file_is_refused_in_one_line(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    pics = tmp_path / "Pictures"
    photos = make_photos(pics, 3)
    run_cli(data_dir, "models", "import", str(tiny_model))
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    out = invoke(data_dir, "search", "--image", str(photos[0]), "--export-to", str(a_file))  # itself passes
    assert out.error is None and out.code != 0, out
    last = out.stderr.strip().splitlines()[-1]
    assert str(a_file) in last and "not a folder" in last, out.stderr
    assert a_file.read_text() == "not a folder"

    with pytest.raises(PhotoSearchError, match="not a folder"):
        export_photos([str(photos[0])], a_file)
    with pytest.raises(PhotoSearchError, match="cannot make the folder"):
        export_photos([str(photos[0])], a_file / "inside")
