"""The service's power rule: background indexing holds while the computer runs on its battery (when the
setting ``PHOTOSEARCH_PAUSE_ON_BATTERY`` is on, the default) and goes on by itself once it is plugged in. The
power state is read every ``POWER_CHECK_S`` seconds (a few small files; ``photosearch.power``)."""

from __future__ import annotations

import time

from photosearch.config import setting
from photosearch.indexing.state import ServiceState
from photosearch.power import on_battery
from photosearch.progress import Progress, ProgressPhase

POWER_CHECK_S = 20.0
ENV_PAUSE_ON_BATTERY = "PHOTOSEARCH_PAUSE_ON_BATTERY"
ON_BATTERY_MESSAGE = "paused: on battery power (indexing goes on when the computer is plugged in)"


def pause_on_battery_default() -> bool:
    return (setting(ENV_PAUSE_ON_BATTERY) or "1").strip().lower() not in ("0", "no", "off", "false")


class PowerSteps(ServiceState):
    pause_on_battery: bool
    _power_checked: float = float("-inf")
    _on_battery: bool = False

    def _power_hold(self) -> bool:
        """True while indexing should wait for mains power."""
        if not self.pause_on_battery:
            return False
        now = time.monotonic()
        if now - self._power_checked >= POWER_CHECK_S:
            self._power_checked = now
            was, self._on_battery = self._on_battery, bool(on_battery())
            if self._on_battery != was:
                self._emit(
                    Progress(
                        ProgressPhase.IDLE,
                        paused=self._on_battery,
                        message=ON_BATTERY_MESSAGE if self._on_battery else "plugged in: indexing goes on",
                    )
                )
        return self._on_battery
