"""A new user's first commands, before any model: the message names commands that work as written (with
NAME / PATH filled in), not a bare 'photosearch models install', which only says it "needs a NAME"."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.helpers import run_cli


def test_the_no_model_message_suggests_commands_that_run(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    r = run_cli(data_dir, "search", "a dog", check=False)
    assert r.returncode == 3, r.stderr
    suggested = re.findall(r"'photosearch ([^']+)'", r.stderr)
    assert any(s.startswith("models install") for s in suggested), r.stderr
    assert any(s.startswith("models import") for s in suggested), r.stderr
    default = json.loads(run_cli(data_dir, "models", "list", "--json").stdout)["default"]
    fill = {"NAME": default, "PATH": str(tiny_model)}
    for line in suggested:
        args = [fill.get(word, word) for word in line.split()]
        if args[:2] == ["models", "install"]:
            args.append("--dry-run")  # the URLs it would request: nothing downloaded
        done = run_cli(data_dir, *args, check=False)
        assert done.returncode == 0, f"photosearch {' '.join(args)}: {done.stderr}"


def test_a_reference_photo_whose_name_is_not_utf8(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    """`similar`, `search --image` and `--like` with a photo named in another encoding (an old camera
    card's Latin-1 'é') crashed with a UnicodeEncodeError traceback from the catalog lookup, then (a stopgap)
    were refused with 'rename it'. Such a name cannot be a catalog key, so the engine now skips the lookup and
    encodes the file itself: the photo works as a reference, and the library photo with the same content is
    found first."""
    import json
    import os

    from tests.e2e.helpers import make_photos
    from tests.support.cli import invoke

    pics = tmp_path / "Pictures"
    photos = make_photos(pics, 3)
    run_cli(data_dir, "models", "import", str(tiny_model))
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    odd = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.jpg")
    Path(odd).write_bytes(photos[1].read_bytes())
    for args in (("similar", odd), ("search", "--image", odd), ("search", "red", "--like", odd)):
        out = invoke(data_dir, *args, "--json")
        assert out.error is None and out.code == 0, (args, out)
        assert "UTF-8" not in out.stderr and "rename" not in out.stderr, out.stderr
    found = json.loads(invoke(data_dir, "search", "--image", odd, "--json").stdout)
    assert found["results"][0]["path"] == str(photos[1]), found["results"][:2]
    assert str(photos[1]) not in {
        r["path"] for r in json.loads(invoke(data_dir, "similar", odd, "--json").stdout)["results"]
    }
    for args in (("similar", odd), ("search", "--image", odd)):  # the words too, in a real process
        assert "Traceback" not in run_cli(data_dir, *args).stderr


def test_an_empty_library_says_what_to_do_next(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    """`search` on a library with nothing indexed said "the library is empty: add a folder and index it"
    even after the person had added a folder and indexed it — a camera folder of RAW files, which
    PhotoSearch does not read. It says what is actually missing."""
    from tests.e2e.helpers import make_photos

    run_cli(data_dir, "models", "import", str(tiny_model))
    assert "folders add" in run_cli(data_dir, "search", "a dog").stdout  # no folder yet
    raw = tmp_path / "Camera"
    raw.mkdir()
    for name in ("IMG_0001.CR2", "IMG_0002.NEF"):
        (raw / name).write_bytes(bytes(range(256)) * 64)
    run_cli(data_dir, "index", "-q", "--add", str(raw))
    said = run_cli(data_dir, "search", "a dog").stdout
    assert "add a folder" not in said and "no photos PhotoSearch can read" in said, said
    pics = tmp_path / "Pictures"
    make_photos(pics, 2)
    run_cli(data_dir, "folders", "add", str(pics))
    said = run_cli(data_dir, "search", "a dog").stdout  # added, not indexed yet
    assert "photosearch index" in said and "add a folder" not in said, said


def test_a_library_whose_only_folder_is_offline_says_so(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    """Its disk unplugged (the folder gone), the photos are hidden, not deleted: search says the folder
    can't be reached, not that it holds no photos PhotoSearch can read."""
    from tests.e2e.helpers import make_photos

    run_cli(data_dir, "models", "import", str(tiny_model))
    pics = tmp_path / "Disk" / "Pictures"
    make_photos(pics, 2)
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    (tmp_path / "Disk").rename(tmp_path / "Unplugged")
    run_cli(data_dir, "index", "-q")
    said = run_cli(data_dir, "search", "a dog").stdout
    assert "can't be reached" in said and str(pics) in said and "can read" not in said, said


def test_a_place_or_camera_the_library_does_not_know_is_named(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    """`search --place Aarhus` (GeoNames calls it Århus) answered a bare "no results"; --json knew the value
    was unknown (`understood.unknown`). The words now say so and where to look."""
    from tests.e2e.helpers import make_photos

    run_cli(data_dir, "models", "import", str(tiny_model))
    pics = tmp_path / "Pictures"
    make_photos(pics, 2)
    run_cli(data_dir, "index", "-q", "--add", str(pics))
    said = run_cli(data_dir, "search", "--place", "Aarhus").stdout
    assert "Aarhus" in said and "photosearch places" in said, said
    said = run_cli(data_dir, "search", "a dog", "--camera", "Hasselblad").stdout
    assert "Hasselblad" in said and "camera" in said, said
