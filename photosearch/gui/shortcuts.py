"""Keyboard: Ctrl+F focuses the search field, Escape clears it, Ctrl+O adds a folder, Ctrl+V pastes an image
as the reference, Down moves from the field into the results."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from photosearch.gui.main_window import MainWindow


class Shortcuts(QObject):
    def __init__(self, window: MainWindow, add_folder: Callable[[], None]) -> None:
        super().__init__(window)
        self.w = window
        self.act_find = self._act("Search", QKeySequence.StandardKey.Find, self.focus_search)
        self.act_find.setShortcuts([QKeySequence("Ctrl+F")])
        self.act_escape = self._act("Clear", Qt.Key.Key_Escape, self.clear_query)
        self.act_add = self._act("Add folder…", QKeySequence("Ctrl+O"), add_folder)
        self.act_paste = self._act(
            "Paste image as reference", QKeySequence.StandardKey.Paste, self.paste_reference
        )
        self.act_help = QAction("Keyboard shortcuts", window)
        self.act_help.setShortcuts([QKeySequence("?"), QKeySequence("F1")])
        window.addAction(self.act_help)
        window.query_bar.field.installEventFilter(self)

    def _act(self, text: str, keys: Any, slot: Any) -> QAction:
        a = QAction(text, self.w)
        a.setShortcut(QKeySequence(keys))
        a.triggered.connect(slot)
        self.w.addAction(a)
        return a

    def focus_search(self) -> None:
        self.w.query_bar.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.w.query_bar.field.selectAll()

    def clear_query(self) -> None:
        """Esc: close the preview when it is open over the photos (the focus stays on them), else clear the
        search and go to the field (the viewer closes on its own Esc)."""
        w = self.w
        if w.preview.isVisible() and QApplication.focusWidget() is not w.query_bar.field:
            w.actions_.toggle_preview(w.view.currentIndex().row())
            w.view.setFocus()
            return
        w.query_bar.clear()
        w.query_bar.field.setFocus()

    def paste_reference(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and not self.w.query_bar.well.set_from_mime(mime):
            self.w.status.say("The clipboard holds no image to search with")

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (
            obj is self.w.query_bar.field
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
        ):
            button = self.w.message.button
            if self.w.stack.currentWidget() is self.w.message and button.isVisible():
                button.setFocus()  # "no good matches": Down reaches its one next step (show the nearest)
                return True
            if self.w.model.rowCount() and self.w.stack.currentWidget() is self.w.view:
                self.w.view.setFocus()
                if not self.w.view.currentIndex().isValid():
                    self.w.view.setCurrentIndex(self.w.model.index(0))
                return True
        return super().eventFilter(obj, event)
