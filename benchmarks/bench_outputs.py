"""Delivery delay of the LSL and WebSocket outputs, measured by consumers in other processes.

A session analyses talking_head_512.mp4 at its own speed (25 fps) with both outputs on. An
LSL inlet and a WebSocket client each run in a subprocess and note when every frame reaches
them. All clocks are the machine's monotonic clock (time.perf_counter, liblsl's local_clock),
so times compare across processes. Printed, median and p95:
- frame arrival in the session -> received by the consumer (includes the analysis);
- frame handed to the outputs -> received (what the output adds on top of the analysis).

Then the WebSocket server alone, fed synthetic frames at 25 per second for --seconds (30),
with clients in other processes: the websockets client with its default max_queue (16)
reading as fast as it can, 15, 5 and 1 message a second, one with max_queue=2 reading 5 a
second, and one that never reads. Printed: each client's lag while the stream runs (its time
of reading minus the frame's t_wall; median, p95, max), frames read, the drop count it was
told, whether it got the end line and the close code; and how long close() took with all of
them connected.

Then `live` as a rig runs it (`--rig`, also by default): the LSL rate while stdout has a reader
taking 0.1 s a line (rate and longest gap between samples), and SIGTERM to exit with a
WebSocket client reading and one never reading (median of 5 runs).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import machine, shared_video, stats
from fer_desktop.outputs import Output, SessionInfo
from fer_desktop.outputs.lsl import LslOutput
from fer_desktop.outputs.websocket import WebSocketOutput
from fer_desktop.results import FrameResult, TrackedFace, now_iso
from fer_desktop.session import Session, SessionOptions
from fer_desktop.session_messages import FrameAnalysed
from fer_desktop.settings import Settings

FRAMES = 200  # the whole clip (8 s at 25 fps)
LSL_CONSUMER = """
import json, sys, time
from mne_lsl import lsl
info = lsl.resolve_streams(timeout=20, name=sys.argv[1])[0]
inlet = lsl.StreamInlet(info); inlet.open_stream(timeout=10)
print("ready", flush=True)
out = []
end = time.time() + float(sys.argv[2])
while time.time() < end:
    sample, ts = inlet.pull_sample(timeout=0.5)
    if ts is not None:
        out.append([ts, lsl.local_clock()])
json.dump(out, open(sys.argv[3], "w"))
"""
WS_CONSUMER = """
import json, sys, time
from websockets.sync.client import connect
out = {}
with connect(sys.argv[1]) as ws:
    print("ready", flush=True)
    end = time.time() + float(sys.argv[2])
    try:
        while time.time() < end:
            msg = json.loads(ws.recv(timeout=1))
            if msg.get("type") == "frame":
                out[msg["frame"]] = time.perf_counter()
    except Exception:  # the server closed at the end of the session, or silence
        pass
json.dump(out, open(sys.argv[3], "w"))
"""

WS_READER = """
import json, sys, time
from datetime import datetime
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
url, max_queue, pause, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
deadline = time.time() + float(sys.argv[5])
rows, end, code = [], False, "none: the reader gave up"
with connect(url, proxy=None, max_queue=max_queue, close_timeout=1) as ws:
    print("ready", flush=True)
    try:
        while time.time() < deadline:
            msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.time())))
            if msg["type"] == "frame":
                t = datetime.fromisoformat(msg["t_wall"]).timestamp()
                rows.append([time.time() - t, msg.get("dropped_lines", 0), time.time()])
            end = end or msg.get("event") == "end"
            time.sleep(pause)
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        pass
json.dump({"rows": rows, "end": end, "code": code}, open(out, "w"))
"""
WS_CLIENTS = {  # name: (max_queue, seconds between reads); 16 is the library's default
    "reads at once (max_queue=16)": (16, 0.0),
    "reads 15/s (max_queue=16)": (16, 1 / 15),
    "reads 5/s (max_queue=16)": (16, 0.2),
    "reads 1/s (max_queue=16)": (16, 1.0),
    "reads 5/s (max_queue=2)": (2, 0.2),
}
LABELS = ["happy", "neutral", "sad"]


class HandOff(Output):
    """Notes when each frame is handed to the outputs (it runs first in the list)."""

    name = "hand-off"

    def __init__(self):
        self.at: dict[int, float] = {}

    def frame(self, result, bgr) -> None:
        self.at[result.index] = time.perf_counter()


def synthetic_frame(index: int, fps: float) -> FrameResult:
    p = np.array([0.7, 0.2, 0.1])
    face = TrackedFace(1, (10.0, 20.0, 100.0, 120.0), 0.9, p, p, "happy", 0.6)
    return FrameResult(index, index / fps, now_iso(), 640, 480, LABELS, [face])


def stuck_client(host: str, port: int) -> socket.socket:
    """Completes the WebSocket handshake, then never reads."""
    sock = socket.create_connection((host, port))
    sock.sendall(
        f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


def seconds_stats(values_s: list[float]) -> str:
    a = np.asarray(values_s)
    return f"median {np.median(a):5.2f} s  p95 {np.percentile(a, 95):5.2f} s  max {a.max():5.2f} s"


def slow_clients(seconds: float, fps: float = 25.0) -> None:
    """The WebSocket server alone: lag of fast, slow and stuck clients; close() time."""
    tmp = Path(tempfile.mkdtemp())
    output = WebSocketOutput("ws://127.0.0.1:0")
    output.start(SessionInfo("synthetic", LABELS, {}))
    readers = []
    for i, (max_queue, pause) in enumerate(WS_CLIENTS.values()):
        p = subprocess.Popen(
            [
                sys.executable,
                "-c",
                WS_READER,
                output.url,
                str(max_queue),
                str(pause),
                str(tmp / f"{i}.json"),
                str(seconds + 5),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        p.stdout.readline()
        readers.append(p)
    stuck = stuck_client(output.host, output.port)
    time.sleep(0.5)
    t0, sent = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        output.frame(synthetic_frame(sent, fps), None)
        sent += 1
        time.sleep(max(0.0, t0 + sent / fps - time.perf_counter()))
    connected = output.clients
    closed_at = time.time()
    t_close = time.perf_counter()
    output.close({"frames": sent})
    close_s = time.perf_counter() - t_close
    for p in readers:
        p.wait(timeout=30)
    stuck.close()
    print(f"\nWebSocket server alone: {sent} frames at {fps:g}/s for {seconds:g} s")
    print("  (lag of the frames read while the stream ran; read counts all, after it too)")
    for i, name in enumerate(WS_CLIENTS):
        got = json.loads((tmp / f"{i}.json").read_text())
        lags = [lag for lag, _, read in got["rows"] if read < closed_at]
        told = got["rows"][-1][1] if got["rows"] else 0
        print(
            f"  client {name:29} lag {seconds_stats(lags)}   read {len(lags)}, "
            f"told dropped {told}, end line {'yes' if got['end'] else 'no'}, "
            f"close code {got['code']}"
        )
    print(f"  close() with {connected} clients connected (one never reads): {close_s:.2f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="length of the slow-client run")
    ap.add_argument("--ws-only", action="store_true", help="only the WebSocket server run")
    ap.add_argument("--rig", action="store_true", help="only the rig runs (LSL rate, SIGTERM)")
    args = ap.parse_args()
    if args.rig:
        print(f"machine: {machine()}")
        rig_runs()
        return
    if not args.ws_only:
        session_delays()
    else:
        print(f"machine: {machine()}")
    slow_clients(args.seconds)
    if not args.ws_only:
        rig_runs()


SLOW_READER = "import sys, time\nfor line in sys.stdin:\n    time.sleep(0.1)\n"
LIVE = [sys.executable, "-m", "fer_desktop", "live", "--source", "demo"]


def rig_runs() -> None:
    """LSL beside a slow stdout reader; SIGTERM to exit with clients connected."""
    import itertools

    from mne_lsl import lsl

    name = f"fer_rig_bench_{os.getpid()}"
    live = subprocess.Popen(
        [*LIVE, "--lsl", "--name", name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    reader = subprocess.Popen([sys.executable, "-c", SLOW_READER], stdin=live.stdout)
    live.stdout.close()
    inlet = lsl.StreamInlet(lsl.resolve_streams(timeout=60, name=name)[0])
    inlet.open_stream(timeout=10)
    stamps: list[float] = []
    end = time.time() + 15
    while time.time() < end:
        stamps += list(inlet.pull_chunk(timeout=0.2)[1])
    live.terminate()
    live.wait(10)
    reader.kill()
    span = stamps[-1] - stamps[0]
    gap = max(b - a for a, b in itertools.pairwise(stamps))
    print(
        f"LSL beside a stdout reader taking 0.1 s a line: {len(stamps) / span:.1f} samples/s "
        f"(source 30 fps), longest gap {gap:.2f} s"
    )
    times = [sigterm_to_exit() for _ in range(5)]
    print(
        f"SIGTERM to exit, a WebSocket client reading and one never reading: {seconds_stats(times)}"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def sigterm_to_exit() -> float:
    from websockets.sync.client import connect

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = subprocess.Popen(
        [*LIVE, "--no-stdout", "--serve", f"ws://127.0.0.1:{port}"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    live.stderr.readline()  # the start-up line: the server is up
    stuck = stuck_client("127.0.0.1", port)
    with connect(f"ws://127.0.0.1:{port}", max_queue=2) as ws:
        ws.recv(timeout=10)
        t0 = time.perf_counter()
        live.terminate()
        live.wait(30)
        took = time.perf_counter() - t0
    stuck.close()
    return took


def session_delays() -> None:
    video = shared_video("talking_head_512.mp4")
    tmp = Path(tempfile.mkdtemp())
    name = f"fer_bench_{os.getpid()}"
    handoff, lsl_out, ws_out = HandOff(), LslOutput(name=name), WebSocketOutput("ws://127.0.0.1:0")
    arrival: dict[int, float] = {}
    consumers: list[subprocess.Popen] = []
    seconds = FRAMES / 25 + 15

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed):
            arrival[event.result.index] = event.t_arrival
            if len(arrival) == 1:  # outlets and server are up: start the consumers
                for code, arg, out in (
                    (LSL_CONSUMER, name, tmp / "lsl.json"),
                    (WS_CONSUMER, ws_out.url, tmp / "ws.json"),
                ):
                    p = subprocess.Popen(
                        [sys.executable, "-c", code, arg, str(seconds), str(out)],
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                    p.stdout.readline()
                    consumers.append(p)

    options = SessionOptions(realtime=True, max_frames=FRAMES)
    Session.from_settings(
        str(video), Settings(), options, [handoff, lsl_out, ws_out], on_event=on_event
    ).run()
    for p in consumers:
        p.wait()
    ws = {int(k): v for k, v in json.loads((tmp / "ws.json").read_text()).items()}
    lsl = json.loads((tmp / "lsl.json").read_text())
    print(f"machine: {machine()}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"frames analysed {len(arrival)}, WebSocket received {len(ws)}, LSL received {len(lsl)}")
    common = [i for i in ws if i in arrival]
    print(
        "WebSocket, arrival -> received:     " + stats([(ws[i] - arrival[i]) * 1e3 for i in common])
    )
    print(
        "WebSocket, hand-off -> received:    "
        + stats([(ws[i] - handoff.at[i]) * 1e3 for i in common])
    )
    print("LSL, pushed (hand-off) -> received: " + stats([(r - t) * 1e3 for t, r in lsl]))


if __name__ == "__main__":
    main()
