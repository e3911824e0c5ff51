"""Play tests: a game places markers (WebSocket messages, an LSL marker stream, its event log
imported afterwards), and the recording's report and clips are made any time after. Real
sessions on a real video, real servers and clients, real media; no mocks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import av
import jsonschema
import numpy as np
import pytest
from websockets.sync.client import connect

from fer_desktop import schemas
from fer_desktop.cli import main
from fer_desktop.game_markers import import_events, read_event_log
from fer_desktop.outputs.websocket import MAX_MESSAGE_BYTES, WebSocketOutput
from fer_desktop.recording_files import recording_outputs
from fer_desktop.results import iso_time
from fer_desktop.review import ReviewError, open_recording
from fer_desktop.session import FrameAnalysed, OutputStarted, Session, SessionOptions
from fer_desktop.sidecar import load as load_sidecar
from fer_desktop.timeline import read_timeline
from tests.conftest import REPO, shared_path

WAIT_S = 60  # generous: the machine is shared; nothing here asserts a duration


def client(url: str):
    return connect(url, proxy=None, open_timeout=10)


def next_line(ws, wanted) -> dict:
    """The next line the stream sends that `wanted(line)` accepts."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        line = json.loads(ws.recv(timeout=WAIT_S))
        if wanted(line):
            return line
    raise AssertionError("the line never came")


class GameSession:
    """A session playing a video at its own speed, recorded (timeline + video) and served
    over WebSocket with markers taken from clients; it holds at the end until stopped.
    `server`: one already made (a window's lasting one, serving session after session)."""

    def __init__(
        self, video: Path, folder: Path, pipeline, video_too=True, server=None, **server_options
    ):
        self.server = server or WebSocketOutput("ws://127.0.0.1:0", **server_options)
        outputs = [self.server, *recording_outputs(folder, "csv", video=video_too)]
        self.started = threading.Event()
        self.frames = 0
        options = SessionOptions(realtime=True, hold_at_end=True)
        self.session = Session(str(video), pipeline, options, outputs, on_event=self._event)
        self.thread = threading.Thread(target=self.session.run, daemon=True)

    def _event(self, event) -> None:
        if isinstance(event, OutputStarted) and event.output is self.server:
            self.started.set()
        if isinstance(event, FrameAnalysed):
            self.frames += 1

    def __enter__(self) -> GameSession:
        self.thread.start()
        assert self.started.wait(WAIT_S), "the WebSocket server never started"
        return self

    def __exit__(self, *exc) -> None:
        self.session.stop()
        self.thread.join(WAIT_S)

    @property
    def page(self) -> str:
        """The observer page this session's server answers."""
        return f"http://127.0.0.1:{self.server.port}/"


@pytest.fixture(scope="module")
def game_recording(tmp_path_factory, pipeline) -> dict:
    """talking_head_512.mp4 (25 fps) recorded while a game sends good and bad messages."""
    video = shared_path("videos", "talking_head_512.mp4")
    folder = tmp_path_factory.mktemp("rec")
    with GameSession(video, folder, pipeline) as game, client(game.server.url) as ws:
        assert json.loads(ws.recv(timeout=WAIT_S))["type"] == "header"
        frames = [next_line(ws, lambda line: line["type"] == "frame") for _ in range(30)]
        errors = []
        for bad in (
            "this is not JSON",
            "x" * (MAX_MESSAGE_BYTES + 1),
            json.dumps(["marker"]),
            json.dumps({"type": "calibrate"}),
            json.dumps({"type": "marker", "note": 5}),
            json.dumps({"type": "marker", "note": "n", "time": "now"}),
            json.dumps({"type": "marker", "note": "n", "t_wall": "yesterday"}),
            json.dumps({"type": "marker", "note": "n", "t_wall": "2026-12-01T10:00:00"}),
            json.dumps({"type": "marker", "note": "n", "t_wall": "2001-01-01T00:00:00Z"}),
        ):
            ws.send(bad)
            errors.append(next_line(ws, lambda line: line["type"] == "error"))
        past = frames[5]  # a moment the game saw earlier: placed there, not now
        ws.send(json.dumps({"type": "marker", "note": "boss #2", "t_wall": past["t_wall"]}))
        earlier = next_line(ws, lambda line: line.get("event") == "marker")
        ws.send(json.dumps({"type": "marker", "note": "level 3, start"}))
        now = next_line(ws, lambda line: line.get("event") == "marker")
        # frames on after the markers (clips have some on each side): 4 s of the video
        next_line(ws, lambda line: line["type"] == "frame" and line["frame"] >= 100)
    (timeline,) = folder.glob("session-*.csv")
    return {
        "folder": folder,
        "timeline": timeline,
        "errors": errors,
        "past_frame": past,
        "earlier": earlier,
        "now": now,
    }


def test_a_game_places_markers_and_bad_messages_get_one_line_errors(game_recording):
    lines = [*game_recording["errors"], game_recording["earlier"], game_recording["now"]]
    stream = jsonschema.Draft202012Validator(schemas.load("stream"))
    for line in lines:  # the shipped schema holds the error replies and the game's markers
        stream.validate(line)
    errors = [e["error"] for e in game_recording["errors"]]
    assert errors[0].startswith("not JSON (Expecting value")
    assert errors[1] == f"message too big: at most {MAX_MESSAGE_BYTES} bytes"
    assert errors[2].startswith("send a JSON object")
    assert errors[3] == "unknown message type 'calibrate': only \"marker\" is taken"
    assert errors[4] == "note must be a string"
    assert errors[5].startswith("unknown field 'time'")
    assert "is not an ISO 8601 time" in errors[6]
    assert "has no time zone" in errors[7]
    assert "is before this session started" in errors[8]
    assert all("\n" not in e for e in errors)
    # the session went on: both markers came back to the client, placed where the game said
    past, earlier, now = (game_recording[k] for k in ("past_frame", "earlier", "now"))
    assert earlier["source"] == now["source"] == "websocket"
    assert earlier["t_wall"] == past["t_wall"] and earlier["t_source"] == past["t_source"]
    assert now["note"] == "level 3, start" and now["t_source"] > earlier["t_source"]
    # and the recording has them, source and wall time, in its CSV timeline
    t = read_timeline(game_recording["timeline"])
    got = [(m["note"], m["source"], m["t_wall"]) for m in t["markers"]]
    assert got == [
        ("boss #2", "websocket", past["t_wall"]),
        ("level 3, start", "websocket", now["t_wall"]),
    ]
    rec = open_recording(game_recording["timeline"])
    assert [(m.note, m.source) for m in rec.markers] == [
        ("boss #2", "websocket"),
        ("level 3, start", "websocket"),
    ]
    assert rec.markers[0].frame == past["frame"]


def test_report_of_a_recording_folder_with_a_clip_per_marker(game_recording, tmp_path, capsys):
    folder = game_recording["folder"]
    out = tmp_path / "play" / "report.html"
    out.parent.mkdir()
    assert main(["report", str(folder), "--out", str(out), "--clips", "1"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    page = out.read_text()
    assert out.with_suffix(".svg").read_text().startswith("<svg")
    assert "boss #2 <span class='note'>(websocket)</span>" in page
    assert page.index("boss #2") < page.index("level 3, start")
    clips = sorted((out.parent / "report_clips").glob("*.mp4"))
    assert [c.name for c in clips] == ["marker-01-boss-2.mp4", "marker-02-level-3-start.mp4"]
    for clip in clips:
        assert f"href='report_clips/{clip.name}'" in page
        assert clip.with_suffix(".csv").is_file()
        with av.open(str(clip)) as c:
            assert c.streams.video[0].codec_context.name == "h264"
    # the names given in review are in the report
    side = load_sidecar(game_recording["timeline"])
    side.set_name(open_recording(game_recording["timeline"]).people()[0].id, "Player A")
    from fer_desktop import sidecar

    sidecar.save(game_recording["timeline"], side)
    try:
        assert main(["report", str(game_recording["timeline"]), "--out", str(out)]) == 0
        assert "Player A" in out.read_text()
    finally:
        sidecar.path_for(game_recording["timeline"]).unlink()


def test_report_of_a_folder_with_several_sessions_takes_the_newest(
    game_recording, tmp_path, capsys
):
    folder = tmp_path / "two"
    folder.mkdir()
    old = shutil.copy(game_recording["timeline"], folder / "session-20000101-000000.csv")
    os.utime(old, (946684800, 946684800))
    newest = shutil.copy(game_recording["timeline"], folder / game_recording["timeline"].name)
    (folder / "index.csv").write_text("name,status\n")  # not a timeline
    assert main(["report", str(folder), "--no-thumbnails"]) == 0
    err = capsys.readouterr().err
    assert f"2 sessions in {folder}; reporting the newest: {Path(newest).name}" in err
    assert (folder / f"{Path(newest).stem}_report.html").is_file()


def test_report_of_a_folder_without_a_recording_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"fer-desktop: error: {tmp_path}: no recording here (no fer_desktop "
                   "timeline .csv or .jsonl)"]  # fmt: skip
    assert main(["report", str(tmp_path / "gone")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_clip_plays_at_the_recordings_own_frame_rate_with_labels(game_recording, tmp_path):
    rec = open_recording(game_recording["timeline"])
    assert rec.frame_rate() == pytest.approx(25.0, rel=0.01)
    start = float(rec.times[10])
    end = float(rec.times[74])  # 65 frames: 2.6 s at 25 fps (the old fixed 30 fps: 2.17 s)
    plain, labelled = tmp_path / "plain.mp4", tmp_path / "labelled.mp4"
    assert rec.export_clip(start, end, plain) == 65
    assert rec.export_clip(start, end, labelled, labels=True) == 65
    with av.open(str(plain)) as c:
        stream = c.streams.video[0]
        assert stream.codec_context.name == "h264" and float(stream.average_rate) == 25.0
        times = [float(f.time) for f in c.decode(stream)]
    assert len(times) == 65
    assert times[-1] + 1 / 25 == pytest.approx(2.6, abs=0.01)
    with av.open(str(plain)) as a, av.open(str(labelled)) as b:
        x = next(a.decode(video=0)).to_ndarray(format="bgr24").astype(int)
        y = next(b.decode(video=0)).to_ndarray(format="bgr24").astype(int)
    face = rec.frames[10].faces[0]
    bx, by, bw, _bh = (round(v) for v in face.box)
    edge = np.abs(x[by, bx : bx + bw] - y[by, bx : bx + bw]).mean()  # the box's top edge
    assert edge > 40 and np.abs(x - y).mean() < 10  # the box and label, not a new picture
    rows = (tmp_path / "labelled.csv").read_text().splitlines()
    assert rows[0].startswith("t,t_source,t_wall,frame,face_id") and len(rows) > 60
    last = float(rec.times[-1])
    with pytest.raises(ReviewError, match=rf"past the end of the recording \({last:.2f} s\)"):
        rec.export_clip(last + 5, last + 7, tmp_path / "late.mp4")
    assert not (tmp_path / "late.mp4").exists()


def write_log(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_game_event_log_is_imported_bad_rows_named(game_recording, tmp_path, capsys):
    folder = tmp_path / "rec"
    folder.mkdir()
    timeline = Path(shutil.copy(game_recording["timeline"], folder))
    shutil.copy(game_recording["timeline"].with_suffix(".mkv"), folder)
    before = timeline.read_bytes()
    frames = read_timeline(timeline)["frames"]
    wall = [datetime.fromisoformat(f["t_wall"]) for f in frames]
    z = lambda k: wall[k].astimezone(UTC).isoformat().replace("+00:00", "Z")  # noqa: E731
    log = write_log(
        tmp_path / "game.csv",
        [
            "t_wall,note,level",
            f"{z(20)},door opened,1",
            "yesterday,bad time,1",
            f"{wall[25].replace(tzinfo=None).isoformat()},no zone,1",
            f"{iso_time(wall[0].timestamp() - 3600)},an hour early,1",
            f"{z(30)},too,many,cells",
            f"{wall[40].timestamp()},boss fight,2",
            f'{z(50)},"a note, with a comma",2',
        ],
    )
    events, bad = read_event_log(log)
    assert [e.note for e in events] == [
        "door opened", "an hour early", "boss fight", "a note, with a comma"
    ]  # fmt: skip
    assert [b.split(":")[0] for b in bad] == ["line 3", "line 4", "line 6"]
    result = import_events(timeline, log)
    assert [m.note for m in result.imported] == [
        "door opened",
        "boss fight",
        "a note, with a comma",
    ]
    assert [b.split(":")[0] for b in result.bad] == ["line 3", "line 4", "line 6", "line 5"]
    assert "'yesterday' is not an ISO 8601 time" in result.bad[0]
    assert "has no time zone" in result.bad[1]
    assert "4 cells for 3 columns" in result.bad[2]
    assert "is outside the recording" in result.bad[3]
    assert timeline.read_bytes() == before  # the timeline is never rewritten
    # the markers the session recorded stay; the imported ones join them, by time
    rec = open_recording(timeline)
    assert {(m.note, m.source) for m in rec.markers} == {
        ("boss #2", "websocket"),
        ("door opened", "import"),
        ("boss fight", "import"),
        ("level 3, start", "websocket"),
        ("a note, with a comma", "import"),
    }
    assert [m.t for m in rec.markers] == sorted(m.t for m in rec.markers)
    door = next(m for m in rec.markers if m.note == "door opened")
    assert door.frame == frames[20]["frame"] and door.t_wall == iso_time(wall[20].timestamp())
    # again: nothing twice; through the command, with JSON lines of epoch milliseconds
    assert import_events(timeline, log).already == 3
    jsonl = write_log(
        tmp_path / "game.jsonl",
        [
            json.dumps({"time": round(wall[60].timestamp() * 1000), "event": "lap 2"}),
            "{not json",
            json.dumps({"event": "no time"}),
        ],
    )
    assert main(["report", str(folder), "--import-events", str(jsonl), "--no-thumbnails"]) == 0
    err = capsys.readouterr().err
    assert "game.jsonl: left out line 2: not JSON" in err
    assert "game.jsonl: left out line 3: no time" in err
    assert "game.jsonl: imported 1 markers into" in err
    page = (folder / f"{timeline.stem}_report.html").read_text()
    assert "lap 2 <span class='note'>(import)</span>" in page
    assert "door opened <span class='note'>(import)</span>" in page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_live_follows_a_games_lsl_marker_stream(tmp_path):
    pytest.importorskip("mne_lsl", reason="the [lsl] extra (mne-lsl) is not installed")
    from mne_lsl import lsl

    video = shared_path("videos", "talking_head_512.mp4")
    name = f"game_markers_{os.getpid()}_{time.monotonic_ns() % 100000}"
    outlet = lsl.StreamOutlet(lsl.StreamInfo(name, "Markers", 1, 0.0, "string", name))
    port = free_port()
    live = subprocess.Popen(
        [sys.executable, "-m", "fer_desktop", "live", "--source", str(video), "--loop",
         "--no-stdout", "--serve", f"ws://127.0.0.1:{port}", "--marker-inlet", name,
         "--record", str(tmp_path)],
        cwd=REPO, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    following, serving = threading.Event(), threading.Event()
    err: list[str] = []

    def read_stderr() -> None:
        for line in live.stderr:
            err.append(line)
            if f"following the LSL marker stream {name}" in line:
                following.set()
            if f"output WS ws://127.0.0.1:{port}" in line:
                serving.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        assert following.wait(WAIT_S) and serving.wait(WAIT_S), "".join(err)
        with connect(f"ws://127.0.0.1:{port}", proxy=None, open_timeout=WAIT_S) as ws:
            next_line(ws, lambda line: line["type"] == "frame")
            outlet.push_sample(["level 2"])
            marker = next_line(ws, lambda line: line.get("event") == "marker")
    finally:
        live.send_signal(signal.SIGTERM)
        live.wait(WAIT_S)
    assert marker["note"] == "level 2" and marker["source"] == "lsl"
    (timeline,) = tmp_path.glob("session-*.csv")
    [recorded] = read_timeline(timeline)["markers"]
    assert (recorded["note"], recorded["source"]) == ("level 2", "lsl")
