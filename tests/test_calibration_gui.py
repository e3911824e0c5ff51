"""The window's calibration: "Calibrate neutral", "Reset calibration" and their notices."""

import pytest

pytest.importorskip("pytestqt")


def _state(window) -> str | None:
    faces = window.last_result.faces if window.last_result else []
    return faces[0].cal_state if faces else None


def test_calibrate_and_reset_in_the_window_say_what_happened(qtbot, window):
    actions = {a.text(): a for a in window.findChildren(type(window.marker_action))}
    assert {"Calibrate neutral", "Reset calibration"} <= set(actions)
    window.start_source("demo")
    qtbot.waitUntil(lambda: window.last_result is not None, timeout=60_000)
    window.calibrate_neutral(0.5)
    qtbot.waitUntil(lambda: any("calibrated on its neutral face" in n for n in window.notes),
                    timeout=60_000)  # fmt: skip
    qtbot.waitUntil(lambda: _state(window) == "calibrated", timeout=10_000)
    actions["Reset calibration"].trigger()
    qtbot.waitUntil(lambda: any("calibration reset" in n for n in window.notes), timeout=60_000)
    qtbot.waitUntil(lambda: _state(window) == "", timeout=10_000)
    assert window.last_result.faces[0].calibrated is None
