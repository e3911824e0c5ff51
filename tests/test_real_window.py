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


ASSETS = REPO / "assets"


def _run_window(args: list[str], display: str, timeout: float = 180) -> None:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]


def test_readme_screenshots_from_this_build(xvfb, tmp_path):
    """The live window on the demo and review on a recording of it (two markers, a name),
    photographed from this build. FER_UPDATE_SCREENSHOTS=1 writes them to assets/ for the
    README (assets/screenshot_demo.png, assets/screenshot_review.png)."""
    import cv2

    from fer_desktop.review import open_recording
    from fer_desktop.sources import DemoSource
    from tests.conftest import write_video

    out = ASSETS if os.environ.get("FER_UPDATE_SCREENSHOTS") else tmp_path
    demo_shot, review_shot = out / "screenshot_demo.png", out / "screenshot_review.png"
    _run_window(["gui", "--source", "demo", "--exit-after", "10",
                 "--screenshot", str(demo_shot)], xvfb)  # fmt: skip
    demo = DemoSource(fps=15.0, duration=10.0, realtime=False)
    clip = write_video(tmp_path / "demo.avi", (f.bgr for f in demo))
    live = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "live", "--source", str(clip),
         "--record", str(tmp_path / "rec"), "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert live.returncode == 0, live.stderr
    timeline = next((tmp_path / "rec").glob("*.csv"))
    rec = open_recording(timeline)
    n = len(rec.frames)
    rec.markers = [rec.marker_at(n // 3, "question 1"), rec.marker_at(2 * n // 3, "question 2")]
    rec.name_face(1, "Speaker")
    rec.save()
    _run_window(["review", str(timeline), "--exit-after", "5",
                 "--screenshot", str(review_shot)], xvfb)  # fmt: skip
    for shot in (demo_shot, review_shot):
        img = cv2.imread(str(shot))
        assert img is not None and img.std() > 20
