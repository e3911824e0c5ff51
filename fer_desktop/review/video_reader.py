"""Random access to a video's frames by number, for review."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fer_desktop.probe import NoVideoStream, upright, video_stream
from fer_desktop.review.errors import ReviewError


class VideoReader:
    """Random access to a video's frames by number, in presentation order.

    The packets' timestamps are listed once (no decoding); a jump seeks to the key frame
    before the one wanted and decodes up to it, so it is exact however the video is timed
    (a recording with a seek in it has timestamps 1 ms apart). Reading on decodes on.
    """

    def __init__(self, path: Path):
        import av

        self._av = av
        try:
            self.container = av.open(str(path))
            self.stream = video_stream(self.container, path)
            self.pts = sorted(p.pts for p in self.container.demux(self.stream) if p.pts is not None)
        except NoVideoStream as exc:
            self.container.close()
            raise ReviewError(str(exc)) from None
        except (OSError, av.FFmpegError) as exc:
            raise ReviewError(f"{path}: not a video that can be read") from exc
        if not self.pts:
            raise ReviewError(f"{path}: video has no frames")
        start = self.stream.start_time or 0
        self.seconds = np.array([(p - start) * self.stream.time_base for p in self.pts], float)
        self.next = -1
        self._decoded = None

    def __len__(self) -> int:
        return len(self.pts)

    def index_near(self, t: float) -> int:
        """The frame nearest to `t` seconds of the video's own time."""
        i = int(np.searchsorted(self.seconds, t))
        near = [j for j in (i - 1, i) if 0 <= j < len(self.pts)]
        return min(near, key=lambda j: abs(self.seconds[j] - t))

    def read(self, index: int) -> np.ndarray | None:
        """Frame `index` as BGR, or None past the end or when it cannot be decoded."""
        if not 0 <= index < len(self.pts):
            return None
        target = self.pts[index]
        jumped = index != self.next or self._decoded is None
        tries = (target, self.pts[0]) if jumped else (None,)
        for n, seek_to in enumerate(tries):
            if seek_to is not None:
                self.container.seek(seek_to, stream=self.stream, backward=True, any_frame=False)
                self._decoded = self.container.decode(self.stream)
            frame = self._decode_to(target)
            # past the frame: a seek that landed too late (no index); then from the start
            if frame is not None and (frame.pts == target or n == len(tries) - 1):
                self.next = index + 1
                return upright(frame.to_ndarray(format="bgr24"), frame.rotation)  # see probe
        self._decoded = None
        return None

    def _decode_to(self, target: int):
        try:
            for frame in self._decoded:
                if frame.pts is not None and frame.pts >= target:
                    return frame
        except self._av.FFmpegError:
            pass
        return None

    def close(self) -> None:
        self.container.close()
