"""Handing files and folders to the operating system. Everything the app opens outside itself goes
through :func:`hand_off` so tests can replace that one function."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger(__name__)


def hand_off(url: QUrl) -> bool:
    """Open a URL (a file or a folder) with the system's default application."""
    log.info("opening %s", url.toString())
    return QDesktopServices.openUrl(url)


def open_file(path: str) -> bool:
    return hand_off(QUrl.fromLocalFile(path))


def show_in_folder(path: str) -> bool:
    """Show the file in the file manager (selected where the platform allows it), else open its folder."""
    if sys.platform == "darwin" and hand_off is _original_hand_off:
        try:
            subprocess.Popen(["open", "-R", path])  # an argument list, no shell
            return True
        except OSError:
            pass
    if sys.platform == "win32" and hand_off is _original_hand_off:
        try:
            subprocess.Popen(["explorer", "/select,", os.path.normpath(path)])
            return True
        except OSError:
            pass
    return hand_off(QUrl.fromLocalFile(os.path.dirname(path) or path))


_original_hand_off = hand_off
