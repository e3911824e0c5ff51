"""The desktop window. The only package of fer_desktop that imports Qt.

Importing it changes nothing: the window's start (`fer-desktop gui`, `review`) calls
`prepare_qt_environment()` before Qt loads.
"""

from __future__ import annotations

import importlib.util

from fer_desktop.errors import UsageError


def prepare_qt_environment() -> list[str]:
    """Import cv2 first, then undo the Qt variables it may set (see qt_env); the names
    removed. Without Qt installed: a one-line UsageError naming the extra."""
    if importlib.util.find_spec("PySide6") is None:
        raise UsageError("the window needs Qt: pip install 'fer-desktop[gui]'")
    import cv2  # noqa: F401

    from fer_desktop.gui.qt_env import clean_cv2_qt_environment

    return clean_cv2_qt_environment()
