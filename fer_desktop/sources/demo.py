"""The built-in demo: a real face moved and zoomed like a hand-held camera."""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.sources.frames import Frame, FrameSource, SourceError
from fer_desktop.sources.images import read_image

PORTRAIT = "grace_hopper.jpg"


def demo_portrait_path() -> Path:
    """Grace Hopper's portrait (a real face, shipped on PyPI in matplotlib's sample data): the
    copy the desktop bundle carries in fer_desktop/demo/, else matplotlib's own, found
    without importing matplotlib (0.3 s)."""
    bundled = Path(__file__).resolve().parents[1] / "demo" / PORTRAIT
    if bundled.is_file():
        return bundled
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "mpl-data" / "sample_data" / PORTRAIT
        if path.is_file():
            return path
    raise SourceError("the demo needs its portrait: pip install matplotlib")


def demo_portrait() -> np.ndarray:
    """The demo's face as a BGR image."""
    return read_image(demo_portrait_path())


class DemoSource(FrameSource):
    """A real face moved and zoomed over time like a hand-held camera, at `fps`.

    `realtime` paces frames at `fps`; `duration` (seconds) ends the source, None loops forever.
    """

    name = "demo"
    live = True

    def __init__(
        self,
        width: int = 640,
        height: int = 480,
        fps: float = 30.0,
        duration: float | None = None,
        realtime: bool = True,
    ):
        self.size = (width, height)
        self.fps = fps
        self.duration = duration
        self.realtime = realtime
        self._portrait = demo_portrait()
        self._stop = threading.Event()

    def render(self, t: float) -> np.ndarray:
        """The demo frame at time t: a slow pan and zoom over the portrait."""
        w, h = self.size
        ph, pw = self._portrait.shape[:2]
        zoom = 1.0 + 0.25 * math.sin(2 * math.pi * t / 9.0)
        scale = max(w / pw, h / ph) * 1.05 * zoom
        dx = 0.08 * w * math.sin(2 * math.pi * t / 7.0)
        dy = 0.05 * h * math.sin(2 * math.pi * t / 5.0)
        m = np.array(
            [[scale, 0, w / 2 - scale * pw / 2 + dx], [0, scale, h / 2 - scale * ph * 0.45 + dy]]
        )
        return cv2.warpAffine(self._portrait, m, (w, h), borderMode=cv2.BORDER_REFLECT)

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        while not self._stop.is_set():
            t = index / self.fps
            if self.duration is not None and t >= self.duration:
                return
            if self.realtime:
                delay = start + t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield Frame(index, t, self.render(t), time.time())
            index += 1

    def close(self) -> None:
        self._stop.set()
