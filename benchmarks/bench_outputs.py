"""Delivery delay of the LSL and WebSocket outputs, measured by consumers in other processes.

A session analyses talking_head_512.mp4 at its own speed (25 fps) with both outputs on. An
LSL inlet and a WebSocket client each run in a subprocess and note when every frame reaches
them. All clocks are the machine's monotonic clock (time.perf_counter, liblsl's local_clock),
so times compare across processes. Printed, median and p95:
- frame arrival in the session -> received by the consumer (includes the analysis);
- frame handed to the outputs -> received (what the output adds on top of the analysis).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, shared_video, stats
from fer_desktop.outputs import Output
from fer_desktop.outputs.lsl import LslOutput
from fer_desktop.outputs.websocket import WebSocketOutput
from fer_desktop.session import FrameAnalysed, Session, SessionOptions
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


class HandOff(Output):
    """Notes when each frame is handed to the outputs (it runs first in the list)."""

    name = "hand-off"

    def __init__(self):
        self.at: dict[int, float] = {}

    def frame(self, result, bgr) -> None:
        self.at[result.index] = time.perf_counter()


def main() -> None:
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
    Session(str(video), Settings(), options, [handoff, lsl_out, ws_out], on_event=on_event).run()
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
