"""Faults: a camera that drops out and comes back, a full disk while recording, a killed
recording, unreadable files, and no network at all."""

import argparse
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from fer_desktop.rehearsal import FileCamera
from fer_desktop.sources import DemoSource, SourceError
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, write_video
from tests.helpers import CLI, main_window


class FlakyCameras:
    """Opens 'camera:N' as a real clip played as a camera (rehearsal's FileCamera): the first
    camera is lost when its clip ends; the next `failed_reopens` opens fail as a busy device
    does; then the camera is back for good (the clip on a loop)."""

    def __init__(self, first_life: Path, failed_reopens: int = 2):
        self.first_life, self.failed_reopens, self.opened = first_life, failed_reopens, 0

    def __call__(self, index, capture, stop) -> FileCamera:
        if self.opened and self.failed_reopens:
            self.failed_reopens -= 1
            raise SourceError(f"camera {index}: cannot open (no such device, or it is busy)")
        self.opened += 1
        return FileCamera(self.first_life, loop=self.opened > 1)


def demo_clip(path: Path, seconds: float) -> Path:
    """The built-in demo's real face, `seconds` long at 15 fps."""
    demo = DemoSource(fps=15.0, duration=seconds, realtime=False)
    return write_video(path, (f.bgr for f in demo), fps=15.0)


def test_live_reconnects_after_camera_loss(capsys, tmp_path):
    from fer_desktop.commands import live
    from fer_desktop.settings import Settings

    cameras = FlakyCameras(demo_clip(tmp_path / "8-frames.avi", 8 / 15))
    args = live_args(max_frames=20, reconnect_backoff="0.3")  # three tries: a 0.9 s outage
    assert live.run(args, Settings(), open_camera=cameras) == 0
    assert cameras.opened == 2 and cameras.failed_reopens == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines[0]["type"] == "header"
    events = [x for x in lines if x["type"] == "event"]
    assert [(e["event"], e["note"]) for e in events[:4]] == [
        ("gap", "camera lost"),
        ("status", "camera lost, reconnecting"),
        ("gap", "camera back"),
        ("status", "camera back"),
    ]
    frames = [x for x in lines if x["type"] == "frame"]
    assert len(frames) == 20 and all(f["faces"] for f in frames)
    assert [f["frame"] for f in frames] == list(range(20))  # no restart after the reconnect
    ts = [f["t_source"] for f in frames]
    assert ts == sorted(ts)
    gap = max(b - a for a, b in itertools.pairwise(ts))
    assert gap >= 0.85  # the capture clock ran on through the outage
    wall = [datetime.fromisoformat(f["t_wall"]).timestamp() for f in frames]
    assert abs((ts[-1] - ts[0]) - (wall[-1] - wall[0])) < 1e-3  # the camera's clock for both
    assert lines[-1]["event"] == "end"


def live_args(**overrides) -> argparse.Namespace:
    """The options `fer-desktop live` parses, with its defaults."""
    from fer_desktop.cli import build_parser

    args = build_parser().parse_args(["live"])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def recording_window(qtbot, tmp_path, source: str, **window_options):
    """A window analysing `source` and recording into tmp_path/rec."""
    w = main_window(qtbot, tmp_path / "s.ini", size=None, scripted=True, **window_options)
    w.start_source(source)
    qtbot.waitUntil(lambda: w.frames_shown > 0, timeout=30_000)
    w.start_recording(str(tmp_path / "rec"))
    return w


def test_window_shows_camera_lost_and_marks_the_gap(qtbot, tmp_path):
    # 6 s of camera: the recording starts well before the camera drops out
    cameras = FlakyCameras(demo_clip(tmp_path / "6-seconds.avi", 6.0))
    w = recording_window(qtbot, tmp_path, "camera:0", open_camera=cameras)
    qtbot.waitUntil(lambda: "camera lost, reconnecting" in w.notes, timeout=30_000)
    assert "Camera lost" in w.view.banner
    assert "REC" in w.view.banner  # the recording's clock stays beside it
    qtbot.waitUntil(lambda: "camera back" in w.notes, timeout=30_000)
    qtbot.waitUntil(lambda: "Camera lost" not in w.view.banner, timeout=30_000)
    path = w.recording_path
    assert path is not None, (w.errors, w.notes)
    w.close()
    gaps = [g["note"] for g in read_timeline(path)["gaps"]]
    assert "camera lost" in gaps


def test_full_disk_while_recording_in_the_window(qtbot, monkeypatch, tmp_path):

    from fer_desktop import timeline as timeline_module

    real = timeline_module.CsvTimeline._write_frame

    def full_disk_after_a_few(self, result):
        if self.rows >= 5:
            raise OSError(28, "No space left on device")
        real(self, result)

    monkeypatch.setattr(timeline_module.CsvTimeline, "_write_frame", full_disk_after_a_few)
    w = recording_window(qtbot, tmp_path, "demo")
    qtbot.waitUntil(lambda: bool(w.errors), timeout=30_000)
    assert "No space left on device" in w.errors[-1]
    qtbot.waitUntil(lambda: w.recording_path is None, timeout=10_000)
    assert not w.record_btn.isChecked()  # the window says it is no longer recording
    w.close()


@pytest.mark.slow
def test_sigkill_during_recording_loses_at_most_a_second(tmp_path):
    rec = tmp_path / "rec"
    proc = subprocess.Popen(
        [*CLI, "gui", "--source", "demo", "--record", str(rec)],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 90
    path = None
    while time.time() < deadline:
        files = list(rec.glob("session-*.csv"))
        if files and files[0].read_text().count("\nface,") > 30:
            path = files[0]
            break
        time.sleep(0.2)
    assert path is not None, "the recording never started"
    time.sleep(2.0)
    proc.send_signal(signal.SIGKILL)
    killed_at = datetime.now().astimezone()
    proc.wait()
    timeline = read_timeline(path)
    assert timeline["header"] is not None and timeline["summary"] is None
    last = datetime.fromisoformat(timeline["faces"][-1]["t_wall"])
    assert (killed_at - last).total_seconds() <= 1.0
    # the video beside it plays up to within a second of the kill: at most one second of
    # the demo's 30 fps behind the timeline (measured: 0 to 2 frames), never ahead of it
    import av

    with av.open(str(path.with_suffix(".mkv"))) as video:
        shown = sum(1 for _ in video.decode(video=0))
    rows = len(timeline["frames"])
    assert rows - 30 <= shown <= rows + 1, (shown, rows)


def test_unreadable_file_is_a_clear_error(tmp_path, astronaut_png, monkeypatch):
    from fer_desktop.sources import read_image

    locked = tmp_path / "locked.png"
    shutil.copy(astronaut_png, locked)
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read itself fail as it would
        import numpy as np

        def denied(*a, **k):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(np, "fromfile", denied)
    with pytest.raises(SourceError, match="permission denied"):
        read_image(locked)


def _unshare_works() -> bool:
    return (
        shutil.which("unshare") is not None
        and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
    )


@pytest.mark.slow
@pytest.mark.skipif(not _unshare_works(), reason="unshare -n needs root or user namespaces")
def test_everything_works_with_the_network_cut(tmp_path, astronaut_png, demo_video):
    def offline(*args):
        return subprocess.run(
            ["unshare", "-n", *CLI, *map(str, args)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=300,
        )

    out = offline("predict", astronaut_png, "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["faces"], out.stderr
    out = offline("analyze", demo_video, "--out", tmp_path, "--report", "--quiet")
    assert out.returncode == 0 and (tmp_path / "demo_report.html").exists(), out.stderr
    out = offline("live", "--source", demo_video, "--max-frames", "5")
    assert out.returncode == 0, out.stderr
    assert [json.loads(x)["type"] for x in out.stdout.splitlines()].count("frame") == 5


def test_no_socket_is_opened(monkeypatch, astronaut_bgr, demo_video, tmp_path):
    """In-process: any attempt to open a network socket fails the test."""
    import socket

    from fer_desktop.commands.analyze import analyze_video
    from fer_desktop.pipeline import Pipeline
    from fer_desktop.sources import Frame

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with Pipeline() as p:
        assert p.process(Frame(0, 0.0, astronaut_bgr)).faces
        analyze_video(p, demo_video, tmp_path, "jsonl", 1, report=True)
    assert not [
        f
        for f in tmp_path.iterdir()
        if f.suffix in (".png", ".jpg", ".avi") and "report" not in f.name
    ]  # no frames written, only the chart
