"""The preview's metadata lines: date with its time zone, camera, lens, exposure, place name and coordinates
(selectable, so they can be copied). Fed with ``photosearch.app.places.meta_json(...)``."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from photosearch.places.metadata import TimeSource


def _when(meta: dict[str, Any]) -> str:
    """The recorded time, to the minute, with its offset from UTC and its zone when known."""
    when = str(meta["taken"]).replace("T", " ")[:16]
    off = meta.get("utc_offset_min")
    if off is not None:
        sign = "+" if off >= 0 else "−"
        when += f" (UTC{sign}{abs(off) // 60:02d}:{abs(off) % 60:02d})"
    if meta.get("time_zone"):
        when += f" {meta['time_zone']}"
    return when


def taken_line(meta: dict[str, Any] | None) -> str | None:
    """When the photo was taken, as its camera recorded it (the date taken, with its time zone when known);
    None without one — the file's modification time is not a date taken (``meta_lines`` says 'File date')."""
    if not meta or not meta.get("taken") or meta.get("time_source") == TimeSource.FILE_TIME:
        return None
    return _when(meta)


def file_date(meta: dict[str, Any] | None) -> str | None:
    """The file's modification time when that is the only time known (the last resort: not a date taken)."""
    if not meta or not meta.get("taken") or meta.get("time_source") != TimeSource.FILE_TIME:
        return None
    return _when(meta)


def meta_lines(meta: dict[str, Any] | None) -> list[str]:
    """Lines a person reads, in order; empty without metadata. The date taken is not among them: it is the
    details' 'Date taken' (``photo_details``); a file's modification time is, as 'File date …'."""
    when = file_date(meta)
    return ([f"File date {when}"] if when else []) + camera_place_lines(meta)


def camera_place_lines(meta: dict[str, Any] | None) -> list[str]:
    """The camera, lens, exposure, place and coordinates lines; empty without metadata."""
    if not meta:
        return []
    out: list[str] = []
    make, model = meta.get("make") or "", meta.get("model") or ""
    camera = (
        model if make and model.lower().startswith(make.split()[0].lower()) else f"{make} {model}".strip()
    )
    if camera:
        out.append(camera)
    if meta.get("lens"):
        out.append(str(meta["lens"]))
    exposure = []
    if meta.get("focal_mm"):
        exposure.append(f"{meta['focal_mm']:g} mm")
    if meta.get("f_number"):
        exposure.append(f"f/{meta['f_number']:g}")
    if meta.get("exposure_s"):
        s = float(meta["exposure_s"])
        exposure.append(f"1/{round(1 / s)} s" if s < 1 else f"{s:g} s")
    if meta.get("iso"):
        exposure.append(f"ISO {meta['iso']}")
    if exposure:
        out.append(" · ".join(exposure))
    place = ", ".join(x for x in (meta.get("city"), meta.get("region"), meta.get("country")) if x)
    if place:
        out.append(place)
    if meta.get("latitude") is not None and meta.get("longitude") is not None:
        out.append(f"{meta['latitude']:.6f}, {meta['longitude']:.6f}")
    return out


def photo_details(
    info: dict[str, str], meta: dict[str, Any] | None, text: str | None = None, lines: bool = True
) -> dict[str, str]:
    """A photo's details, for the preview and the viewer alike: ``info`` (``preview.describe``: path, date
    taken, size, dimensions) with the date taken as the camera recorded it, in its time zone, once the metadata
    is read; with ``lines``, the camera, exposure and place lines (``meta_lines``); and the text read in the
    photo when there is some. The preview shows the lines and the text in widgets of their own
    (``lines=False``, no text)."""
    out = dict(info)
    taken = taken_line(meta)
    if taken is not None:
        out["Date taken"] = taken
    when = file_date(meta) if lines else None
    if when:
        out["File date"] = when
    more = camera_place_lines(meta) if lines else []
    if more:
        out["Camera and place"] = "\n".join(more)
    if text:
        out["Text in the photo"] = text if len(text) <= 600 else text[:600] + "…"
    return out


class MetaLines(QLabel):
    """The lines in one selectable label (coordinates copyable)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def set_meta(self, meta: dict[str, Any] | None) -> None:
        self.setText("\n".join(meta_lines(meta)))
        self.setVisible(bool(self.text()))
