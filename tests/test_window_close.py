"""Closing the real window while recording, under Xvfb, driven with xdotool: the window asks
first, the recording is closed (with its summary) before the window goes, no dialog comes
after it, and the process ends, also on SIGTERM."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fer_desktop.timeline import read_timeline
from tests.conftest import REPO

DISPLAY = ":96"
SHOTS = os.environ.get("FER_WINDOW_SHOTS")  # a folder: keep the screenshots there


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian: xvfb, xdotool, imagemagick)")


@pytest.fixture(scope="module")
def xvfb():
    for tool in ("Xvfb", "xdotool", "import"):
        _need(tool)
    proc = subprocess.Popen(
        ["Xvfb", DISPLAY, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    until(lambda: _x(["xdotool", "getmouselocation"]) is not None, "Xvfb did not start")
    yield DISPLAY
    proc.terminate()
    proc.wait(timeout=10)


def until(check, what: str, timeout: float = 180.0):
    """Poll `check` until it gives something true; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    pytest.fail(what)


def _x(cmd: list[str]) -> str | None:
    out = subprocess.run(cmd, env={**os.environ, "DISPLAY": DISPLAY}, capture_output=True,
                         text=True, timeout=30)  # fmt: skip
    return out.stdout if out.returncode == 0 else None


def window_named(name: str) -> str | None:
    """The X window id of a visible window whose title holds `name`."""
    out = _x(["xdotool", "search", "--onlyvisible", "--name", name])
    return out.split()[0] if out else None


def keys(window: str, *names: str) -> None:
    _x(["xdotool", "windowfocus", "--sync", window])
    for k in names:
        _x(["xdotool", "key", k])


def shot(name: str, tmp_path: Path) -> Path:
    path = Path(SHOTS or tmp_path) / name
    _x(["import", "-window", "root", str(path)])
    return path


@pytest.fixture
def app(xvfb, tmp_path):
    """The window on the demo; its settings (in a config folder of its own) already know the
    recording folder, which does not exist yet, and the first-start notice was seen."""
    config = tmp_path / "config"
    (config / "fer_desktop").mkdir(parents=True)
    rec = tmp_path / "recordings" / "new"
    (config / "fer_desktop" / "fer_desktop.conf").write_text(
        f"[General]\nnotice_shown=true\nrecord_dir={rec}\n"
    )
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb",
           "XDG_CONFIG_HOME": str(config)}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "fer_desktop", "gui", "--source", "demo"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    main = until(lambda: proc.poll() is not None or window_named("live mood"), "no window")
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    yield proc, main, rec
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def start_recording(main: str, rec: Path) -> Path:
    """Ctrl+R records into the remembered folder (created); wait until frames are written."""
    keys(main, "ctrl+r")
    timeline = until(lambda: next(rec.glob("*.csv"), None), "Ctrl+R did not start a recording")
    until(lambda: timeline.read_text().count("\nframe,") > 10, "no frames recorded")
    return timeline


def test_closing_while_recording_asks_then_saves_and_exits(app, tmp_path):
    proc, main, rec = app
    timeline = start_recording(main, rec)
    keys(main, "ctrl+q")
    ask = until(lambda: window_named("You are recording"), "no question on closing")
    shot("close_question.png", tmp_path)
    keys(ask, "Escape")  # Keep recording
    until(lambda: not window_named("You are recording"), "the question stayed")
    assert proc.poll() is None and window_named("live mood") == main
    assert read_timeline(timeline)["summary"] is None  # still recording
    keys(main, "ctrl+q")
    ask = until(lambda: window_named("You are recording"), "no question the second time")
    keys(ask, "Return")  # Stop and save
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert read_timeline(timeline)["summary"] is not None  # closed properly
    assert "Traceback" not in err


def test_sigterm_while_the_question_is_open_saves_and_exits(app):
    proc, main, rec = app
    timeline = start_recording(main, rec)
    keys(main, "ctrl+q")
    until(lambda: window_named("You are recording"), "no question on closing")
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert read_timeline(timeline)["summary"] is not None
    assert "Traceback" not in err


def test_sigterm_while_recording_saves_and_exits(app):
    proc, main, rec = app
    timeline = start_recording(main, rec)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert read_timeline(timeline)["summary"] is not None
