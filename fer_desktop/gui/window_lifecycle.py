"""What every top-level window of the app shares: whether a display is there, and a clean
close on Ctrl-C and SIGTERM. Its own module, so that the windows and the app's start use it
without importing each other."""

from __future__ import annotations

import os
import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication


def no_display() -> bool:
    """True on Linux without X11/Wayland when Qt was not told to run offscreen."""
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def quit_all(window) -> None:
    """Close every window without a question, then end the event loop."""
    quit_now = getattr(window, "quit_now", None)
    if quit_now is not None:
        quit_now()
        return
    QApplication.closeAllWindows()
    QTimer.singleShot(0, QApplication.quit)


def close_on_signals(window) -> list[int]:
    """Ctrl-C and SIGTERM close the window properly (recordings end with their summary),
    without a question, and end the process (open dialogs are closed).

    Python runs signal handlers only between bytecodes, so a timer wakes the interpreter
    while Qt's event loop waits. The returned list fills with the signal received."""
    received: list[int] = []

    def handler(signum, _frame) -> None:
        received.append(signum)
        QTimer.singleShot(0, lambda: quit_all(window))

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(200)
    return received
