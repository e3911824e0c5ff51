"""One clock per recording: markers stamped when they arrive, times counted from the start of
the recording (the source's time beside them), and a recording that survives a change of
model with as many video frames as timeline rows. Real videos, real sessions."""

from __future__ import annotations

import threading
import time
from pathlib import Path

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
    session = Session.from_settings(
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


def video_frames(path) -> int:
    """The frames a recorded video holds, counted by decoding it."""
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_a_recording_goes_on_when_the_model_changes(tmp_path, demo_video):
    """Before: "timeline stopped: it cannot hold the new model's labels" after the switch to
    the 8-class model; the video ran on (502 frames against 500 rows)."""
    from dataclasses import replace

    from fer_desktop.recording_files import recording_outputs
    from fer_desktop.session import ChangeSettings, OutputEnded

    events = []
    timeline, video = recording_outputs(tmp_path)

    def switch_at_frame_20(event):  # as the window's model box does, from the session's owner
        events.append(event)
        if session.frames == 20:
            session.send(ChangeSettings(replace(Settings(), model="8class")))

    session = Session.from_settings(
        str(demo_video), Settings(), SessionOptions(realtime=False), [timeline, video],
        on_event=switch_at_frame_20,
    )  # fmt: skip
    session.run()
    assert [e.error for e in events if isinstance(e, OutputEnded)] == [None, None]
    t = read_timeline(timeline.path)
    assert t["summary"] is not None  # closed at the end, not at the switch
    assert len(t["frames"]) == 45 == video_frames(video.path)
    (change,) = [s for s in t["settings"] if "labels" in s]
    assert change["model"] == "8class" and "anger" in change["labels"]
    before = [f for f in t["faces"] if f["frame"] < 20]
    after = [f for f in t["faces"] if f["frame"] > 21]
    assert before and after
    assert all(set(f["probs"]) == {"happy", "neutral", "sad"} for f in before)
    assert all(set(f["probs"]) >= {"anger", "fear", "surprise"} for f in after)
    assert all(abs(sum(f["probs"].values()) - 1) < 0.01 for f in before + after)
    # review and the report count the new model's labels too: every share is there
    from fer_desktop.recording import read_recording
    from fer_desktop.review import open_recording

    rec = open_recording(timeline.path)
    assert set(rec.labels) >= {"happy", "neutral", "sad", "anger", "surprise", "contempt"}
    for face in rec.summary(0.0, float(rec.times[-1])):
        shares = [v for k, v in face.items() if k.startswith("share_")]
        assert sum(shares) == pytest.approx(1.0, abs=0.01)
    for face in read_recording(timeline.path).shown.summary.faces:
        assert sum(face.label_share.values()) == pytest.approx(1.0, abs=1e-6)
        assert set(face.label_share) == set(rec.labels)


@pytest.mark.slow
def test_the_window_s_recordings_hold_a_video_frame_per_timeline_row(window, qtbot, tmp_path):
    """Record, stop, record again from the window. Before, the timeline and the video were
    added by two commands, and a frame could fall between them (1994 video frames against
    1995 rows: row k was no longer video frame k)."""
    window.setProperty("scripted", True)
    window.start_source("demo")
    qtbot.waitUntil(lambda: window.frames_shown > 3, timeout=60_000)
    for k in range(3):
        assert window.start_recording(str(tmp_path / f"rec{k}"))
        qtbot.waitUntil(lambda: window.recording_path is not None, timeout=10_000)
        path = window.recording_path
        start = window.frames_shown
        qtbot.waitUntil(lambda start=start: window.frames_shown > start + 8, timeout=60_000)
        window.record_btn.click()
        qtbot.waitUntil(lambda: window.recording_path is None, timeout=10_000)
        qtbot.waitUntil(lambda: not window.outputs.recording_on, timeout=10_000)
        rows = read_timeline(path)["frames"]
        assert len(rows) > 8
        assert video_frames(Path(path).with_suffix(".mkv")) == len(rows), k


@pytest.fixture(scope="module")
def twenty_seconds(tmp_path_factory, face_video) -> Path:
    """The talking head's 200 frames at 10 fps: a 20 s file, long enough to start
    recording 15 s in."""
    import av

    from tests.bad_inputs import mp4

    with av.open(str(face_video)) as c:
        frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    return mp4(tmp_path_factory.mktemp("clip") / "talking_20s.mp4", frames, fps=10)


@pytest.mark.slow
def test_a_recording_started_15_s_in_counts_from_its_own_start(qtbot, twenty_seconds, tmp_path):
    """The window's way: recording starts at 15 s of the file, a marker at 17 s. Before,
    the report said "Analysed: 20.1 s", its segments 00:00.00–00:19.90 and the marker at
    00:17.00, while the REC badge counted from the start of recording (wall clock, on after
    the source ended)."""
    from fer_desktop.gui.outputs_controller import OutputsController
    from fer_desktop.report import write_report
    from fer_desktop.review import open_recording
    from fer_desktop.session import AddMarker, FrameAnalysed, OutputStarted

    session = Session.from_settings(str(twenty_seconds), Settings(), SessionOptions(realtime=False))
    outputs = OutputsController(session.send)
    badges = []

    def owner(event):  # as the window's worker passes them on
        if isinstance(event, OutputStarted):
            outputs.output_started(event.output)
        if not isinstance(event, FrameAnalysed):
            return
        if event.result.t_source >= 15.0 and not outputs.recording_on:
            assert outputs.start_recording(tmp_path)
        if outputs.timeline is not None and abs(session.last_t - 17.0) < 1e-6:
            session.send(AddMarker("boss {17}", "window"))
        if outputs.recording_path:
            badges.append(outputs.rec_badge())

    session.on_event = owner
    session.run()
    path = Path(outputs.timeline.path)
    first = read_timeline(path)["frames"][0]["t_source"]
    assert first == pytest.approx(15.1, abs=0.05)  # the frame after the one that asked
    assert badges[-1] == "● REC 00:04 (source 00:19)"  # 19.9 - 15.1 s, truncated
    time.sleep(1.1)  # the source has ended: the badge stands still
    assert outputs.rec_badge() == badges[-1]

    rec = open_recording(path)
    assert rec.times[0] == 0.0 and rec.times[-1] == pytest.approx(19.9 - first, abs=1e-3)
    (m,) = rec.markers
    assert m.t == pytest.approx(17.0 - first, abs=1e-3)
    assert rec.segments()[0] == ("whole session", 0.0, pytest.approx(19.9 - first, abs=1e-3))
    clip = tmp_path / "clip.mp4"
    rec.export_clip(m.t - 0.5, m.t + 0.5, clip)
    rows = (clip.with_suffix(".csv")).read_text().splitlines()
    t, t_source = rows[1].split(",")[:2]
    assert float(t) == pytest.approx(m.t - 0.5, abs=0.05)
    assert float(t_source) == pytest.approx(16.5, abs=0.05)

    _svg, html = write_report(path, thumbnails=False)
    page = html.read_text(encoding="utf-8")
    assert "<b>Analysed:</b> 4.9 s (source 00:15.10–00:20.00)," in page
    assert "truncated" not in page
    assert f"<li>00:0{m.t:.2f} (source 00:17.00) boss {{17}}" in page
    assert "<td>whole session</td><td>00:00.00–00:04.80 (source 00:15.10–00:19.90)</td>" in page
