"""Background indexing waits while the computer runs on its battery and goes on when it is plugged in; the
power state is read from the system's own files (a fake ``/sys/class/power_supply`` here), no program runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosearch import power
from photosearch.indexing import power_steps
from photosearch.library.library import Library
from tests.support.photos import make_images
from tests.support.service import Running, wait_until


def _supply(root: Path, name: str, kind: str, **values: str) -> Path:
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "type").write_text(kind + "\n")
    for k, v in values.items():
        (d / k).write_text(v + "\n")
    return d


def test_on_battery_reads_the_supplies(tmp_path: Path) -> None:
    assert power.on_battery(tmp_path / "none") is None  # no such folder: unknown
    laptop = tmp_path / "laptop"
    ac = _supply(laptop, "AC", "Mains", online="1")
    _supply(laptop, "BAT0", "Battery", status="Charging")
    assert power.on_battery(laptop) is False
    (ac / "online").write_text("0\n")
    (laptop / "BAT0" / "status").write_text("Discharging\n")
    assert power.on_battery(laptop) is True
    desktop = tmp_path / "desktop"
    _supply(desktop, "hidpp_battery_0", "Battery", status="Discharging")  # a wireless mouse's battery…
    _supply(desktop, "AC", "Mains", online="1")  # …on a computer on mains
    assert power.on_battery(desktop) is False


def test_indexing_holds_on_battery_and_goes_on_when_plugged_in(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop = tmp_path / "sys"
    ac = _supply(laptop, "AC", "Mains", online="0")
    _supply(laptop, "BAT0", "Battery", status="Discharging")
    monkeypatch.setattr(power, "SUPPLY_ROOT", laptop)
    monkeypatch.setattr(power_steps, "POWER_CHECK_S", 0.05)
    pics = tmp_path / "pics"
    make_images(pics, 4)
    library.add_folder(pics)
    run = Running(library, pause_on_battery=True)
    with run as svc:
        wait_until(
            lambda: any(e.message == power_steps.ON_BATTERY_MESSAGE for e in run.events), 10, "the hold"
        )
        wait_until(lambda: library.catalog.counts_by_status().get("pending", 0) == 4, 10, "the scan")
        wait_until(lambda: svc.idle, 10, "idle on battery")
        idle = [e for e in run.events if e.stage.value == "idle"][-1]
        assert idle.paused and idle.message == power_steps.ON_BATTERY_MESSAGE  # not "up to date"
        assert svc.encoded == 0 and library.catalog.counts_by_status().get("indexed", 0) == 0
        (ac / "online").write_text("1\n")  # plugged in
        (laptop / "BAT0" / "status").write_text("Charging\n")
        wait_until(lambda: svc.encoded == 4, 20, "indexing once plugged in")
    assert any(e.message.startswith("plugged in") for e in run.events)
