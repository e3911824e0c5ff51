"""Setup shared by the test files: the command line as a user runs it, a process's lines
as they come, and the live window with settings of its own. Qt is imported only by the
helpers that need it, so the tests that run the command line alone load no Qt."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from fer_desktop.gui.main_window import MainWindow

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "fer_desktop"]


def run_cli(*args, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """`fer-desktop ARGS` from the repository, its output captured as text."""
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=timeout, **kw
    )


def record_live(video: Path, folder: Path, *options) -> Path:
    """`live` on `video` recorded into `folder`, without stdout: the timeline it wrote."""
    out = run_cli("live", "--source", video, "--record", folder, "--no-stdout", *options)
    assert out.returncode == 0, out.stderr
    return next(Path(folder).glob("*.csv"))


def wait_until(condition, seconds: float = 60.0) -> None:
    """Poll `condition` until it holds; fail the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{condition.__name__} never held"
        time.sleep(0.1)


class Lines:
    """The lines a process writes to a pipe, gathered by a thread as they come."""

    def __init__(self, pipe):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe) -> None:
        for line in pipe:
            self.lines.append(line.rstrip("\n"))

    def join(self, seconds: float = 30.0) -> list[str]:
        """Every line, once the process has closed the pipe."""
        self._thread.join(seconds)
        return self.lines

    def health(self) -> list[dict]:
        """The `live --health` reports among the lines."""
        prefix = "fer-desktop: health "
        return [json.loads(x[len(prefix) :]) for x in self.lines if x.startswith(prefix)]


def ini_settings(path: Path) -> QSettings:
    """QSettings in an INI file of the test's own (never the user's settings)."""
    from PySide6.QtCore import QSettings

    return QSettings(str(path), QSettings.Format.IniFormat)


def main_window(
    qtbot,
    settings_path: Path,
    size: tuple[int, int] | None = (960, 720),
    scripted: bool = False,
    **options,
) -> MainWindow:
    """The live window, shown (offscreen) and exposed, with settings from `settings_path`
    (and the window's own `options`, e.g. `open_camera`). `scripted`: no dialog waits for a
    user (as `gui --exit-after` runs it)."""
    from fer_desktop.gui.main_window import MainWindow

    w = MainWindow(ini_settings(settings_path), **options)
    qtbot.addWidget(w)
    if scripted:
        w.setProperty("scripted", True)
    if size:
        w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    return w


def wait_frames(qtbot, w: MainWindow, n: int, timeout: int = 60_000) -> None:
    """Wait until the window has shown `n` more frames."""
    start = w.frames_shown
    qtbot.waitUntil(lambda: w.frames_shown >= start + n, timeout=timeout)
