"""A paused session: the processor time its thread takes while nothing plays, and how long a
marker sent meanwhile waits to be placed (a paused session waits on its command queue).

Each run plays the built-in demo, pauses it, measures the session thread's CPU time for
`--seconds` with nothing sent, then places markers one after another for as long. Prints
medians over the runs, with the machine's load.

    python -m benchmarks.bench_pause [--runs 5] [--seconds 3]
"""

from __future__ import annotations

import argparse
import queue
import statistics
import threading
import time

from benchmarks.common import machine
from fer_desktop.session import Session, SessionOptions
from fer_desktop.session_messages import FrameAnalysed, MarkerPlaced, Pause
from fer_desktop.settings import Settings


def paused_run(seconds: float) -> tuple[float, float]:
    """(CPU ms the session thread used per second paused, median ms a marker waited)."""
    events: queue.Queue = queue.Queue()
    session = Session.from_settings("demo", Settings(), SessionOptions(), on_event=events.put)
    thread = threading.Thread(target=session.run, daemon=True)
    thread.start()
    while not isinstance(events.get(timeout=120), FrameAnalysed):
        pass
    session.send(Pause(True))
    while not session.paused:
        time.sleep(0.01)
    time.sleep(0.2)  # the frame in hand is done; the loop is in its pause
    clock = time.pthread_getcpuclockid(thread.ident)
    cpu0, t0 = time.clock_gettime(clock), time.perf_counter()
    time.sleep(seconds)  # nothing sent: what waiting costs
    cpu = (time.clock_gettime(clock) - cpu0) / (time.perf_counter() - t0)
    waits, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        sent = time.perf_counter()
        session.inbound_marker("bench", "bench")
        while not isinstance(events.get(timeout=10), MarkerPlaced):
            pass
        waits.append((time.perf_counter() - sent) * 1000)
        time.sleep(0.05)
    session.stop()
    thread.join(30)
    return cpu * 1000, statistics.median(waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(machine())
    runs = [paused_run(args.seconds) for _ in range(args.runs)]
    cpu, wait = zip(*runs, strict=True)
    print(
        f"paused: session thread CPU median {statistics.median(cpu):.2f} ms per second; "
        f"a marker placed after median {statistics.median(wait):.2f} ms (n={args.runs} runs)"
    )
    print(machine().split("; ")[1])  # the load after


if __name__ == "__main__":
    main()
