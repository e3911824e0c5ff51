"""Start the window: `fer-desktop gui [--source …] [--record DIR] [--screenshot PNG]
[--exit-after SECONDS]`."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fer_desktop import detector_models
from fer_desktop.classifier import MoodModel
from fer_desktop.errors import FerDesktopError
from fer_desktop.sources import CameraSource, SourceError

from .main_window import MainWindow
from .window_lifecycle import close_on_signals, no_display


def default_source() -> tuple[str, str | None]:
    """The first camera that delivers a frame, else the demo with a note why."""
    try:
        CameraSource(0, open_timeout=2.0).close()
        return "camera:0", None
    except SourceError as exc:
        return "demo", f"No camera found ({exc}); showing the built-in demo."


def preflight() -> str | None:
    """A message when the models needed to start are missing, else None."""
    try:
        for range_ in detector_models.DETECTOR_MODELS:  # 'auto' uses both detectors
            detector_models.find(range_)
        MoodModel("3class")
    except FerDesktopError as exc:
        return str(exc)
    return None


def run(args) -> int:
    if no_display():
        print(
            "fer-desktop: error: no display found. Run it on a desktop, set "
            "QT_QPA_PLATFORM=offscreen to run the window without a screen, or use "
            "`fer-desktop live` for headless analysis.",
            file=sys.stderr,
        )
        return 2
    problem = preflight()
    if problem:
        print(f"fer-desktop: error: {problem}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("fer_desktop")
    window = MainWindow()
    last = window.prefs.last_source()
    source, note = (args.source or last, None) if args.source or last else default_source()
    window.show()
    window.start_source(source, remember=note is None)  # a fallback: try the camera next time
    interrupted = close_on_signals(window)
    if args.exit_after is None and not args.record:
        QTimer.singleShot(300, window.dialogs.show_notice_once)
    if note:
        print(f"fer-desktop: {note}", file=sys.stderr)
        window.statusBar().showMessage(note, 15000)
        window.view.banner = "No camera found: built-in demo"
    if args.record:
        window.setProperty("scripted", True)
        window.start_recording(str(args.record))
    if args.exit_after is not None:
        window.setProperty("scripted", True)

        def finish() -> None:
            if args.screenshot:
                window.save_snapshot(str(args.screenshot))
            window.close()

        QTimer.singleShot(int(args.exit_after * 1000), finish)
    elif args.screenshot:
        QTimer.singleShot(3000, lambda: window.save_snapshot(str(args.screenshot)))
    code = app.exec()
    if os.environ.get("FER_DESKTOP_TIMING"):
        lat = sorted(window.latencies_ms)
        p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
        print(
            f"timing: first_labelled_at={window.first_labelled_at} frames={window.frames_shown} "
            f"arrival_to_paint_p95_ms={p95:.2f}",
            file=sys.stderr,
        )
    if window.errors:
        print(f"fer-desktop: {window.errors[-1].splitlines()[0]}", file=sys.stderr)
    if interrupted:
        return 130
    return 1 if window.source_failed else code
