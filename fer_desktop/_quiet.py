"""Keep native libraries' logging (LiteRT, FFmpeg inside OpenCV) off the terminal.

The environment variables must be set before those libraries load: the entry points
(`cli.main`, hence the window too) and the API functions call `quiet_native_logs()` first;
importing fer_desktop changes nothing. FFmpeg's own lines ("moov atom not found") would
otherwise land in the middle of our one-line error messages when files are decoded on
another thread; the error itself still reaches the user as one line.

Some messages ("Created TensorFlow Lite XNNPACK delegate") ignore the variables:
`native_stderr_silenced` hides file descriptor 2 while models are created and warmed up.
Python exceptions still carry every error message. FER_DESKTOP_NATIVE_LOGS=1 shows it all.
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
}


def quiet_native_logs() -> None:
    """Set the native libraries' log levels (unless FER_DESKTOP_NATIVE_LOGS is set, or the
    user set a level); call it before they load. Child processes inherit them."""
    if os.environ.get("FER_DESKTOP_NATIVE_LOGS"):
        return
    for name, value in QUIET_LOG_LEVELS.items():
        os.environ.setdefault(name, value)


_lock = threading.RLock()  # re-entrant, so a nested use cannot deadlock


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point fd 2 at /dev/null for the duration (unless FER_DESKTOP_NATIVE_LOGS is set)."""
    if os.environ.get("FER_DESKTOP_NATIVE_LOGS"):
        yield
        return
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
