"""PySide6 6.12.0 drops a reference to None on every call of a Python override of a Qt virtual
(on Python 3.11, where None is not immortal); the window then aborts with "none_dealloc" after
a few thousand frames. This guards the version pin in pyproject.toml."""

import sys

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget


class Painted(QWidget):
    def paintEvent(self, event):
        pass


def test_python_overrides_keep_none_alive(qtbot):
    import pyqtgraph as pg

    w = Painted()
    qtbot.addWidget(w)
    w.show()
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.show()
    curve = plot.plot([], [])
    before = sys.getrefcount(None)
    for i in range(200):
        w.repaint()
        curve.setData(np.arange(i + 2), np.zeros(i + 2))
        plot.repaint()
    assert sys.getrefcount(None) >= before - 50


@pytest.mark.slow
def test_window_survives_many_frames_and_restarts(qtbot, tmp_path, demo_video):
    from tests.helpers import main_window

    w = main_window(qtbot, tmp_path / "s.ini", size=None)
    w.fast.setChecked(True)
    before = sys.getrefcount(None)
    restarts = 0
    while restarts < 3 or (w.frames_shown < 100 and restarts < 10):  # fast mode may skip
        w.start_source(str(demo_video))  # frames on a busy machine: play until 100 shown
        qtbot.waitUntil(lambda: "source ended" in w.notes, timeout=60_000)
        w.notes.clear()
        restarts += 1
    assert w.frames_shown >= 100
    assert sys.getrefcount(None) >= before - 500
    assert w.stop_worker()
