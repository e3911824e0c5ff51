"""A segment's clip written on a worker thread behind a progress dialog with Cancel, so that
the review window stays responsive (the shape of Orange's TaskState: the task polls for the
cancel; its progress reaches the GUI thread through queued signals)."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from fer_desktop.errors import FerDesktopError
from fer_desktop.review import ExportCancelled, Review

CANCELLED = "cancelled"


class ClipTask(QObject):
    """Runs in the worker thread: writes the clip, says how far it is."""

    progress = Signal(int, int)  # frames written, frames in the clip
    done = Signal(int, str)  # frames written; "" when written, CANCELLED, or why not

    def __init__(self, rec: Review, start: float, end: float, path: Path):
        super().__init__()
        self.rec, self.start, self.end, self.path = rec, start, end, path
        self.cancelled = threading.Event()  # set from the GUI thread

    @Slot()
    def run(self) -> None:
        try:
            n = self.rec.export_clip(
                self.start, self.end, self.path, labels=True, progress=self._step
            )
        except ExportCancelled:
            self.done.emit(0, CANCELLED)
        except FerDesktopError as exc:
            self.done.emit(0, str(exc))
        else:
            self.done.emit(n, "")

    def _step(self, done: int, total: int) -> bool:
        self.progress.emit(done, total)
        return not self.cancelled.is_set()


class ClipExport(QObject):
    """Lives in the GUI thread: starts a ClipTask on its own thread and shows its progress;
    `finished(text, problem)` says how it ended."""

    finished = Signal(str, bool)

    def __init__(self, rec: Review, start: float, end: float, path: Path, parent: QWidget):
        super().__init__(parent)
        self.path = path
        self.task = ClipTask(rec, start, end, path)
        self.thread = QThread(self)
        self.task.moveToThread(self.thread)
        self.dialog = QProgressDialog(f"Writing {path.name}…", "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle("Export clip")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.canceled.connect(self.cancel)
        self.task.progress.connect(self._step)
        self.task.done.connect(self._done)
        self.thread.started.connect(self.task.run)
        QTimer.singleShot(0, self._start)  # once the caller has connected what it needs

    @Slot()
    def _start(self) -> None:
        if not self.task.cancelled.is_set():  # not stopped before it began
            self.thread.start()

    @Slot()
    def cancel(self) -> None:
        """Stop after the frame being written (the partial file is removed)."""
        self.task.cancelled.set()

    @Slot(int, int)
    def _step(self, done: int, total: int) -> None:
        if not self.dialog.wasCanceled():
            self.dialog.setMaximum(total)
            self.dialog.setValue(done)
            self.dialog.setLabelText(f"Writing {self.path.name}: frame {done} of {total}")

    @Slot(int, str)
    def _done(self, n: int, error: str) -> None:
        self.stop()
        if error == CANCELLED:
            self.finished.emit(f"Clip export cancelled: {self.path.name} not kept", False)
        elif error:
            self.finished.emit(error, True)
        else:
            self.finished.emit(f"Clip of {n} frames saved to {self.path}", False)

    def stop(self) -> None:
        """Cancel (if still writing) and wait for the thread; the dialog goes."""
        self.cancel()
        self.thread.quit()
        self.thread.wait()
        self.dialog.reset()  # hides it without a `canceled` signal
        self.dialog.deleteLater()
