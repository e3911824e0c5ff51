"""The switch of the video view's face overlay (off, landmarks, pose axes): a View menu of
exclusive choices, a key that steps through them, and the choice kept in QSettings."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenuBar, QStatusBar

from .face_overlay import OVERLAY_KEYS, OVERLAYS, next_overlay
from .video_view import VideoView

SETTING = "view/face_overlay"


class OverlaySwitch:
    """Sets `view.face_overlay`, shows it in the View menu and remembers it in `store`; an
    overlay chosen while `mesh_mode()` is "off" is explained on `status`."""

    def __init__(
        self, view: VideoView, store: QSettings, status: QStatusBar, mesh_mode: Callable[[], str]
    ):
        self.view = view
        self.store = store
        self.status = status
        self.mesh_mode = mesh_mode
        self.actions: dict[str, QAction] = {}
        saved = str(store.value(SETTING, "off"))
        view.face_overlay = saved if saved in OVERLAY_KEYS else "off"

    def build_menu(self, bar: QMenuBar, cycle: QAction) -> None:
        """The View menu: one checkable action per overlay, then `cycle` (the key's)."""
        menu = bar.addMenu("&View")
        group = QActionGroup(menu)
        group.setExclusive(True)
        for key, text in OVERLAYS:
            action = QAction(text, menu)
            action.setCheckable(True)
            action.setChecked(key == self.view.face_overlay)
            action.setToolTip("Needs the face mesh (Mesh: face or eyes)" if key != "off" else "")
            action.triggered.connect(lambda _checked=False, key=key: self.set(key))
            group.addAction(action)
            menu.addAction(action)
            self.actions[key] = action
        menu.addSeparator()
        cycle.setText("Next &overlay")
        menu.addAction(cycle)

    def set(self, mode: str) -> None:
        """Draw `mode` over each face from now on (kept for the next start)."""
        self.view.face_overlay = mode
        if mode in self.actions:
            self.actions[mode].setChecked(True)
        self.store.setValue(SETTING, mode)
        self.view.update()
        if mode != "off" and self.mesh_mode() == "off":
            self.status.showMessage(
                "The overlay needs the face mesh: choose Mesh: face or Mesh: eyes", 8000
            )

    def cycle(self) -> None:
        """The overlay key: off, landmarks, pose axes, off…"""
        self.set(next_overlay(self.view.face_overlay))
