"""The window's WebSocket stream, offscreen, with real clients: it outlives a change of
source, takes a port and a LAN mode (with a token) that are kept, and a taken port is said
whole."""

from __future__ import annotations

import json
import socket

import pytest

pytest.importorskip("pytestqt")

from websockets.exceptions import ConnectionClosed, InvalidStatus

from fer_desktop.gui.main_window import MainWindow
from tests.helpers import main_window
from tests.test_playtest import client, next_line


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def open_window(qtbot, settings_path) -> MainWindow:
    return main_window(qtbot, settings_path, scripted=True)


def serving(qtbot, port: int) -> None:
    """Wait until the window's session has opened the server on `port`."""

    def accepts() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    qtbot.waitUntil(accepts, timeout=30_000)


def test_a_games_socket_survives_a_change_of_source_and_the_stream_is_kept(
    qtbot, tmp_path, demo_video
):
    """Issue #28: a change of source closed the game's socket. Now it gets the old
    session's end line, then the new header and frames, and its markers land in the new
    session; the switch and the port are there at the next launch."""
    port = free_port()
    w = open_window(qtbot, tmp_path / "s.ini")
    w.set_stream_address(port, lan=False)
    w.start_source(str(demo_video))
    w.ws_box.setChecked(True)
    serving(qtbot, port)
    with client(f"ws://127.0.0.1:{port}") as game:
        assert json.loads(game.recv(timeout=30))["source"] == str(demo_video)
        next_line(game, lambda line: line["type"] == "frame")
        w.change_source("demo")
        next_line(game, lambda line: line.get("event") == "end")
        assert next_line(game, lambda line: line["type"] == "header")["source"] == "demo"
        assert next_line(game, lambda line: line["type"] == "frame")["faces"]
        game.send(json.dumps({"type": "marker", "note": "after the switch"}))
        qtbot.waitUntil(lambda: len(w.chart.markers) == 1, timeout=10_000)
        w.close()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                game.recv(timeout=30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    again = open_window(qtbot, tmp_path / "s.ini")
    assert again.ws_box.isChecked() and again.outputs.ws_port == port
    again.start_source("demo")
    serving(qtbot, port)
    with client(f"ws://127.0.0.1:{port}") as observer:
        assert json.loads(observer.recv(timeout=30))["type"] == "header"
    again.close()


def test_lan_mode_serves_every_interface_with_a_token_and_is_kept(qtbot, tmp_path):
    port = free_port()
    w = open_window(qtbot, tmp_path / "s.ini")
    w.start_source("demo")
    w.ws_box.setChecked(True)
    w.set_stream_address(port, lan=True)
    serving(qtbot, port)
    server = w.outputs.streams["WebSocket"]
    assert server.host == "0.0.0.0" and server.token
    link = w.outputs.observer_link()
    assert link.endswith(f":{port}/?token={server.token}") and "0.0.0.0" not in link
    with pytest.raises(InvalidStatus) as refused, client(f"ws://127.0.0.1:{port}"):
        pass
    assert refused.value.response.status_code == 401
    with client(f"ws://127.0.0.1:{port}/?token={server.token}") as observer:
        assert json.loads(observer.recv(timeout=30))["type"] == "header"
    w.copy_observer_link()
    assert w.statusBar().currentMessage() == f"Copied {link}"
    w.close()
    again = open_window(qtbot, tmp_path / "s.ini")
    assert again.lan_action.isChecked() and again.outputs.ws_url == f"ws://0.0.0.0:{port}"
    again.close()


def test_a_taken_port_is_said_whole_over_the_picture(qtbot, tmp_path):
    """Issue #28: the error was one centred line, cut off at both ends, and the next frame
    wiped it. Now it is wrapped inside the view and stays while frames go on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        w = open_window(qtbot, tmp_path / "s.ini")
        w.resize(640, 600)
        w.set_stream_address(port, lan=False)
        w.start_source("demo")
        qtbot.waitUntil(lambda: w.frames_shown > 0, timeout=60_000)
        w.ws_box.setChecked(True)
        qtbot.waitUntil(lambda: any(str(port) in e for e in w.errors), timeout=30_000)
    assert not w.ws_box.isChecked() and "WebSocket" not in w.outputs.streams
    shown = w.frames_shown
    qtbot.waitUntil(lambda: w.frames_shown > shown + 5, timeout=60_000)  # frames go on
    w.play.setChecked(True)  # a still picture: what the error adds to it can be told apart
    qtbot.wait(500)
    with_error = w.view.grab().toImage()
    w.view.show_alert("")
    w.view.message = ""
    without = w.view.grab().toImage()
    width, height = with_error.width(), with_error.height()

    def changed(x: int, y: int) -> bool:
        return with_error.pixelColor(x, y) != without.pixelColor(x, y)

    drawn = [x for x in range(width) for y in range(0, height, 2) if changed(x, y)]
    assert len(drawn) > 200  # the error is over the picture…
    assert min(drawn) >= 4 and max(drawn) < width - 4  # …and none of it runs off a side
    w.close()
