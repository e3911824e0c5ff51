"""Session outputs against real consumers: an LSL inlet, WebSocket clients, a recorded video
read back, the documented CSV recipe, pipes and slow readers."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from fer_desktop.recording_files import recording_outputs
from fer_desktop.session import (
    AddMarker,
    ChangeSettings,
    FrameAnalysed,
    OutputStarted,
    Session,
    SessionOptions,
)
from fer_desktop.settings import Settings
from fer_desktop.timeline import open_timeline, read_timeline
from tests.conftest import REPO, shared_path
from tests.helpers import CLI, Lines, wait_until


def run_session(source, outputs, frames: int, on_frame=None, **options) -> Session:
    """Run a session on `source` until `frames` frames; `on_frame(session, n)` per frame."""
    count = [0]
    session: Session

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed):
            count[0] += 1
            if on_frame:
                on_frame(session, count[0])

    opts = SessionOptions(realtime=False, max_frames=frames, **options)
    session = Session.from_settings(str(source), Settings(), opts, outputs, on_event=on_event)
    session.run()
    return session


@pytest.mark.slow
def test_lsl_inlet_receives_frames_and_markers(demo_video):
    pytest.importorskip("mne_lsl", reason="the [lsl] extra (mne-lsl) is not installed")
    from mne_lsl import lsl

    from fer_desktop.outputs.lsl import CHANNELS, FRAME_CHANNELS, MEASURE_CHANNELS, LslOutput

    name = f"fer_desktop_test_{os.getpid()}"
    output = LslOutput(slots=2, name=name)
    received: dict = {"frames": [], "markers": []}
    ready = threading.Event()

    def listen() -> None:
        frames = lsl.resolve_streams(timeout=10, name=name)
        markers = lsl.resolve_streams(timeout=10, name=f"{name}-markers")
        fin, min_ = lsl.StreamInlet(frames[0]), lsl.StreamInlet(markers[0])
        fin.open_stream(timeout=5)
        min_.open_stream(timeout=5)
        received["info"] = fin.get_sinfo()
        ready.set()
        deadline = time.time() + 30
        while time.time() < deadline and not any('"end"' in m for m, _ in received["markers"]):
            sample, ts = fin.pull_sample(timeout=0.2)
            if ts is not None:
                received["frames"].append((list(sample), ts))
            sample, ts = min_.pull_sample(timeout=0.0)
            if ts is not None:
                received["markers"].append((sample[0], ts))
        sample, ts = fin.pull_sample(timeout=0.5)
        while ts is not None:  # frames sent with the last marker may still be on their way
            received["frames"].append((list(sample), ts))
            sample, ts = fin.pull_sample(timeout=0.5)

    def on_frame(session, n):
        if n == 1:
            ready.wait(20)  # the inlets are connected before the frames that count
        if n in (10, 20):
            session.send(AddMarker(f"lap {n}"))

    listener = threading.Thread(target=listen)
    listener.start()
    run_session(demo_video, [output], frames=45, on_frame=on_frame)
    listener.join(40)
    info = received["info"]
    assert info.n_channels == 3 + 2 * (len(CHANNELS) + len(MEASURE_CHANNELS))
    assert info.stype == "Expression"
    names = info.get_channel_names()
    assert names[:8] == [*FRAME_CHANNELS, *(f"face1_{c}" for c in CHANNELS)]
    frames = received["frames"]
    assert len(frames) >= 20
    stamps = [ts for _, ts in frames]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    last = frames[-1][0]
    assert last[:3] == [44.0, last[1], 1.0]  # frame 44 (the 45th), its t_source, one face
    assert last[3] == 1.0  # face id 1 in slot 1
    assert abs(sum(last[4:7]) - 1.0) < 0.02  # happy + neutral + sad of the 3-class model
    assert all(v != v for v in last[8:])  # slot 2 is empty: NaN
    events = [json.loads(m) for m, _ in received["markers"]]
    assert [e["note"] for e in events if e["event"] == "marker"] == ["lap 10", "lap 20"]
    assert events[-1]["event"] == "end" and events[-1]["frames"] == 45  # the end marker
    from tests.test_schema import STREAM, validator

    assert all(validator(STREAM).is_valid(e) for e in events)  # the schema's event lines
    marker_ts = [ts for _, ts in received["markers"]]
    assert marker_ts == sorted(marker_ts)


def lsl_frames(output, source, frames: int, settings=None, info=None) -> tuple[list, list]:
    """Run a session on `source` into `output` (an LslOutput) with a real inlet on its frame
    stream: (the session's FrameResults, the (sample, timestamp) pairs the inlet got). The
    inlet's stream info goes in `info["sinfo"]` when a dict is given."""
    from fer_desktop.outputs.lsl import liblsl

    lsl = liblsl()
    results, received = [], []
    ready, done = threading.Event(), threading.Event()

    def listen() -> None:
        inlet = lsl.StreamInlet(lsl.resolve_streams(timeout=20, name=output.stream_name)[0])
        inlet.open_stream(timeout=10)
        if info is not None:
            info["sinfo"] = inlet.get_sinfo()
        ready.set()
        while True:
            sample, ts = inlet.pull_sample(timeout=1.0)
            if ts is not None:
                received.append((list(sample), ts))
            elif done.is_set():  # the session ended and nothing more came for a second
                break
        inlet.close_stream()

    def on_event(event) -> None:
        if isinstance(event, OutputStarted):  # the outlet is up: no frame before the inlet
            ready.wait(30)
        elif isinstance(event, FrameAnalysed):
            results.append(event.result)

    listener = threading.Thread(target=listen)
    listener.start()
    opts = SessionOptions(realtime=False, max_frames=frames)
    settings = settings or Settings()
    Session.from_settings(str(source), settings, opts, [output], on_event=on_event).run()
    done.set()
    listener.join(30)
    return results, received


@pytest.mark.slow
def test_lsl_slots_keep_each_face_and_samples_carry_frame_faces_and_capture_time():
    """The crowd clip (5-8 faces, 4 slots): a face stays in its slot while it stays in view,
    each sample says its frame, t_source and how many faces were in view, and is stamped with
    the frame's capture time on LSL's clock."""
    pytest.importorskip("mne_lsl", reason="the [lsl] extra (mne-lsl) is not installed")
    from fer_desktop.outputs.lsl import LslOutput, liblsl

    crowd = shared_path("videos", "crowd_1080p.mp4")
    output = LslOutput(slots=4, name=f"fer_slots_{os.getpid()}")
    results, received = lsl_frames(output, crowd, frames=50)
    assert len(received) == len(results) == 50
    offset = liblsl().local_clock() - time.monotonic()  # the same clock on Linux: about 0
    by_frame = {}
    for (sample, ts), result in zip(received, results, strict=True):
        assert sample[:3] == [result.index, pytest.approx(result.t_source), len(result.faces)]
        assert ts == pytest.approx(result.t_monotonic + offset, abs=1e-3)  # at capture
        by_frame[result.index] = [None if v != v else int(v) for v in sample[3 : 3 + 4 * 5 : 5]]
    in_view = {r.index: {f.id for f in r.faces} for r in results}
    assert max(len(ids) for ids in in_view.values()) > 4  # more faces than slots
    moves = [  # a face in a slot that is still in view in the next frame, in another slot
        (i, face_id)
        for i in range(1, len(results))
        for slot, face_id in enumerate(by_frame[i - 1])
        if face_id in in_view[i] and by_frame[i][slot] != face_id
    ]
    assert moves == []
    filled = [sum(v is not None for v in slots) for slots in by_frame.values()]
    assert filled == [min(4, len(in_view[i])) for i in sorted(in_view)]  # no slot left idle


@pytest.mark.slow
def test_lsl_driver_rule_puts_the_largest_face_in_slot_1_and_keeps_it():
    pytest.importorskip("mne_lsl", reason="the [lsl] extra (mne-lsl) is not installed")
    from fer_desktop.outputs.face_slots import HOLD_S, Driver
    from fer_desktop.outputs.lsl import LslOutput

    crowd = shared_path("videos", "crowd_1080p.mp4")
    output = LslOutput(slots=2, name=f"fer_driver_{os.getpid()}", driver=Driver.parse("largest"))
    results, received = lsl_frames(output, crowd, frames=50)

    def largest(result) -> int:
        return max(result.faces, key=lambda f: f.box[2] * f.box[3]).id

    # slot 1's face id by frame (channel 0); NaN while the driver is missed (its slot waits
    # HOLD_S for it). Frames pushed before the inlet connected are not in `received`.
    slot1 = {int(sample[0]): sample[3] for sample, _ in received}
    results = [r for r in results if r.index in slot1]
    assert len(results) > 40
    drivers = [None if slot1[r.index] != slot1[r.index] else int(slot1[r.index]) for r in results]
    assert drivers[0] == largest(results[0])
    driver = drivers[0]
    for i in range(1, len(results)):
        if drivers[i] not in (None, driver):  # a new driver only once the last one has left
            seen = [r.t_source for r in results[:i] if driver in {f.id for f in r.faces}]
            assert results[i].t_source - max(seen) > HOLD_S
            assert drivers[i] == largest(results[i])
            driver = drivers[i]
    kept = [d for d, r in zip(drivers, results, strict=True) if d and d != largest(r)]
    assert kept  # slot 1 kept its driver while another face was larger


def test_recorded_video_has_one_frame_per_timeline_frame_row(demo_video, tmp_path):
    import av

    outputs = recording_outputs(tmp_path, "csv")
    run_session(demo_video, outputs, frames=30)
    timeline = read_timeline(outputs[0].path)
    with av.open(str(outputs[1].path)) as video:
        decoded = [f.pts for f in video.decode(video=0)]
    assert len(decoded) == len(timeline["frames"]) == 30
    times = [round(f["t_source"] * 1000) for f in timeline["frames"]]
    assert decoded == times  # the same source times, frame by frame


def test_setting_changes_continue_the_recording_and_are_logged(demo_video, tmp_path):
    timeline = open_timeline(tmp_path / "t.csv", "csv")

    def on_frame(session, n):
        settings = session.pipeline.settings
        if n == 5:
            session.send(ChangeSettings(settings.replace(smoothing=0.2)))
        if n == 10:
            session.send(ChangeSettings(settings.replace(model="2class")))

    run_session(demo_video, [timeline], frames=20, on_frame=on_frame)
    back = read_timeline(tmp_path / "t.csv")
    assert back["summary"] is not None and len(back["frames"]) == 20
    changes = [{k: s[k] for k in s if k in ("smoothing", "model")} for s in back["settings"]]
    assert changes == [{"smoothing": 0.2}, {"model": "2class"}]
    assert set(back["faces"][-1]["probs"]) == {"happy", "sad"}
    assert set(back["faces"][0]["probs"]) == {"happy", "neutral", "sad"}
    assert {f["face_id"] for f in back["faces"]} == {1}  # the same face through both changes


def test_documented_csv_recipe_keeps_awkward_notes(demo_video, tmp_path):
    pandas = pytest.importorskip("pandas")
    notes = ["boss #2 start", 'he said "no", then left', "line one\nline two", "a,b,c"]
    timeline = open_timeline(tmp_path / "t.csv", "csv")

    def on_frame(session, n):
        if n <= len(notes):
            session.send(AddMarker(notes[n - 1]))

    run_session(demo_video, [timeline], frames=10, on_frame=on_frame)
    df = pandas.read_csv(tmp_path / "t.csv", skiprows=1, keep_default_na=False)  # the README's
    assert df[df.kind == "marker"].note.tolist() == notes
    assert (df.kind == "face").sum() == 10 and (df.kind == "summary").sum() == 1
    assert [m["note"] for m in read_timeline(tmp_path / "t.csv")["markers"]] == notes


@pytest.mark.slow
def test_live_into_a_closed_pipe_exits_quietly(demo_video):
    proc = subprocess.run(
        f"{sys.executable} -m fer_desktop live --source {demo_video} | head -3",
        shell=True,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        executable="/bin/bash",
    )
    assert len(proc.stdout.splitlines()) == 3
    assert proc.stderr.strip() == "", proc.stderr


@pytest.mark.slow
def test_live_latest_keeps_a_slow_reader_current():
    proc = subprocess.Popen(
        [*CLI, "live", "--source", "demo", "--latest"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert json.loads(proc.stdout.readline())["type"] == "header"
        seen = []
        for _ in range(30):  # a reader taking 5 lines a second of a 30 fps source
            line = json.loads(proc.stdout.readline())
            if line["type"] == "frame":
                seen.append(line["frame"])
            time.sleep(0.2)
        # in order, it would read frames 0..29; newest-only, once the pipe's few buffered
        # lines are read it skips ahead to the present
        assert seen == sorted(seen) and seen[-1] > 2 * len(seen), seen
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    end = json.loads(rest.splitlines()[-1])
    assert end["event"] == "end" and end["dropped_frames"] > 0 and end["stopped"] == "interrupted"


def test_live_and_analyze_read_a_video_face_for_face_alike(tmp_path, demo_video):
    """Both front ends drive the one Session: the same video gives the same face rows."""
    from fer_desktop import cli

    assert cli.main(["analyze", str(demo_video), "--out", str(tmp_path / "a"), "--quiet"]) == 0
    live = ["live", "--source", str(demo_video), "--record", str(tmp_path / "l"), "--no-stdout"]
    assert cli.main([*live, "--no-record-video"]) == 0

    def rows(path) -> list[dict]:
        return [{k: v for k, v in f.items() if k != "t_wall"} for f in read_timeline(path)["faces"]]

    analysed = rows(tmp_path / "a" / f"{demo_video.stem}.csv")
    assert len(analysed) == 45  # one face in each of the 45 frames
    assert rows(next((tmp_path / "l").glob("*.csv"))) == analysed


@pytest.mark.slow
def test_window_exit_status_and_signals(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [*CLI, "gui", "--source", str(tmp_path / "nothere.mp4"), "--exit-after", "3"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1 and "nothere.mp4" in out.stderr, out.stderr
    # SIGTERM closes the window properly: the recording ends with its summary, exit 130
    rec = tmp_path / "rec"
    proc = subprocess.Popen(
        [*CLI, "gui", "--source", "demo", "--record", str(rec)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline and not any(
        p.read_text().count("\nface,") > 5 for p in rec.glob("*.csv")
    ):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 130, proc.stderr.read()
    timeline = read_timeline(next(rec.glob("*.csv")))
    assert timeline["summary"] is not None and timeline["frames"]


def test_live_waits_for_a_camera_that_is_not_there_yet():
    proc = subprocess.Popen(
        [*CLI, "live", "--camera", "97", "--wait-for-camera", "--health", "0.3"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr = Lines(proc.stderr)
    try:

        def waited_a_second() -> bool:
            return proc.poll() is not None or any(
                h["state"] == "waiting for the camera" and h["waiting_s"] >= 1.0
                for h in stderr.health()
            )

        wait_until(waited_a_second)
        assert proc.poll() is None, "\n".join(stderr.lines)  # still waiting, not failed
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    lines = stderr.join()
    assert proc.returncode == 130, "\n".join(lines)
    assert "fer-desktop: waiting for the camera" in lines and "Traceback" not in "\n".join(lines)


def test_user_errors_are_one_line_and_bugs_show_a_traceback(monkeypatch, capsys):
    from fer_desktop import cli

    assert cli.main(["live", "--camera", "-1"]) == 2
    err = capsys.readouterr().err
    assert "camera" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1

    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli.COMMANDS, "models", broken)
    assert cli.main(["models", "list"]) == cli.EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError" in err and "bug" in err


def test_detecting_ahead_on_a_thread_changes_no_result(face_video):
    """The three-stage analysis (decode, detect, the rest on threads) reports what the
    one-thread loop reports, face for face."""

    def faces(prefetch: bool) -> list[tuple]:
        rows = []

        def on_event(event) -> None:
            if isinstance(event, FrameAnalysed):
                r = event.result
                rows.extend((r.index, f.id, f.box, f.label, f.probs.tolist()) for f in r.faces)

        opts = SessionOptions(realtime=False, max_frames=80, prefetch=prefetch)
        Session.from_settings(str(face_video), Settings(), opts, [], on_event=on_event).run()
        return rows

    ahead, inline = faces(True), faces(False)
    assert len(ahead) >= 60 and ahead == inline
