"""The window's system libraries: the README's Debian package list matches what Qt's xcb platform plugin
needs (``ldd``), a missing library gives one readable message and exit code 8 before Qt starts, and the
command line works without Qt at all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from photosearch.gui import preflight

ROOT = Path(__file__).resolve().parents[2]


def _ldd_system_libs() -> dict[str, str | None]:
    qt = preflight.qt_dir()
    if sys.platform != "linux" or qt is None or shutil.which("ldd") is None:
        pytest.skip("needs Linux, PySide6 and ldd")
    plugin = qt / "plugins" / "platforms" / "libqxcb.so"
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    libs: dict[str, str | None] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(not found|\S+)", line)
        if not m:
            continue
        name, where = m.groups()
        if where != "not found" and str(qt.parent) in where:
            continue  # bundled with PySide6
        libs[name] = None if where == "not found" else where
    return libs


def readme_apt_packages() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"sudo apt-get install ((?:[^\n]|\\\n)+?)\n\n", text)
    assert m, "the README has no 'sudo apt-get install' line for the window"
    return set(m.group(1).replace("\\\n", " ").split())


def test_table_and_readme_cover_every_library_the_xcb_plugin_needs() -> None:
    libs = _ldd_system_libs()
    assert libs, "ldd found no system library: is this really Qt's xcb plugin?"
    unknown = sorted(set(libs) - set(preflight.LIBRARY_PACKAGES))
    assert not unknown, f"libraries the table does not map to a package: {unknown}"
    needed = {preflight.LIBRARY_PACKAGES[s] for s in libs}
    uncovered = needed - set(preflight.GUI_PACKAGES) - set(preflight.BASE_PACKAGES)
    assert not uncovered, (
        f"packages neither named in the README nor part of the base system: {sorted(uncovered)}"
    )
    readme = readme_apt_packages()
    assert set(preflight.GUI_PACKAGES) <= readme, sorted(set(preflight.GUI_PACKAGES) - readme)
    stale = set(preflight.GUI_PACKAGES) - needed
    assert not stale, f"packages the README names that the plugin does not need: {sorted(stale)}"


def test_elf_reader_agrees_with_ldd_on_direct_needs() -> None:
    libs = _ldd_system_libs()
    qt = preflight.qt_dir()
    assert qt is not None
    direct = preflight.elf_needed(qt / "plugins" / "platforms" / "libqxcb.so")
    assert "libxcb.so.1" in direct and "libQt6Gui.so.6" in direct
    assert {n for n in direct if not (qt / "lib" / n).exists()} <= set(libs)


def test_missing_libraries_make_one_message_naming_the_packages(tmp_path: Path) -> None:
    if preflight.qt_dir() is None or sys.platform != "linux":
        pytest.skip("needs PySide6 on Linux")
    gone = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"}
    msg = preflight.check({"DISPLAY": ":0"}, can_load=lambda s: s not in gone, connect=lambda d: True)
    assert msg is not None
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in msg
    assert "3 system libraries are missing" in msg
    assert preflight.check({"DISPLAY": ":0"}, can_load=lambda s: True, connect=lambda d: True) is None
    assert "does not answer" in (
        preflight.check({"DISPLAY": ":0"}, can_load=lambda s: True, connect=lambda d: False) or ""
    )
    assert preflight.check({"QT_QPA_PLATFORM": "offscreen"}, can_load=lambda s: False) is None
    assert "no graphical display" in (preflight.check({}, can_load=lambda s: True) or "")
    one = preflight.message_for(["libxcb-icccm.so.4"])
    assert "1 system library is missing" in one and "install it with" in one


def test_app_exits_8_with_the_message_before_qt_starts(tmp_path: Path) -> None:
    if preflight.qt_dir() is None or sys.platform != "linux":
        pytest.skip("needs PySide6 on Linux")
    code = (
        "import sys\n"
        "import photosearch.gui.preflight as p\n"
        "p._can_load = lambda s: s != 'libxcb-icccm.so.4'\n"
        "from photosearch.gui.app import main\n"
        f"rc = main(['--data-dir', {str(tmp_path / 'data')!r}])\n"
        "assert not any(m.startswith('PySide6.Qt') for m in sys.modules), 'Qt was imported'\n"
        "sys.exit(rc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":99", PYTHONPATH=str(ROOT))  # no X server needed: the library check comes first
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert r.returncode == preflight.EXIT_CANNOT_START, r.stderr
    assert "libxcb-icccm4" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 4  # the one message, nothing else


def test_command_line_works_without_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['PySide6'] = None  # any Qt import would now fail\n"
        "from photosearch.cli import main\n"
        f"sys.exit(main(['--data-dir', {str(tmp_path / 'data')!r}, 'status']))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert r.returncode == 0, r.stderr
