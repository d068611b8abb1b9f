"""Before Qt starts: can its platform plugin load on this system?

Qt aborts the whole process (exit 134) when its xcb platform plugin cannot load, and its message names
only the first missing library. This module reads which shared libraries the plugin needs (the ELF
``DT_NEEDED`` entries of the plugin and of the Qt libraries bundled with PySide6, followed recursively),
tries to load each system one, and turns the missing ones into ONE readable message naming the Debian/
Ubuntu packages to install. It imports no Qt module and starts no program (no ``ldd``): only ``ctypes``.

``LIBRARY_PACKAGES`` maps every system library ``ldd`` reports for the xcb plugin to its Debian package;
``tests/unit/test_preflight.py`` checks it (and the README's package list) against ``ldd`` on the
installed PySide6.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import struct
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from photosearch.config import environment

EXIT_CANNOT_START = 8  # documented in the README ("The desktop app")

# Packages the README names for the GUI on Debian/Ubuntu (one `apt-get install` line).
GUI_PACKAGES = (
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libglib2.0-0",
    "libdbus-1-3",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
)
# Part of every Debian/Ubuntu system, or pulled in by the packages above: never named.
BASE_PACKAGES = (
    "libc6",
    "libstdc++6",
    "libgcc-s1",
    "zlib1g",
    "libzstd1",
    "liblzma5",
    "libbsd0",
    "libmd0",
    "libcap2",
    "libsystemd0",
    "libgcrypt20",
    "libgpg-error0",
    "liblz4-1",
    "libpcre2-8-0",
    "libexpat1",
    "libpng16-16",
    "libbrotli1",
    "libxau6",
    "libxdmcp6",
    "libglvnd0",
    "libglx0",
    "libffi8",
)

# soname -> Debian package (from `ldd Qt/plugins/platforms/libqxcb.so` + `dpkg -S`, Debian 12, PySide6 6.x).
LIBRARY_PACKAGES: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libGLdispatch.so.0": "libglvnd0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libbrotlicommon.so.1": "libbrotli1",
    "libbrotlidec.so.1": "libbrotli1",
    "libbsd.so.0": "libbsd0",
    "libc.so.6": "libc6",
    "libcap.so.2": "libcap2",
    "libdbus-1.so.3": "libdbus-1-3",
    "libdl.so.2": "libc6",
    "libexpat.so.1": "libexpat1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libgcc_s.so.1": "libgcc-s1",
    "libgcrypt.so.20": "libgcrypt20",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgpg-error.so.0": "libgpg-error0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "liblz4.so.1": "liblz4-1",
    "liblzma.so.5": "liblzma5",
    "libm.so.6": "libc6",
    "libmd.so.0": "libmd0",
    "libpcre2-8.so.0": "libpcre2-8-0",
    "libpng16.so.16": "libpng16-16",
    "libpthread.so.0": "libc6",
    "librt.so.1": "libc6",
    "libstdc++.so.6": "libstdc++6",
    "libsystemd.so.0": "libsystemd0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libffi.so.8": "libffi8",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "ld-linux-x86-64.so.2": "libc6",
    "ld-linux-aarch64.so.1": "libc6",
}

_DT_NEEDED = 1
_SHT_DYNAMIC = 6


def elf_needed(path: str | Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of an ELF shared object ([] if it cannot be read as ELF)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return []
    if data[:4] != b"\x7fELF" or len(data) < 64:
        return []
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    try:
        if is64:
            (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
            sh_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
        else:
            (shoff,) = struct.unpack_from(end + "I", data, 0x20)
            shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
            sh_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
        sections = [struct.unpack_from(sh_fmt, data, shoff + i * shentsize) for i in range(shnum)]
        out: list[str] = []
        for sh in sections:
            if sh[1] != _SHT_DYNAMIC:
                continue
            dyn_off, dyn_size, link = sh[4], sh[5], sh[6]
            str_off = sections[link][4]
            step = struct.calcsize(dyn_fmt)
            for pos in range(dyn_off, dyn_off + dyn_size, step):
                tag, val = struct.unpack_from(dyn_fmt, data, pos)
                if tag == 0:
                    break
                if tag == _DT_NEEDED:
                    stop = data.index(b"\0", str_off + val)
                    out.append(data[str_off + val : stop].decode("utf-8", "replace"))
        return out
    except (struct.error, IndexError, ValueError):
        return []


def qt_dir() -> Path | None:
    """PySide6's bundled Qt folder, found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    return qt if qt.is_dir() else None


def _can_load(soname: str) -> bool:
    try:
        ctypes.CDLL(soname, mode=getattr(os, "RTLD_LAZY", 1) | getattr(os, "RTLD_LOCAL", 0))
    except OSError:
        return False
    return True


def missing_libraries(
    plugin: Path, bundled_dir: Path, can_load: Callable[[str], bool] | None = None
) -> list[str]:
    """System libraries the plugin needs (directly or through the bundled Qt libraries) that cannot be loaded."""
    can_load = can_load or _can_load
    missing: list[str] = []
    seen: set[str] = set()
    todo = [plugin]
    while todo:
        for name in elf_needed(todo.pop()):
            if name in seen:
                continue
            seen.add(name)
            bundled = bundled_dir / name
            if bundled.is_file():
                todo.append(bundled)
            elif not can_load(name):
                missing.append(name)
    return missing


def packages_for(sonames: Iterable[str]) -> list[str]:
    """Debian package names for the libraries (a library not in the table is named as itself)."""
    return sorted({LIBRARY_PACKAGES.get(s, s) for s in sonames})


def chosen_platform(env: Mapping[str, str]) -> str | None:
    """The Qt platform plugin Qt will try first on Linux: QT_QPA_PLATFORM's first entry, else wayland in a
    Wayland session, else xcb."""
    explicit = env.get("QT_QPA_PLATFORM", "").replace(";", ":").split(":")[0].strip()
    if explicit:
        return explicit
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def message_for(missing: list[str]) -> str:
    pkgs = packages_for(missing)
    libs = ", ".join(missing)
    n = len(missing)
    return (
        f"PhotoSearch's window cannot start: {n} system {'library is' if n == 1 else 'libraries are'} "
        f"missing ({libs}).\nOn Debian or Ubuntu install {'it' if len(pkgs) == 1 else 'them'} with:\n"
        f"    sudo apt-get install {' '.join(pkgs)}\n"
        "The command line ('photosearch') works without them."
    )


def check(
    env: Mapping[str, str] | None = None,
    can_load: Callable[[str], bool] | None = None,
    qt: Path | None = None,
    platform: str | None = None,
    connect: Callable[[str], bool] | None = None,
) -> str | None:
    """None when the window can start as far as we can tell; else the one message to show."""
    env = environment() if env is None else env
    if (platform or sys.platform) != "linux":
        return None
    name = chosen_platform(env)
    if name not in ("xcb", "wayland"):
        return None  # offscreen, minimal, eglfs, vnc...: nothing to check
    qt = qt or qt_dir()
    if qt is None:
        return None
    plugins = qt / "plugins" / "platforms"
    bundled = qt / "lib"
    if name == "wayland":
        wl = plugins / "libqwayland.so"
        if wl.is_file() and not missing_libraries(wl, bundled, can_load):
            return None  # Qt falls back to xcb when wayland cannot load: check that one
    xcb = plugins / "libqxcb.so"
    if not xcb.is_file():
        return None
    missing = missing_libraries(xcb, bundled, can_load)
    if missing:
        return message_for(missing)
    if name == "xcb":
        display = env.get("DISPLAY")
        if not display:
            return (
                "PhotoSearch's window cannot start: there is no graphical display (DISPLAY is not set).\n"
                "Start it from a desktop session; the command line ('photosearch') works without one."
            )
        if not (connect or _display_reachable)(display):
            return (
                f"PhotoSearch's window cannot start: the display {display} does not answer.\n"
                "Start it from a desktop session; the command line ('photosearch') works without one."
            )
    return None


def _display_reachable(display: str) -> bool:
    """Whether an X server answers on ``display`` (what Qt's xcb plugin does first; else it aborts)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True  # reported as a missing library above
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    try:
        return bool(conn) and xcb.xcb_connection_has_error(conn) == 0
    finally:
        if conn:
            xcb.xcb_disconnect(conn)
