"""Shared fixtures: real faces from PyPI packages, real videos written with OpenCV, and the
optional ../shared folder (tests that need it skip with a clear reason when it is absent)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_desktop.gui import prepare_qt_environment
from tests.helpers import REPO, main_window

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
prepare_qt_environment()  # as the window's start does: cv2's Qt 5 variables (if any) undone

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHARED = Path(os.environ.get("FER_DESKTOP_SHARED") or REPO.parent / "shared")  # a worktree: set it


def shared_path(*parts: str) -> Path:
    """A path inside ../shared, or a skip saying it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/{'/'.join(parts)} (not present on this machine)")
    return path


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    """skimage's astronaut: Eileen Collins, smiling."""
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def grace_hopper_bgr() -> np.ndarray:
    from fer_desktop.sources import demo_portrait

    return demo_portrait()


@pytest.fixture(scope="session")
def astronaut_png(tmp_path_factory, astronaut_bgr) -> Path:
    path = tmp_path_factory.mktemp("faces") / "astronaut.png"
    cv2.imwrite(str(path), astronaut_bgr)
    return path


@pytest.fixture(scope="session")
def grace_hopper_jpg() -> Path:
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        return Path(fh.name)


def write_video(path: Path, frames, fps: float = 15.0, fourcc: str = "MJPG") -> Path:
    """Write BGR frames to a video file with OpenCV."""
    frames = list(frames)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"OpenCV cannot write {path}"
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def write_av_video(path: Path, frames, fps: int = 25, rotation: int = 0) -> Path:
    """Write BGR frames losslessly (H.264, 4:4:4, qp 0) with PyAV; `rotation` (degrees
    counter-clockwise, as PyAV's `VideoFrame.rotation` reads it back) goes in the display
    matrix, as a phone writes it."""
    import av

    frames = list(frames)
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"qp": "0"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv444p"
        if rotation:
            stream.set_display_rotation(rotation)
        for bgr in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(bgr, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def demo_video(tmp_path_factory) -> Path:
    """A 3-second 640x480 clip of the built-in demo (a real moving face), written by OpenCV."""
    from fer_desktop.sources import DemoSource

    demo = DemoSource(fps=15.0, duration=3.0, realtime=False)
    path = tmp_path_factory.mktemp("video") / "demo.avi"
    return write_video(path, (f.bgr for f in demo), fps=15.0)


@pytest.fixture(scope="session")
def blinking_video(tmp_path_factory):
    """The demo face on two frames of every three and a blank third: with no grace period and
    no re-identification, each return is a new id (15 of them: ids past 9)."""
    from fer_desktop.sources import DemoSource

    demo = DemoSource(fps=15.0, duration=3.0, realtime=False)
    frames = [f.bgr if f.index % 3 else np.full_like(f.bgr, 90) for f in demo]
    return write_video(tmp_path_factory.mktemp("blinking") / "blinking.avi", frames, fps=15.0)


@pytest.fixture(scope="session")
def recorded_demo(tmp_path_factory, demo_video) -> Path:
    """The timeline `live --record` wrote of `demo_video` (its .mkv beside it). Copy it
    before editing: sessions share it."""
    import subprocess
    import sys

    folder = tmp_path_factory.mktemp("rec")
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "live", "--source", str(demo_video),
         "--record", str(folder), "--no-stdout"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return next(folder.glob("*.csv"))


def copy_recording(timeline: Path, folder: Path) -> Path:
    """A copy of a recording (timeline and video) in `folder`, for edits of its own."""
    for src in (timeline, timeline.with_suffix(".mkv")):
        (folder / src.name).write_bytes(src.read_bytes())
    return folder / timeline.name


@pytest.fixture(scope="session")
def face_video() -> Path:
    """../shared/videos/talking_head_512.mp4 (200 frames, one person), or a skip: never
    another video in its place (the demo clip is `demo_video`, 45 frames)."""
    return shared_path("videos", "talking_head_512.mp4")


@pytest.fixture(scope="session")
def pipeline():
    from fer_desktop.pipeline import Pipeline

    with Pipeline() as p:
        yield p


@pytest.fixture
def window(qtbot, tmp_path):
    """The live window, real and shown (offscreen), with settings of its own; its worker
    must stop when the test ends."""
    w = main_window(qtbot, tmp_path / "settings.ini")
    yield w
    assert w.stop_worker()


@pytest.fixture
def browser(tmp_path):
    """Headless chromium driven by Selenium (Debian's chromium and chromium-driver), or a skip."""
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium "
                    "chromium-driver)")  # fmt: skip
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (the dev extra)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    for arg in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-proxy-server",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1000,760",
    ):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def loop_timeline(timeline: Path, out: Path, copies: int) -> Path:
    """A long recording made of a real one: its frame and face rows `copies` times, each copy
    later by the recording's length (t_source, t_wall) with its frames numbered on, and its
    header (the source's duration) and closing row saying so."""
    import csv
    import json
    from datetime import datetime, timedelta

    lines = timeline.read_text(encoding="utf-8").splitlines(keepends=True)
    names = next(csv.reader([lines[1]]))
    rows = list(csv.reader(lines[2:]))
    body = [r for r in rows if r[0] in ("frame", "face")]
    ti, wi, fi = names.index("t_source"), names.index("t_wall"), names.index("frame")
    times = sorted({float(r[ti]) for r in body})
    length = times[-1] - times[0] + (times[1] - times[0])
    frames = max(int(r[fi]) for r in body) + 1
    header = json.loads(lines[0][2:])
    if header.get("source_duration_s"):
        header["source_duration_s"] = round(length * copies, 4)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        fh.writelines([f"# {json.dumps(header)}\n", lines[1]])
        writer = csv.writer(fh, lineterminator="\n")
        for k in range(copies):
            for r in body:
                later = list(r)
                later[ti] = f"{float(r[ti]) + k * length:.4f}"
                later[fi] = str(int(r[fi]) + k * frames)
                wall = datetime.fromisoformat(r[wi]) + timedelta(seconds=k * length)
                later[wi] = wall.isoformat(timespec="microseconds")
                writer.writerow(later)
        for r in rows:
            if r[0] == "summary":
                summary = json.loads(r[-1])
                summary.update(
                    frames=summary["frames"] * copies,
                    face_rows=summary["face_rows"] * copies,
                    duration_s=round(length * copies - (times[1] - times[0]), 4),
                    t_source_last=round(times[-1] + (copies - 1) * length, 4),
                )
                writer.writerow([*r[:-1], json.dumps(summary)])
    return out
