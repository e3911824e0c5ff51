"""One clock per recording: markers stamped when they arrive, times counted from the start of
the recording (the source's time beside them), and a recording that survives a change of
model with as many video frames as timeline rows. Real videos, real sessions."""

from __future__ import annotations

import threading
import time

import pytest

from fer_desktop.session import Session, SessionOptions
from fer_desktop.settings import Settings
from fer_desktop.timeaxis import wall_seconds
from fer_desktop.timeline import open_timeline, read_timeline
from tests.conftest import shared_path


@pytest.mark.slow
def test_a_game_marker_is_stamped_when_it_arrives_under_a_slow_analysis(tmp_path):
    """The 1080p crowd clip at its own speed: frames take longer than they last. Before,
    t_wall was taken when the frame loop got to the marker (up to 238 ms late) and t_source
    was the last frame's (up to 335 ms early)."""
    timeline = open_timeline(tmp_path / "t.jsonl", "jsonl")
    session = Session(
        str(shared_path("videos", "crowd_1080p.mp4")),
        Settings(),
        SessionOptions(realtime=True),
        [timeline],
    )
    runner = threading.Thread(target=session.run)
    runner.start()
    sent = []  # (epoch before the call, epoch after it)
    try:
        while session.frames < 3:
            time.sleep(0.01)
        for k in range(6):
            before = time.time()
            session.inbound_marker(f"wave {k}", "websocket")  # as the WebSocket's thread does
            sent.append((before, time.time()))
            time.sleep(0.37)
    finally:
        session.stop()  # the loop takes its commands in before it checks for a stop
        runner.join()
    t = read_timeline(timeline.path)
    markers = t["markers"]
    assert [m["note"] for m in markers] == [f"wave {k}" for k in range(6)]
    frames = [(wall_seconds(f["t_wall"]), f["t_source"]) for f in t["frames"]]
    for m, (before, after) in zip(markers, sent, strict=True):
        wall = wall_seconds(m["t_wall"])
        assert before - 1e-6 <= wall <= after + 1e-6  # stamped on arrival
        # its t_source: the frame that arrived just before it, plus the time since
        frame_wall, frame_t = max((f for f in frames if f[0] <= wall + 1e-6), key=lambda f: f[0])
        assert m["t_source"] == pytest.approx(frame_t + min(wall - frame_wall, 1.0), abs=2e-4)
