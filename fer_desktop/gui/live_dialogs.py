"""The live window's dialogs, as a part of MainWindow: a video file pauses behind each one
(a camera or the demo runs on, so that a recording keeps every second);
file dialogs open where the last one was; the question before closing while recording."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from fer_desktop.errors import FerDesktopError
from fer_desktop.session_messages import AddMarker, Pause
from fer_desktop.sources import IMAGE_SUFFIXES

from . import shortcuts
from .dialogs import last_folder, save_path
from .live_texts import about_text, is_file, notice_text

if TYPE_CHECKING:
    from .main_window import MainWindow

STOP_AND_SAVE = "Stop and save"


class LiveDialogs:
    """The live window's dialogs, owned by the window they are shown over."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.review_windows: list = []  # kept alive while open

    def modal(self, show: Callable[[], object]):
        """Run a dialog with a video file paused behind it (unless it was paused already). A
        live source runs on: pausing it would leave a hole in the recording."""
        was_paused = self.window.play.isChecked() or not is_file(self.window.source_spec)
        if not was_paused and self.window.worker is not None:
            self.window.send(Pause(True))
            self.window.view.overlay = "Paused"
            self.window.view.update()
        try:
            return show()
        finally:
            if not was_paused and not self.window.closing:
                self.window.send(Pause(False))
                self.window.view.overlay = ""
                self.window.view.update()

    def show_about(self) -> None:
        text = about_text(self.window.analysis.model)
        self.modal(lambda: QMessageBox.about(self.window, "About fer_desktop", text))

    def show_shortcuts(self) -> None:
        text = shortcuts.help_html("Live window", shortcuts.LIVE) + shortcuts.help_html(
            "Review window", shortcuts.REVIEW
        )
        self.modal(lambda: QMessageBox.information(self.window, "Keyboard shortcuts", text))

    def show_notice_once(self) -> None:
        """The responsible-use notice, on first start only (remembered in the settings),
        naming what the chosen model reads."""
        w = self.window
        if w.settings.value("notice_shown", False, type=bool) or w.property("scripted"):
            return
        text = notice_text(w.analysis.model)
        self.modal(lambda: QMessageBox.information(w, "Before you start", text))
        w.settings.setValue("notice_shown", True)
        w.settings.sync()

    def choose_review(self) -> None:
        path, _ = self.modal(
            lambda: QFileDialog.getOpenFileName(
                self.window,
                "Open a recording",
                str(last_folder(self.window.settings, "record", self.record_folder())),
                "Timelines and videos (*.csv *.jsonl *.mkv *.mp4 *.avi *.mov);;All files (*)",
            )
        )
        if path:
            self.open_review(path)

    def open_review(self, path: str):
        from .review_window import ReviewWindow

        try:
            window = ReviewWindow(Path(path), self.window.settings)
        except FerDesktopError as exc:
            self.window.on_error(str(exc))
            return None
        self.review_windows.append(window)
        window.show()
        return window

    def open_file(self) -> None:
        exts = " ".join(f"*{e}" for e in sorted(IMAGE_SUFFIXES))
        path, _ = self.modal(
            lambda: QFileDialog.getOpenFileName(
                self.window,
                "Open a video or an image",
                str(last_folder(self.window.settings, "open")),
                f"Videos and images (*.mp4 *.avi *.mov *.mkv *.webm {exts});;All files (*)",
            )
        )
        if path:
            self.window.settings.setValue("folders/open", str(Path(path).parent))
            self.window.change_source(path)

    def record_folder(self) -> str | None:
        """The folder recordings go to, once chosen (it is created when missing)."""
        folder = self.window.settings.value("record_dir", "")
        return str(folder) if folder else None

    def choose_record_folder(self) -> str | None:
        start = self.record_folder() or str(Path.home())
        folder = self.modal(
            lambda: QFileDialog.getExistingDirectory(self.window, "Record into…", start)
        )
        if folder:
            self.window.settings.setValue("record_dir", folder)
            self.window.statusBar().showMessage(f"Recordings go to {folder}", 6000)
        return folder or None

    def choose_stream_port(self) -> None:
        port, ok = self.modal(
            lambda: QInputDialog.getInt(
                self.window, "WebSocket port", "Serve the stream and the observer page on port:",
                self.window.outputs.ws_port, 1024, 65535,
            )
        )  # fmt: skip
        if ok:
            self.window.set_stream_address(port, self.window.outputs.ws_lan)

    def choose_snapshot(self) -> None:
        name = f"snapshot-{time.strftime('%Y%m%d-%H%M%S')}.png"
        path = self.modal(
            lambda: save_path(
                self.window, self.window.settings, "snapshot", "Save snapshot", name,
                "PNG (*.png)", ".png", self.record_folder(),
            )
        )  # fmt: skip
        if not path:
            return
        if not self.window.save_snapshot(path):
            self.window.on_error(f"could not save {path}")
            return
        if self.window.recording_path:  # the timeline notes where the snapshot went
            self.window.send(AddMarker(f"snapshot {path}"))
        self.window.statusBar().showMessage(f"Snapshot saved to {path}", 6000)

    def ask_stop_recording(self, then: str = "quit") -> bool:
        """While recording: Stop and save (True) or Keep recording (False)."""
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("You are recording")
        box.setText(f"You are recording to\n{self.window.recording_path or 'a new recording'}")
        box.setInformativeText(f"Stop the recording, save it and {then}?")
        stop = box.addButton(STOP_AND_SAVE, QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep recording", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(stop)
        self.modal(box.exec)
        return box.clickedButton() is stop or self.window.closing
