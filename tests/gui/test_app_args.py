"""Reachable from the desktop: the .desktop entry, and `main.py --similar FILE --add-folder DIR` (or plain
paths, as a file manager passes them) opening the window searching by the file with the folder added."""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

from photosearch.gui.app import apply_arguments, split_paths
from tests.e2e.helpers import make_photos
from tests.gui.conftest import wait_results

try:  # tests/support/ holds the shared makers once the app layer lands (issue 16)
    from tests.support.library import prepare_library  # type: ignore[import-not-found]
except ImportError:
    from tests.gui.conftest import prepare_library  # type: ignore[attr-defined,no-redef]

ROOT = Path(__file__).resolve().parents[2]


def test_desktop_entry_has_the_find_similar_action() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(ROOT / "resources" / "photosearch.desktop", encoding="utf-8")
    main = entry["Desktop Entry"]
    assert (
        main["Type"] == "Application"
        and main["Exec"] == "photosearch-gui %F"
        and main["Icon"] == "photosearch"
    )
    assert {"image/jpeg", "image/png", "image/heic"} <= set(main["MimeType"].strip(";").split(";"))
    assert main["Actions"].strip(";") == "find-similar"
    action = entry["Desktop Action find-similar"]
    assert action["Name"] == "Find similar photos" and action["Exec"] == "photosearch-gui --similar %f"


def test_desktop_entry_is_valid_where_the_validator_is_installed() -> None:
    import shutil
    import subprocess

    import pytest

    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate (Debian: desktop-file-utils) is not installed")
    r = subprocess.run(
        [tool, str(ROOT / "resources" / "photosearch.desktop")], capture_output=True, text=True
    )
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr


def test_plain_paths_split_into_a_file_to_search_by_and_folders_to_add(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "a.jpg").write_bytes(b"x")
    assert split_paths(None, [], [str(tmp_path / "a.jpg"), str(tmp_path / "d")]) == (
        str(tmp_path / "a.jpg"),
        [str(tmp_path / "d")],
    )
    assert split_paths(str(tmp_path / "a.jpg"), [str(tmp_path / "d")], []) == (
        str(tmp_path / "a.jpg"),
        [str(tmp_path / "d")],
    )


def test_similar_and_add_folder_open_the_window_searching(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    pics = tmp_path / "pics"
    make_photos(pics, 6)
    paths = prepare_library(data_dir, model=tiny_model, photos=pics, index=True)
    more = tmp_path / "more"
    make_photos(more, 2, seed=3)
    w = make_window(paths)
    wait_results(qtbot, w)
    ref = pics / "photo_0002.jpg"
    apply_arguments(w, str(ref), [str(more)])
    # folder verbs run on the library worker: the folder arrives a moment later
    qtbot.waitUntil(lambda: str(more) in [f.path for f in w.lib.folders()], timeout=15000)
    assert w.query_bar.reference is not None and w.query_bar.reference.path == str(ref)
    qtbot.waitUntil(lambda: w.search.calls and w.search.calls[-1].kind == "image", timeout=15000)
    wait_results(qtbot, w)
    assert w.model.rowCount() > 0 and w.model.result(0).path == str(ref)


def test_a_file_that_is_not_a_photo_says_so(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path
) -> None:
    paths = prepare_library(data_dir, model=None, photos=None, index=False)
    w = make_window(paths)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    apply_arguments(w, str(notes), [])
    assert "not a photo" in w.arguments_box.text()
    apply_arguments(w, str(tmp_path / "gone.jpg"), [])
    assert "not a file" in w.arguments_box.text()


def test_a_second_launch_and_the_cli_hand_over_to_the_open_window(
    qtbot: Any, make_window: Any, tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    import threading

    from photosearch.app import handover
    from photosearch.gui.app import hand_over_launch, start_owner
    from tests.e2e.helpers import run_cli

    if not handover.supported():
        import pytest

        pytest.skip("AF_UNIX sockets only")
    pics = tmp_path / "pics"
    make_photos(pics, 6)
    paths = prepare_library(data_dir, model=tiny_model, photos=pics, index=True)
    w = make_window(paths)
    wait_results(qtbot, w)
    owner = start_owner(w, paths)
    try:
        assert owner.active
        # a second launch with a file to search by: handed over (it runs in another thread here, as the
        # second process would; the window answers on its own thread)
        done: dict[str, Any] = {}
        ref = pics / "photo_0004.jpg"
        t = threading.Thread(target=lambda: done.setdefault("ok", hand_over_launch(paths, str(ref), [])))
        t.start()
        qtbot.waitUntil(lambda: "ok" in done, timeout=15000)
        t.join()
        assert done["ok"] is True
        assert w.query_bar.reference is not None and w.query_bar.reference.path == str(ref)
        # the CLI's `folders add` while the window is open: done by the window, shown at once
        more = tmp_path / "more"
        make_photos(more, 2, seed=8)
        out: dict[str, Any] = {}
        t = threading.Thread(
            target=lambda: out.setdefault("r", run_cli(data_dir, "folders", "add", str(more)))
        )
        t.start()
        qtbot.waitUntil(lambda: "r" in out, timeout=60000)
        t.join()
        assert "done by the running PhotoSearch" in out["r"].stdout
        assert str(more) in [f.path for f in w.lib.folders()]
        qtbot.waitUntil(
            lambda: str(more) in [f.path for f in w.folders.folders()], timeout=15000
        )  # the side panel
    finally:
        owner.stop()
