"""A real window under Xvfb (xcb platform), photographed with ImageMagick's `import`."""

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import REPO


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian: xvfb, imagemagick; .ci/run installs them)")


@pytest.fixture
def xvfb():
    _need("Xvfb")
    _need("import")
    display = ":97"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    assert proc.poll() is None, "Xvfb did not start"
    yield display
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_window_shows_on_a_real_display(xvfb, tmp_path):
    env = {**os.environ, "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"}
    app_shot = tmp_path / "app.png"
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fer_desktop",
            "gui",
            "--source",
            "demo",
            "--exit-after",
            "12",
            "--screenshot",
            str(app_shot),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(9)
    screen = tmp_path / "screen.png"
    subprocess.run(["import", "-window", "root", str(screen)], env=env, check=True, timeout=30)
    _out, err = app.communicate(timeout=60)
    assert app.returncode == 0, err[-2000:]
    import cv2

    img = cv2.imread(str(screen))
    assert img is not None and img.shape[:2] == (800, 1280)
    # A blank Xvfb screen is one flat colour; the window brings many colours and structure.
    assert img.std() > 20
    assert len(np.unique(img.reshape(-1, 3)[::97], axis=0)) > 200
    assert app_shot.exists() and cv2.imread(str(app_shot)).std() > 20


@pytest.mark.slow
def test_without_any_display_the_window_says_what_to_do():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert out.returncode == 2
    assert "no display found" in out.stderr and "QT_QPA_PLATFORM=offscreen" in out.stderr
