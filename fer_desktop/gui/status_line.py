"""The live window's status line: frame rate, stage times, faces, model and outputs."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from fer_desktop.results import FrameResult


def frame_rate(times: deque[float]) -> float:
    """Frames per second over the times frames were shown (perf_counter); 0 when nothing was
    shown for 2 s (the times are then forgotten)."""
    if times and time.perf_counter() - times[-1] > 2.0:  # nothing shown lately: no fps
        times.clear()
    if len(times) > 1 and times[-1] > times[0]:
        return (len(times) - 1) / (times[-1] - times[0])
    return 0.0


def status_text(
    fps: float, result: FrameResult | None, model: object, dropped: int, outputs: Iterable[str]
) -> str:
    """'12.0 fps | detect 8.1 ms | classify 0.52 ms | faces 1 | model … | not drawn 0 | …'."""
    det = f"{result.timings_ms.get('detect', 0):.1f}" if result else "–"
    cls = f"{result.timings_ms.get('classify', 0):.2f}" if result else "–"
    faces = len(result.faces) if result else 0
    return (
        f"{fps:4.1f} fps | detect {det} ms | classify {cls} ms | faces {faces} | "
        f"model {model} | not drawn {dropped}" + "".join(f" | {o}" for o in outputs)
    )
