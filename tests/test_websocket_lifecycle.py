"""The WebSocket server across sessions, as the window uses it: real sessions on the demo
clip, one after another on the same server, with real clients."""

from __future__ import annotations

import json

from websockets.exceptions import ConnectionClosed

from fer_desktop.outputs.websocket import WebSocketOutput
from tests.test_playtest import GameSession, client, next_line


def is_frame(line: dict) -> bool:
    return line["type"] == "frame"


def test_a_server_started_again_after_its_close_serves_clients(tmp_path, demo_video, pipeline):
    """Issue #28: a second session on the same server refused every client (its `_closing`
    flag, set by the first close, was never cleared)."""
    server = WebSocketOutput("ws://127.0.0.1:0")
    with GameSession(demo_video, tmp_path / "a", pipeline, video_too=False, server=server):
        pass
    second = GameSession(demo_video, tmp_path / "b", pipeline, video_too=False, server=server)
    with second, client(server.url) as ws:
        header = json.loads(ws.recv(timeout=30))
        assert header["type"] == "header" and header["source"] == str(demo_video)
        assert next_line(ws, is_frame)["faces"]


def test_a_lasting_servers_client_stays_connected_from_one_session_to_the_next(
    tmp_path, demo_video, pipeline
):
    """The window's server: at a change of source its clients get the end line, then the
    next session's header and frames, on the same connection; `shut_down` says goodbye."""
    server = WebSocketOutput("ws://127.0.0.1:0", lasting=True)
    try:
        with GameSession(demo_video, tmp_path / "a", pipeline, video_too=False, server=server):
            ws = client(server.url).__enter__()
            assert json.loads(ws.recv(timeout=30))["type"] == "header"
            next_line(ws, is_frame)
        assert "settings" in next_line(ws, lambda line: line.get("event") == "end")
        with GameSession(demo_video, tmp_path / "b", pipeline, video_too=False, server=server):
            header = next_line(ws, lambda line: line["type"] == "header")
            assert header["source"] == str(demo_video)
            assert next_line(ws, is_frame)["faces"]
        next_line(ws, lambda line: line.get("event") == "end")
    finally:
        server.shut_down({})
    try:
        while True:
            ws.recv(timeout=30)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 1001
    assert not server._thread.is_alive()
