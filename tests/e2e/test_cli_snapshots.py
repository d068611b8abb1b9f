"""The command line pinned: every command's ``--json`` output (values, with paths and timings masked) and
exit code, and the first line of each error, against ``snapshots/cli.json``. A change to the CLI's output
shows up here as a diff; regenerate deliberately with ``PHOTOSEARCH_UPDATE_SNAPSHOTS=1`` and review it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import invoke, run_cli
from tests.support.photos import make_photos

SNAPSHOT = Path(__file__).parent / "snapshots" / "cli.json"
# values that depend on the clock or the machine, not on what the command did
VOLATILE = {
    "machine",  # doctor: this computer's CPU and what runs the image encoder on it
    "rate",
    "eta",
    "last_scan",
    "added_at",
    "last_scan_at",
    "mtime",
    "seconds",
    "elapsed",
    "indexed_at",
    "created_at",
    "updated_at",
    "pid",
    "started",
    "size",
    "bytes",
    "image_encoder",
    "writer",
    "took",
    "free_bytes",
    "ctime",
    "hostname",
    "time",
    "ms",
    "taken",  # a photo's metadata: without EXIF its file time (and this machine's UTC offset)
    "utc_offset_min",
}


def normalise(x: Any, subs: list[tuple[str, str]]) -> Any:
    if isinstance(x, dict):
        return {
            normalise(k, subs): ("<volatile>" if k in VOLATILE and v is not None else normalise(v, subs))
            for k, v in x.items()
        }
    if isinstance(x, list):
        return [normalise(v, subs) for v in x]
    if isinstance(x, float):
        return round(x, 3)
    if isinstance(x, str):
        for a, b in subs:
            x = x.replace(a, b)
        return MACHINE_LINES.sub("<machine>", x)  # doctor's lines about this computer
    return x


MACHINE_LINES = re.compile(r"^(CPU: |ONNX Runtime providers: |image encoder ).*$", re.MULTILINE)


def install_model(data: Path, model: Path) -> None:
    from photosearch.config import Paths
    from photosearch.library.library import Library
    from photosearch.models.install import install_package_dir

    paths = Paths.resolve(data)
    paths.ensure()
    with Library(paths, write=True, purpose="test") as lib:
        lib.set_active_model(install_package_dir(model, paths.models_dir).id)


def _scenario(tmp_path: Path, data: Path, tiny_model: Path) -> dict[str, Any]:
    photos = tmp_path / "Pictures"
    make_photos(photos, 12)
    make_photos(photos / "sub", 3, seed=5, fmt="png")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    (photos / "notes.txt").write_text("not a photo")
    subs = [(str(data), "<DATA>"), (str(tmp_path), "<TMP>"), (str(tiny_model), "<MODEL>")]
    ref = str(photos / "photo_0003.jpg")
    steps: list[tuple[str, list[str], bool]] = [
        ("status-empty", ["status"], True),
        ("folders-list-empty", ["folders", "list"], True),
        ("index-no-folders-no-model", ["index"], True),
        ("folders-add", ["folders", "add", str(photos)], True),
        ("folders-add-again", ["folders", "add", str(photos)], True),
        ("folders-add-missing", ["folders", "add", str(tmp_path / "nowhere")], True),
        ("folders-list", ["folders", "list"], True),
        ("index", ["index"], True),
        ("index-again", ["index"], True),
        ("search-text", ["search", "a red circle", "-k", "5"], True),
        ("search-weighted", ["search", "beach + 0.5:sunset - people", "-k", "4"], True),
        ("search-image", ["search", "--image", ref, "-k", "3"], True),
        ("search-composed", ["search", "--image", ref, "at night", "-k", "3"], True),
        (
            "search-composed-slerp",
            ["search", "--image", ref, "blue", "--fusion", "slerp", "--weight", "0.3", "-k", "3"],
            True,
        ),
        (
            "search-filter-folder-type",
            ["search", "a photo", "--folder", str(photos / "sub"), "--type", "png"],
            True,
        ),
        ("search-filter-dates", ["search", "a photo", "--from", "2000", "--to", "2100-01", "-k", "3"], True),
        ("search-filter-orientation", ["search", "a photo", "--orientation", "portrait"], True),
        ("similar", ["similar", ref, "-k", "3"], True),
        ("duplicates", ["duplicates"], True),
        ("status", ["status"], True),
        ("human-folders-list", ["folders", "list"], False),
        ("human-search-text", ["search", "a red circle", "-k", "3"], False),
        ("human-search-composed", ["search", "--image", ref, "at night", "-k", "3"], False),
        ("human-similar", ["similar", ref, "-k", "2"], False),
        ("human-duplicates", ["duplicates"], False),
        ("human-doctor", ["doctor"], False),
        ("human-index", ["index"], False),
        ("doctor", ["doctor"], True),
        ("folders-pause-not-added", ["folders", "pause", str(photos / "sub")], True),
        ("folders-pause", ["folders", "pause", str(photos)], True),
        ("search-while-paused", ["search", "a photo", "-k", "3"], True),
        ("folders-resume", ["folders", "resume", str(photos)], True),
        ("error-search-nothing", ["search"], False),
        ("error-search-k-zero", ["search", "a photo", "-k", "0"], True),
        ("error-search-k-negative", ["search", "a photo", "-k", "-5"], True),
        ("error-search-k-huge", ["search", "a photo", "-k", "100000"], True),
        ("error-search-image-missing", ["search", "--image", str(tmp_path / "nope.jpg")], False),
        ("error-search-image-not-an-image", ["search", "--image", str(photos / "notes.txt")], False),
        ("error-search-bad-date", ["search", "a photo", "--from", "last tuesday"], False),
        ("error-search-blank", ["search", "   "], False),
        ("error-search-enormous", ["search", "sunset " * 3000, "-k", "2"], True),
        ("error-similar-missing", ["similar", str(tmp_path / "nope.jpg")], False),
        ("error-bad-command", ["frobnicate"], False),
        ("folders-remove", ["folders", "remove", str(photos)], True),
        ("status-after-remove", ["status"], True),
        ("search-after-remove", ["search", "a photo", "-k", "3"], True),
    ]
    out: dict[str, Any] = {}
    for name, args, as_json in steps:
        if (
            name == "folders-add"
        ):  # the model goes in with the core: `photosearch models` is pinned by its own tests
            install_model(data, tiny_model)
        o = invoke(data, *args, *(["--json"] if as_json and args[0] != "frobnicate" else []))
        rec: dict[str, Any] = {"code": o.code}
        if o.error:
            rec["uncaught"] = o.error
        if as_json and o.code == 0:
            rec["json"] = normalise(o.json(), subs)
        if not as_json:
            rec["stdout"] = normalise(o.stdout, subs)
        err = [ln for ln in o.stderr.splitlines() if ln.strip()]
        if o.code != 0 and err:
            rec["stderr"] = normalise(err[-1], subs)[:200]
        out[name] = rec
    return out


def test_cli_json_and_exit_codes_match_the_snapshot(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    got = _scenario(tmp_path, data_dir, tiny_model)
    if os.environ.get("PHOTOSEARCH_UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        pytest.skip("snapshot written")
    want = json.loads(SNAPSHOT.read_text())
    assert set(got) == set(want)
    for name in want:
        assert got[name] == want[name], name


def test_entry_point_exit_codes(data_dir: Path) -> None:
    """``python -m photosearch`` as a shell sees it: usage errors 2, query errors 2, success 0."""
    assert run_cli(data_dir, "frobnicate", check=False).returncode == 2
    assert run_cli(data_dir, "search", check=False).returncode == 2
    assert run_cli(data_dir, "folders", "list", check=False).returncode == 0
