"""Long runs: the soak script runs and reports; a rig's recording parts leak nothing (threads,
open files, memory), measured on the `live` process itself at every part."""

import gc
import json
import os
import statistics
import subprocess
import sys
import weakref

import pytest

from fer_desktop.outputs.rotation import RotatingRecording
from fer_desktop.outputs.video import VideoOutput
from fer_desktop.recording_files import new_stem, recording_pair
from fer_desktop.session import Session, SessionOptions
from fer_desktop.settings import Settings
from tests.conftest import REPO, shared_path


def threads_now() -> int:
    """Native threads of this process (FFmpeg's encoder threads are not Python threads)."""
    gc.collect()
    return len(os.listdir("/proc/self/task"))


def record(source, outputs, frames: int) -> None:
    options = SessionOptions(realtime=False, max_frames=frames)
    Session.from_settings(str(source), Settings(), options, outputs).run()


@pytest.mark.slow
@pytest.mark.parametrize("extra", [[], ["--window"]])
def test_short_soak_reports_memory_and_frame_time(extra):
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", "--seconds", "6", *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["frames"] > 10
    for key in ("rss_mb_start", "rss_mb_end", "rss_growth_pct", "frame_time_growth_pct"):
        assert isinstance(result[key], float)
    assert out.stdout.startswith("machine: ")


def test_a_closed_video_holds_no_encoder_threads(demo_video, tmp_path):
    """After close() the output lets go of its encoder: dropping the object ends nothing
    more (before: its stream kept FFmpeg's frame threads alive as long as it lived)."""
    video = VideoOutput(tmp_path / "v.mkv")
    record(demo_video, [video], frames=10)
    assert video.frames == 10
    held = threads_now()
    del video
    assert threads_now() == held


def test_a_rotating_recording_lets_go_of_each_closed_part(demo_video, tmp_path):
    """Ten parts and more: only the part being written stays in memory, and the process
    has as many threads at the end as with one part open."""
    made: list[weakref.ref] = []

    def make(stem):
        outputs = recording_pair(stem)
        made.extend(weakref.ref(o) for o in outputs)
        return outputs

    (tmp_path / "one").mkdir()
    one_part = RotatingRecording(new_stem(tmp_path / "one"), recording_pair, max_bytes=10**9)
    record(demo_video, [one_part], frames=45)  # what a session leaves (codec, model threads)
    assert one_part.part == 1
    before = threads_now()
    recording = RotatingRecording(new_stem(tmp_path), make, max_bytes=40_000)
    record(demo_video, [recording], frames=45)
    assert recording.part >= 10
    assert len(list(tmp_path.glob("session-*-part*.mkv"))) == recording.part
    alive = [ref() for ref in made if ref() is not None]
    assert alive == recording.current  # the last part only (before: every part)
    recording.current = []
    assert threads_now() <= before


@pytest.mark.slow
def test_a_rig_soak_stays_flat_over_ten_parts():
    """`live` with every output, a part every 2 s, retention and clients coming and going:
    threads and open files of the process stay flat from part to part, memory within a
    generous bound (before: 4 more threads and about 6.5 MB at every part)."""
    pytest.importorskip("mne_lsl", reason="the [lsl] extra (mne-lsl) is not installed")
    video = shared_path("videos", "talking_head_512.mp4")
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", "--rig", "--video", str(video),
         "--parts", "10", "--part-seconds", "2", "--keep-gb", "0.002"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    parts = [json.loads(line) for line in lines[1:-1]]
    summary = json.loads(lines[-1])
    assert [p["part"] for p in parts] == list(range(1, 11))
    settled = parts[1:]  # the first part includes start-up

    def growth(key: str) -> float:
        """From the first three parts to the last three (medians: a client connected at
        the moment of a cut adds a thread or a socket for that moment only)."""
        values = [p[key] for p in settled]
        return statistics.median(values[-3:]) - statistics.median(values[:3])

    assert growth("threads") <= 1, [p["threads"] for p in parts]
    assert growth("open_files") <= 1, [p["open_files"] for p in parts]
    assert growth("rss_mb") < 30, [p["rss_mb"] for p in parts]  # before: about 6.5 MB a part
    # retention deleted the oldest parts as it went (2 MB kept, plus the part just begun),
    # and clients really came and went
    assert summary["deleted_parts"] >= 1
    assert max(p["disk_mb"] for p in parts) <= 3, [p["disk_mb"] for p in parts]
    assert summary["clients"]["websocket"] >= 1 and summary["clients"]["lsl"] >= 1
