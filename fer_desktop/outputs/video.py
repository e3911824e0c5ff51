"""Records the analysed frames as a Matroska (MJPEG) video beside the timeline.

The k-th video frame is the k-th "frame" row of the timeline recorded with it, and its
timestamp is that frame's source time (kept increasing). PyAV writes each packet through to
the file at once (`flush_packets`) in clusters of at most half a second, so a recording cut
short by `kill -9` or a power cut plays up to the last frame written: measured in
tests/test_outputs.py.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.outputs import Output, OutputError, SessionInfo
from fer_desktop.results import FrameResult

CONTAINER_OPTIONS = {"flush_packets": "1", "cluster_time_limit": "500"}
TIME_BASE = Fraction(1, 1000)


class VideoOutput(Output):
    name = "video"

    def __init__(self, path: Path, quality: int = 6):
        self.path = Path(path)
        self.quality = quality  # MJPEG qscale: 2 best … 31 worst
        self.frames = 0
        self._container = None
        self._stream = None
        self._size: tuple[int, int] | None = None
        self._last_pts = -1

    def start(self, info: SessionInfo) -> None:
        try:
            import av
        except ImportError as exc:
            raise OutputError("recording video needs PyAV: pip install av") from exc
        self._av = av
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(
                str(self.path), "w", format="matroska", options=CONTAINER_OPTIONS
            )
        except (OSError, av.FFmpegError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from exc

    def _open_stream(self, width: int, height: int) -> None:
        stream = self._container.add_stream("mjpeg", rate=30)
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuvj420p"
        stream.time_base = stream.codec_context.time_base = TIME_BASE  # pts in milliseconds
        stream.codec_context.qmin = stream.codec_context.qmax = self.quality
        self._stream, self._size = stream, (stream.width, stream.height)

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        if self._container is None:
            return
        h, w = bgr.shape[:2]
        if self._stream is None:
            self._open_stream(w, h)
        if (w, h) != self._size:
            bgr = cv2.resize(bgr, self._size, interpolation=cv2.INTER_AREA)
        frame = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(bgr), format="bgr24")
        pts = max(self._last_pts + 1, round(result.t_source * 1000))
        frame.pts, frame.time_base, self._last_pts = pts, TIME_BASE, pts
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (OSError, self._av.FFmpegError) as exc:
            raise OutputError(f"writing {self.path} failed: {exc}") from exc
        self.frames += 1

    def close(self, summary: dict) -> None:
        """Finish the file and let go of the encoder: its threads end with the stream."""
        container, self._container = self._container, None
        stream, self._stream = self._stream, None
        if container is None:
            return
        try:
            if stream is not None:
                for packet in stream.encode(None):
                    container.mux(packet)
        finally:
            container.close()

    @property
    def state(self) -> str:
        return f"video {self.path.name}"
