"""The desktop window. The only package of fer_desktop that imports Qt."""

import cv2  # noqa: F401  (import first, so its Qt variables can be undone below)

from fer_desktop.gui.qt_env import clean_cv2_qt_environment

clean_cv2_qt_environment()
