"""Make PySide6 start cleanly even after cv2 was imported.

opencv-contrib-python (pulled in by mediapipe) sets QT_QPA_PLATFORM_PLUGIN_PATH and
QT_QPA_FONTDIR to its own bundled Qt 5 plugins when cv2 is imported. PySide6 (Qt 6) would
then try to load those and fail with "could not load the Qt platform plugin". We drop them
before the QApplication is created.
"""

from __future__ import annotations

import os

CV2_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


def clean_cv2_qt_environment() -> list[str]:
    """Remove Qt variables that point into cv2's package; return the names removed."""
    removed = []
    for name in CV2_QT_VARIABLES:
        value = os.environ.get(name, "")
        if "cv2" in value.split(os.sep) or f"{os.sep}cv2{os.sep}" in value:
            del os.environ[name]
            removed.append(name)
    return removed
