"""Is this computer running on its battery? Read without running any program: Linux's
``/sys/class/power_supply`` (a mains or USB supply online means no; a battery discharging means yes) and
Windows' ``GetSystemPowerStatus``. Elsewhere (macOS would need IOKit) the answer is unknown (None), and nothing
pauses for power."""

from __future__ import annotations

import sys
from pathlib import Path

SUPPLY_ROOT = Path("/sys/class/power_supply")


def _read(p: Path) -> str:
    try:
        return p.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def on_battery(root: Path | None = None) -> bool | None:
    """True on battery power, False on mains, None when this computer does not say (a desktop, a VM)."""
    if sys.platform == "win32":
        return _windows_on_battery()
    root = SUPPLY_ROOT if root is None else root
    try:
        supplies = sorted(root.iterdir())
    except OSError:
        return None
    discharging = False
    for s in supplies:
        kind = _read(s / "type")
        if kind in ("Mains", "USB", "USB_C", "USB_PD") and _read(s / "online") == "1":
            return False
        if kind == "Battery" and _read(s / "status") == "Discharging":
            discharging = True
    return True if discharging else None


def _windows_on_battery() -> bool | None:
    import ctypes

    class Status(ctypes.Structure):
        _fields_ = [
            ("ACLineStatus", ctypes.c_ubyte),
            ("BatteryFlag", ctypes.c_ubyte),
            ("BatteryLifePercent", ctypes.c_ubyte),
            ("SystemStatusFlag", ctypes.c_ubyte),
            ("BatteryLifeTime", ctypes.c_ulong),
            ("BatteryFullLifeTime", ctypes.c_ulong),
        ]

    st = Status()
    try:
        if not ctypes.windll.kernel32.GetSystemPowerStatus(ctypes.byref(st)):  # type: ignore[attr-defined]
            return None
    except (AttributeError, OSError):
        return None
    return {0: True, 1: False}.get(st.ACLineStatus)
