"""The shipped JSON Schemas: valid schemas, and every line each output writes fits them."""

import io
import json
import threading

import jsonschema
import pytest
from referencing import Registry, Resource

from fer_desktop import schemas
from fer_desktop.outputs.stdout import JsonLinesOutput
from fer_desktop.outputs.websocket import WebSocketOutput
from fer_desktop.session import (
    AddMarker,
    ChangeSettings,
    FrameAnalysed,
    Seek,
    Session,
    SessionOptions,
)
from fer_desktop.settings import Settings
from fer_desktop.timeline import open_timeline

STREAM, TIMELINE = schemas.load("stream"), schemas.load("timeline")
REGISTRY = Registry().with_resources(
    [(s["$id"], Resource.from_contents(s)) for s in (STREAM, TIMELINE)]
)


def validator(schema: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema, registry=REGISTRY)


def test_the_schemas_are_valid_json_schemas():
    for schema in (STREAM, TIMELINE):
        jsonschema.Draft202012Validator.check_schema(schema)


def test_a_face_without_its_probabilities_does_not_fit():
    frame = {"type": "frame", "frame": 0, "t_source": 0.0, "t_wall": "2026-01-01T00:00:00Z",
             "size": [640, 480], "timings_ms": {}, "faces": [{"face_id": 1}]}  # fmt: skip
    assert not validator(STREAM).is_valid(frame)


@pytest.fixture(scope="module")
def every_output(demo_video, tmp_path_factory):
    """One session over a real video into stdout, a JSONL timeline and a WebSocket client,
    with a marker, a model change, a seek and calibration along the way."""
    from websockets.sync.client import connect

    folder = tmp_path_factory.mktemp("schema")
    stdout = io.StringIO()
    server = WebSocketOutput("ws://127.0.0.1:0")
    timeline = open_timeline(folder / "t.jsonl", "jsonl")
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

    commands = {
        2: [AddMarker("boss fight")],
        10: [ChangeSettings(Settings(calibrate_s=0.5, model="2class"))],
        20: [Seek(0.2)],
    }
    count = [0]

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed):
            count[0] += 1
            if count[0] == 1:
                threading.Thread(target=client, daemon=True).start()
                joined.wait(10)
            for command in commands.get(count[0], []):
                session.send(command)

    outputs = [JsonLinesOutput(stdout), server, timeline]
    options = SessionOptions(realtime=False, max_frames=40)
    session = Session.from_settings(
        str(demo_video), Settings(calibrate_s=0.5), options, outputs, on_event
    )
    session.run()
    lines = {
        "stdout": stdout.getvalue().splitlines(),
        "websocket": received,
        "timeline": (folder / "t.jsonl").read_text().splitlines(),
    }
    return {name: [json.loads(x) for x in got] for name, got in lines.items()}


@pytest.mark.parametrize("output", ["stdout", "websocket", "timeline"])
def test_every_line_an_output_writes_fits_its_schema(every_output, output):
    check = validator(TIMELINE if output == "timeline" else STREAM)
    lines = every_output[output]
    assert len(lines) > 20
    for line in lines:
        errors = [e.message for e in check.iter_errors(line)]
        assert not errors, (line, errors[:3])
    events = {x.get("event") for x in lines if x.get("type") == "event"}
    assert {"marker", "setting", "seek", "calibration"} <= events
    if output != "timeline":
        assert lines[0]["type"] == "header" and events >= {"labels", "end"}
