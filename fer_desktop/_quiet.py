"""Keep native libraries' logging (LiteRT, FFmpeg inside OpenCV) off the terminal.

The environment variables must be set before those libraries load: the entry points
(`cli.main`, hence the window too) and the API functions call `quiet_native_logs()` first;
importing fer_desktop changes nothing. FFmpeg's own lines ("moov atom not found") would
otherwise land in the middle of our one-line error messages when files are decoded on
another thread; the error itself still reaches the user as one line.

Some messages ("Created TensorFlow Lite XNNPACK delegate") ignore the variables:
`native_stderr_silenced` hides file descriptor 2 while models are created and warmed up.
Python's own stderr (our lines, tracebacks) is first moved to a copy of descriptor 2, so a
line another thread prints meanwhile (a start-up line, "camera lost", a generated token) still
reaches the terminal or the journal. Python exceptions still carry every error message.
FER_DESKTOP_NATIVE_LOGS=1 shows it all.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

QUIET_LOG_LEVELS = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "OPENCV_FFMPEG_LOGLEVEL": "-8",  # AV_LOG_QUIET
    "OPENCV_LOG_LEVEL": "SILENT",  # each camera backend's failure to open; we say it once
}


def quiet_native_logs() -> None:
    """Set the native libraries' log levels (unless FER_DESKTOP_NATIVE_LOGS is set, or the
    user set a level); call it before they load. Child processes inherit them."""
    if os.environ.get("FER_DESKTOP_NATIVE_LOGS"):
        return
    for name, value in QUIET_LOG_LEVELS.items():
        os.environ.setdefault(name, value)
    cv2 = sys.modules.get("cv2")  # loaded already: it read OPENCV_LOG_LEVEL when it loaded
    if cv2 is not None and os.environ["OPENCV_LOG_LEVEL"] == "SILENT":
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    python_stderr_apart()


def python_stderr_apart() -> None:
    """Point `sys.stderr` at a copy of file descriptor 2, so that hiding descriptor 2 from
    native libraries never hides what Python prints. Only the process's own stderr is moved
    (not a test's capture or a caller's replacement), and only once."""
    stream = sys.stderr
    if stream is None or stream is not sys.__stderr__:
        return
    try:
        if stream.fileno() != 2:
            return
    except (AttributeError, OSError, ValueError):  # not a real file
        return
    stream.flush()
    sys.stderr = open(  # noqa: SIM115 - it lives as long as the process
        os.dup(2), "w", encoding=stream.encoding, errors=stream.errors, buffering=1
    )


_lock = threading.RLock()  # re-entrant, so a nested use cannot deadlock


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point fd 2 at /dev/null for the duration (unless FER_DESKTOP_NATIVE_LOGS is set)."""
    if os.environ.get("FER_DESKTOP_NATIVE_LOGS"):
        yield
        return
    python_stderr_apart()  # when no entry point did it first (the API, an embedding)
    with _lock:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)
