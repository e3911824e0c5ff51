"""The eyes-and-head measures in every output, from real sessions on the talking-head clip
with the face mesh on: timeline columns (CSV, JSONL) read back by read_timeline and the typed
Recording, stdout and WebSocket lines fitting the shipped schemas, LSL channels per face slot
read by a real inlet, and `predict --json`. Older timelines (version 3, written here by hand)
are still read; a face too small for the mesh has empty measures and its reason."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import threading

import av
import cv2
import numpy as np
import pytest

from fer_desktop import measure_columns
from fer_desktop.outputs.stdout import JsonLinesOutput
from fer_desktop.outputs.websocket import WebSocketOutput
from fer_desktop.recording import read_recording
from fer_desktop.session import FrameAnalysed, OutputStarted, Session, SessionOptions
from fer_desktop.settings import Settings
from fer_desktop.timeline import VERSION, face_row, open_timeline, read_timeline
from tests.conftest import REPO, write_av_video
from tests.test_schema import STREAM, TIMELINE, validator

FRAMES = 40
MESH_KEYS = {"presence", "head_pose_deg", "eye_openness", "mouth_opening", "gaze_eye_widths",
             "reason"}  # fmt: skip


def run(source, settings: Settings, outputs: list, frames: int = FRAMES, on_event=None) -> list:
    """A real session on `source` into `outputs`: the FrameResults it analysed."""
    results = []

    def listen(event) -> None:
        if on_event is not None:
            on_event(event)
        if isinstance(event, FrameAnalysed):
            results.append(event.result)

    opts = SessionOptions(realtime=False, max_frames=frames)
    Session.from_settings(str(source), settings, opts, outputs, on_event=listen).run()
    return results


@pytest.fixture(scope="module")
def eyes_session(face_video, tmp_path_factory):
    """The talking-head clip with --mesh eyes into stdout, a WebSocket client and both
    timelines: what each wrote, and the session's own results."""
    from websockets.sync.client import connect

    folder = tmp_path_factory.mktemp("measures")
    stdout = io.StringIO()
    server = WebSocketOutput("ws://127.0.0.1:0")
    received: list[str] = []
    joined = threading.Event()

    def client() -> None:
        with connect(server.url, open_timeout=10) as ws:
            joined.set()
            try:
                while True:
                    received.append(ws.recv(timeout=10))
            except Exception:
                return

    def on_event(event) -> None:
        if isinstance(event, OutputStarted) and event.output is server:
            threading.Thread(target=client, daemon=True).start()
            joined.wait(10)

    outputs = [
        JsonLinesOutput(stdout),
        server,
        open_timeline(folder / "t.csv", "csv"),
        open_timeline(folder / "t.jsonl", "jsonl"),
    ]
    results = run(face_video, Settings(mesh="eyes"), outputs, on_event=on_event)
    return {
        "results": results,
        "stdout": [json.loads(x) for x in stdout.getvalue().splitlines()],
        "websocket": [json.loads(x) for x in received],
        "csv": folder / "t.csv",
        "jsonl": folder / "t.jsonl",
    }


def frame_lines(lines: list[dict]) -> list[dict]:
    return [x for x in lines if x.get("type") == "frame"]


@pytest.mark.parametrize("output", ["stdout", "websocket"])
def test_stream_lines_carry_keypoints_and_measures_and_fit_the_schema(eyes_session, output):
    lines = eyes_session[output]
    check = validator(STREAM)
    for line in lines:
        errors = [e.message for e in check.iter_errors(line)]
        assert not errors, (line, errors[:3])
    frames = frame_lines(lines)
    assert len(frames) >= FRAMES - 5  # the client joins at the first output's start
    faces = [f for x in frames for f in x["faces"]]
    assert faces and all(len(f["keypoints"]) == 6 for f in faces)
    for f in faces:
        mesh = f["mesh"]
        assert mesh["presence"] > 0.5 and mesh["reason"] is None
        pose = mesh["head_pose_deg"]
        assert all(abs(pose[k]) < 30 for k in ("yaw", "pitch", "roll"))  # a frontal talker
        assert 0.15 < mesh["eye_openness"]["right"] < 0.5
        assert abs(mesh["gaze_eye_widths"]["x"]) < 0.3
    header = lines[0]
    assert header["type"] == "header" and header["schema"] == 4


def test_a_line_with_a_bad_measure_does_not_fit_the_schema(eyes_session):
    line = json.loads(json.dumps(frame_lines(eyes_session["stdout"])[0]))
    line["faces"][0]["mesh"]["eye_openness"] = {"right": "open"}
    assert not validator(STREAM).is_valid(line)


def test_timelines_have_the_measure_columns_and_read_back_the_streams_values(eyes_session):
    stream = {x["frame"]: x["faces"] for x in frame_lines(eyes_session["stdout"])}
    for which in ("csv", "jsonl"):
        parsed = read_timeline(eyes_session[which])
        assert parsed["header"]["version"] == VERSION == 5
        assert len(parsed["faces"]) == len(stream)
        for face in parsed["faces"]:
            written = stream[face["frame"]][0]
            # the same values, rounded alike (CSV: the measures of its columns)
            assert face["mesh"] == {k: written["mesh"][k] for k in face["mesh"]}, which
            assert set(face["mesh"]) >= MESH_KEYS
            assert "keypoints" not in face  # timelines leave them out
            row = face_row(face, ["happy", "neutral", "sad"])
            assert row["yaw"] == written["mesh"]["head_pose_deg"]["yaw"]
            assert row["eye_open_left"] == written["mesh"]["eye_openness"]["left"]
            assert row["mesh_reason"] is None
    header_row = eyes_session["csv"].read_text().splitlines()[1].split(",")
    n = len(measure_columns.COLUMNS)
    assert header_row[-n - 1 : -1] == list(measure_columns.COLUMNS) and header_row[-1] == "note"


def test_jsonl_timeline_rows_fit_the_timeline_schema(eyes_session):
    check = validator(TIMELINE)
    lines = [json.loads(x) for x in eyes_session["jsonl"].read_text().splitlines()]
    for line in lines:
        errors = [e.message for e in check.iter_errors(line)]
        assert not errors, (line, errors[:3])
    assert sum("mesh" in x for x in lines) == FRAMES


def test_the_recording_gives_the_measures_typed(eyes_session):
    rec = read_recording(eyes_session["csv"], edits=False)
    assert rec.has_mesh
    m = rec.measures
    assert set(m) == set(measure_columns.COLUMNS)
    assert all(len(v) == len(rec.faces) == FRAMES for v in m.values())
    assert np.isfinite(m["yaw"]).all() and np.isfinite(m["gaze_x"]).all()
    assert (m["mesh_reason"] == "").all()
    faces = [f for r in rec.frame_results() for f in r.faces]
    mine = [f for r in eyes_session["results"] for f in r.faces]
    for read, live in zip(faces, mine, strict=True):
        assert read.measures.pose.yaw == pytest.approx(live.measures.pose.yaw, abs=0.051)
        assert read.measures.eye_openness == pytest.approx(live.measures.eye_openness, abs=5e-4)
        assert read.presence == pytest.approx(live.presence, abs=5e-4)


def test_mesh_face_leaves_gaze_empty_and_says_why_and_mesh_off_leaves_every_column_empty(
    face_video, tmp_path
):
    run(face_video, Settings(mesh="face"), [open_timeline(tmp_path / "face.csv", "csv")], 12)
    run(face_video, Settings(), [open_timeline(tmp_path / "off.csv", "csv")], 12)
    face = read_recording(tmp_path / "face.csv", edits=False).measures
    assert np.isfinite(face["pitch"]).all() and np.isnan(face["gaze_y"]).all()
    assert set(face["mesh_reason"]) == {"no gaze: iris model off or missing"}
    off = read_recording(tmp_path / "off.csv", edits=False)
    assert not off.has_mesh and len(off.faces) == 12
    assert all(np.isnan(off.measures[c]).all() for c in measure_columns.NUMBERS)
    rows = [r for r in off.path.read_text().splitlines()[2:] if r.startswith("face,")]
    assert all(r.endswith("," * 11) for r in rows)  # ten empty measures and an empty note


@pytest.fixture(scope="module")
def tiny_face_video(face_video, tmp_path_factory) -> str:
    """The talking head shrunk to a face of about 40 px on a 320x240 frame: found by the
    detector, too small for the mesh's measures."""
    frames = []
    with av.open(str(face_video)) as container:
        for i, f in enumerate(container.decode(video=0)):
            small = cv2.resize(f.to_ndarray(format="bgr24"), None, fx=0.15, fy=0.15)
            canvas = np.zeros((240, 320, 3), np.uint8)
            canvas[60 : 60 + small.shape[0], 100 : 100 + small.shape[1]] = small
            frames.append(canvas)
            if i == 14:
                break
    return str(write_av_video(tmp_path_factory.mktemp("tiny") / "tiny.mp4", frames))


def test_a_face_too_small_has_empty_measures_with_the_reason_in_the_row(tiny_face_video, tmp_path):
    out = open_timeline(tmp_path / "tiny.csv", "csv")
    run(tiny_face_video, Settings(mesh="eyes"), [out], 15)
    rec = read_recording(tmp_path / "tiny.csv", edits=False)
    assert len(rec.faces) >= 10
    m = rec.measures
    assert all(np.isnan(m[c]).all() for c in measure_columns.NUMBERS)  # presence too:
    # a face under the measures' minimum width gets no mesh run at all
    assert all(r.startswith("face too small:") for r in m["mesh_reason"])
    assert all(f["mesh"]["head_pose_deg"] is None for f in rec.faces)


V3_COLUMNS = (
    "kind,t_source,t_wall,frame,face_id,x,y,w,h,score,p_happy,p_neutral,p_sad,p_happy_smooth,"
    "p_neutral_smooth,p_sad_smooth,p_happy_cal,p_neutral_cal,p_sad_cal,cal,label,valence,note"
)
V3_HEADER = {
    "type": "header",
    "format": "fer_desktop timeline",
    "version": 3,
    "created": "2026-05-01T10:00:00.000000+00:00",
    "columns": V3_COLUMNS.split(","),
    "labels": ["happy", "neutral", "sad"],
    "source": "old.mp4",
    "settings": {"model_sha256": "ab", "app_version": "0.1.0"},
}
V3_SUMMARY = {"type": "summary", "closed": "2026-05-01T10:00:01.000000+00:00", "frames": 2,
              "face_rows": 2, "markers": 1, "duration_s": 0.04}  # fmt: skip
T0, T1 = "2026-05-01T10:00:00.100000+00:00", "2026-05-01T10:00:00.140000+00:00"
V3_ROWS = [  # as version 3 wrote them: no measure columns
    f"frame,0.0000,{T0},0,{',' * 17},1",
    f"face,0.0000,{T0},0,1,10.0,20.0,100.0,100.0,0.900,0.7000,0.2000,0.1000,"
    "0.7000,0.2000,0.1000,,,,,happy,0.6000,",
    f'marker,0.0200,2026-05-01T10:00:00.120000+00:00,{"," * 17}window,,"lap, 1"',
    f"frame,0.0400,{T1},1,{',' * 17},1",
    f"face,0.0400,{T1},1,1,11.0,20.0,100.0,100.0,0.910,0.6000,0.3000,0.1000,"
    "0.6600,0.2400,0.1000,,,,,happy,0.5600,",
]


def v3_csv() -> str:
    """A version 3 CSV timeline, written by hand as that version wrote them."""
    summary = io.StringIO()
    row = ["summary", "", V3_SUMMARY["closed"], *[""] * 19, json.dumps(V3_SUMMARY)]
    csv.writer(summary, lineterminator="\n").writerow(row)
    lines = ["# " + json.dumps(V3_HEADER), V3_COLUMNS, *V3_ROWS]
    return "\n".join(lines) + "\n" + summary.getvalue()


def test_a_version_3_timeline_written_by_hand_is_still_read(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(v3_csv())
    assert {len(r) for r in csv.reader(io.StringIO(v3_csv().split("\n", 1)[1]))} == {23}
    parsed = read_timeline(path)
    assert parsed["header"]["version"] == 3
    assert [f["valence"] for f in parsed["faces"]] == [0.6, 0.56]
    assert all("mesh" not in f for f in parsed["faces"])
    assert parsed["markers"][0]["note"] == "lap, 1" and parsed["markers"][0]["source"] == "window"
    assert parsed["summary"]["frames"] == 2
    rec = read_recording(path, edits=False)
    assert not rec.has_mesh and math.isnan(rec.measures["yaw"][1])
    assert [f.measures for r in rec.frame_results() for f in r.faces] == [None, None]
    row = face_row(parsed["faces"][0], ["happy", "neutral", "sad"])
    assert row["p_happy"] == 0.7 and row["yaw"] is None and row["mesh_reason"] is None
    jsonl = tmp_path / "old.jsonl"  # the same file as JSONL (version 3: no mesh)
    jsonl.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {**parsed["header"], "type": "header"},
                *parsed["frames"],
                *parsed["faces"],
                parsed["summary"],
            ]
        )
        + "\n"
    )
    assert read_recording(jsonl, edits=False).measures["pitch"].shape == (2,)


def test_markers_keep_their_source_beside_the_new_columns(face_video, tmp_path):
    from fer_desktop.session import AddMarker

    out = open_timeline(tmp_path / "m.csv", "csv")
    session_box: list[Session] = []

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed) and event.result.index == 2:
            session_box[0].send(AddMarker("lap 1"))

    opts = SessionOptions(realtime=False, max_frames=6)
    session = Session.from_settings(str(face_video), Settings(mesh="face"), opts, [out], on_event)
    session_box.append(session)
    session.run()
    markers = read_timeline(tmp_path / "m.csv")["markers"]
    assert [(m["note"], m["source"]) for m in markers] == [("lap 1", "window")]


def test_predict_json_with_the_mesh_has_the_measures(tmp_path):
    from skimage import data

    image = tmp_path / "astronaut.png"
    cv2.imwrite(str(image), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "predict", str(image), "--json", "--mesh", "eyes"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    (face,) = json.loads(out.stdout.splitlines()[0])["faces"]
    mesh = face["mesh"]
    schema = validator({"$ref": "fer_desktop/stream.schema.json#/$defs/mesh"})
    assert not [e.message for e in schema.iter_errors(mesh)]  # the stream's own mesh record
    assert abs(mesh["head_pose_deg"]["yaw"]) < 30 and mesh["eye_openness"]["right"] > 0.2


@pytest.mark.slow
def test_lsl_carries_each_slots_measures_labelled_in_the_stream_info(face_video):
    """A real inlet on the frame stream of a --mesh eyes session: each slot's measure
    channels are named, typed and given units in the stream info, and carry the frame's
    measures (NaN in the empty slot)."""
    pytest.importorskip("mne_lsl", reason="the [lsl] extra (mne-lsl) is not installed")
    from fer_desktop.outputs.lsl import CHANNELS, MEASURE_CHANNELS, LslOutput
    from tests.test_outputs import lsl_frames

    output = LslOutput(slots=2, name=f"fer_measures_{os.getpid()}")
    info: dict = {}
    results, received = lsl_frames(output, face_video, 30, Settings(mesh="eyes"), info)
    sinfo = info["sinfo"]
    names = sinfo.get_channel_names()
    first = 3 + 2 * len(CHANNELS)  # the measures follow every slot's expression channels
    assert sinfo.n_channels == first + 2 * len(MEASURE_CHANNELS) == len(names)
    assert names[first : first + 3] == ["face1_yaw", "face1_pitch", "face1_roll"]
    assert names[-1] == "face2_au_eye_closure"
    assert sinfo.get_channel_units()[-1] == "iod"
    assert sinfo.get_channel_units()[first] == "deg"
    assert sinfo.get_channel_types()[first + 3] == "eye"
    assert len(received) == len(results) == 30
    by_name = [dict(zip(names, sample, strict=True)) for sample, _ in received]
    for got, result in zip(by_name, results, strict=True):
        (face,) = result.faces
        assert got["face1_id"] == face.id
        assert got["face1_yaw"] == pytest.approx(face.measures.pose.yaw, abs=0.051)
        assert got["face1_eye_open_left"] == pytest.approx(face.measures.eye_openness[1], abs=5e-4)
        assert got["face1_gaze_x"] == pytest.approx(face.measures.gaze[0], abs=5e-4)
        assert got["face1_mesh_presence"] > 0.5
        assert math.isnan(got["face1_au_lip_corner_pull"])  # no resting face: no proxies
        assert all(math.isnan(got[f"face2_{c}"]) for c in MEASURE_CHANNELS)
