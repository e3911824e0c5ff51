"""Keep MediaPipe's and LiteRT's C++ logging off the terminal.

The environment variables must be set before those libraries load (import this module first).
Some messages ("Created TensorFlow Lite XNNPACK delegate", "Sparsity tensors may not yet be
fully supported") ignore them; `native_stderr_silenced` hides file descriptor 2 while models
are created and warmed up. Python exceptions still carry every error message.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_lock = threading.RLock()  # re-entrant: a model freed by the GC may close inside another's creation


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
