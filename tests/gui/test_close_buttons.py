"""Every dialog of the window closes with the same button: the platform's standard Close of a
QDialogButtonBox (its text, icon, place and Esc as the platform has them). Before, the model manager had a
plain 'Close' push button of its own beside the folders, skipped files and shortcuts dialogs' standard one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton

from tests.gui.conftest import prepare_library, wait_listed


def _close_buttons(dlg: QDialog) -> list[QPushButton]:
    return [b for b in dlg.findChildren(QPushButton) if b.text().replace("&", "") == "Close"]


def test_every_dialog_closes_with_the_standard_close_button(
    qtbot: Any, make_window: Any, data_dir: Path, shapes_model: Path
) -> None:
    from photosearch.gui.help_dialog import ShortcutsDialog

    w = make_window(prepare_library(data_dir, model=shapes_model, photos=None, index=False))
    dialogs: dict[str, QDialog] = {
        "folders": w.folders.open_folders_dialog(),
        "skipped": w.folders.show_skipped(),
        "models": wait_listed(qtbot, w.open_model_manager()),
        "shortcuts": ShortcutsDialog(w),
    }
    for name, dlg in dialogs.items():
        dlg.show()
        qtbot.waitUntil(dlg.isVisible)
        boxes = [
            b for b in dlg.findChildren(QDialogButtonBox) if b.button(QDialogButtonBox.StandardButton.Close)
        ]
        assert len(boxes) == 1, name
        standard = boxes[0].button(QDialogButtonBox.StandardButton.Close)
        assert _close_buttons(dlg) == [standard], name  # no other 'Close' of its own
        standard.click()
        qtbot.waitUntil(lambda d=dlg: not d.isVisible())
