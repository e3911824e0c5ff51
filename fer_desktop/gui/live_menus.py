"""The live window's keys, recording toolbar actions and menus, made on the window as
`live_layout` makes its widgets."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from . import shortcuts

if TYPE_CHECKING:
    from .main_window import MainWindow


def build_actions(w: MainWindow) -> None:
    """The keys of shortcuts.LIVE, and the recording toolbar's actions."""
    w.key_actions = shortcuts.bind(
        w,
        shortcuts.LIVE,
        {
            "pause": w.toggle_pause,
            "record": w.record_btn.toggle,
            "marker": w.start_marker,
            "overlay": w.overlay_switch.cycle,
            "open": w.dialogs.open_file,
            "review": w.dialogs.choose_review,
            "shortcuts": w.dialogs.show_shortcuts,
            "quit": w.close,
        },
    )
    w.marker_action = w.key_actions["marker"]
    w.marker_action.setText("Marker (M)")
    rec = w.recording_bar
    rec.addAction(w.marker_action)
    rec.addWidget(w.lsl_box)
    rec.addWidget(w.ws_box)
    calibrate = make_action(
        w,
        "Calibrate neutral",
        lambda: w.calibrate_neutral(),
        "Take the first 3 seconds in which each face in view looks neutral and steady as "
        "its resting face; from then on each face is read against its own rest (the "
        "status bar says when each face is calibrated, or that no neutral face came)",
    )
    reset = make_action(
        w,
        "Reset calibration",
        w.reset_calibration,
        "Forget every face's resting face: raw values until calibrated again",
    )
    snap = make_action(w, "Save snapshot", w.dialogs.choose_snapshot, "Save the window as a PNG")
    for action in (calibrate, reset, snap):
        rec.addAction(action)


def make_action(parent: QObject, text: str, slot: Callable[[], object], tip: str = "") -> QAction:
    """A menu or toolbar action that calls `slot`."""
    action = QAction(text, parent)
    action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def build_menus(w: MainWindow) -> None:
    """The File, View, Stream and Help menus."""
    keys = w.key_actions
    file_menu = w.menuBar().addMenu("&File")
    for text, action in (("&Open video or image…", keys["open"]),
                         ("Open &recording to review…", keys["review"])):  # fmt: skip
        action.setText(text)
        file_menu.addAction(action)
    file_menu.addAction(make_action(w, "Recording &folder…", w.dialogs.choose_record_folder))
    file_menu.addSeparator()
    keys["quit"].setText("&Quit")
    file_menu.addAction(keys["quit"])
    w.overlay_switch.build_menu(w.menuBar(), keys["overlay"])
    stream_menu = w.menuBar().addMenu("&Stream")
    stream_menu.addAction(make_action(w, "WebSocket &port…", w.dialogs.choose_stream_port))
    w.lan_action = make_action(
        w,
        "Serve the &local network (with a token)",
        lambda: w.set_stream_address(w.outputs.ws_port, w.lan_action.isChecked()),
        "Other computers may open the observer page and connect; each needs the token "
        "in the page's link (Copy observer page link)",
    )
    w.lan_action.setCheckable(True)
    stream_menu.addAction(w.lan_action)
    stream_menu.addAction(make_action(w, "&Copy observer page link", w.copy_observer_link))
    help_menu = w.menuBar().addMenu("&Help")
    keys["shortcuts"].setText("&Keyboard shortcuts")
    help_menu.addAction(keys["shortcuts"])
    help_menu.addAction(make_action(w, "&About fer_desktop", w.dialogs.show_about))
