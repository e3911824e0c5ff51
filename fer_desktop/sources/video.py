"""A video file as a source, decoded frame by frame by PyAV."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fer_desktop.probe import (
    NoVideoStream,
    ends_early,
    missing_index,
    turn,
    upright,
    video_stream,
)
from fer_desktop.sources.frames import Frame, FrameSource, SourceError


def open_video(path: Path):
    """(container, its video stream) of a file, or a SourceError saying why not."""
    import av

    container = None
    try:
        container = av.open(str(path))
        return container, video_stream(container, path)
    except NoVideoStream as exc:  # the file holds audio, subtitles…
        container.close()
        raise SourceError(str(exc)) from None
    except (av.FFmpegError, OSError) as exc:
        if container is not None:
            container.close()
        if missing_index(path):
            raise SourceError(
                f"{path}: incomplete recording (no index): was it still being written?"
            ) from exc
        raise SourceError(f"{path}: not a video that can be read") from exc


class VideoSource(FrameSource):
    """A video file, decoded frame by frame by PyAV (the FFmpeg that also records and plays
    back recordings); `every` keeps every Nth frame."""

    def __init__(self, path: Path, every: int = 1):
        import av

        self._av = av
        self.path = Path(path)
        self.name = self.path.name
        self.every = max(1, int(every))
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file")
        if self.path.is_dir():
            raise SourceError(f"{self.path}: is a directory, not a video")
        try:
            with open(self.path, "rb") as fh:
                if not fh.read(1):
                    raise SourceError(f"{self.path}: empty file")
        except PermissionError as exc:
            raise SourceError(f"{self.path}: permission denied") from exc
        self._container, self._stream = open_video(self.path)
        stream = self._stream
        stream.thread_type = "AUTO"  # frame threads: decoding keeps pace on big files
        # The first frame is decoded now (and given first): its display matrix says how the
        # frames are turned (see probe), so `size` is the size they are shown at.
        self._frames = self._decoded()
        self._first = next(self._frames, None)
        self.rotation = turn(self._first.rotation) if self._first is not None else 0
        self._reformatter = av.video.reformatter.VideoReformatter()
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        self.fps = fps if fps and math.isfinite(fps) and 0 < fps < 1000 else 30.0
        ctx = stream.codec_context
        self.size = (ctx.width, ctx.height) if ctx.width and ctx.height else None
        if self.size and self.rotation in (90, 270):
            self.size = self.size[::-1]
        self._start = stream.start_time or 0
        if stream.duration:
            self._duration: float | None = float((stream.duration) * stream.time_base)
        elif self._container.duration:
            self._duration = self._container.duration / 1e6
        else:
            self._duration = None
        count = stream.frames or (round(self._duration * self.fps) if self._duration else 0)
        self.frame_count = int(count) if count > 0 else None
        self._pos, self._seek_to = 0, None
        self.frames_read = 0  # frames decoded, kept or not
        self._read_until = 0.0  # end time of the last frame decoded (seconds)

    @property
    def duration(self) -> float | None:
        """The length the container claims (its index), in seconds; None if it does not say."""
        return self._duration

    @property
    def read_s(self) -> float:
        """Seconds of the file decoded so far: up to the end of the last frame read. The later
        of its timestamp and the frame count, so that variable frame rates and timestamps
        that restart do not make a complete file look short."""
        return max(self._read_until, self.frames_read / self.fps)

    def ends_early(self) -> bool:
        """The file, read to its end, held less than its container claims (a cut file)."""
        return ends_early(self.read_s, self.duration, self.fps)

    def _decoded(self) -> Iterator:
        """Decoded frames until the end or a packet that cannot be decoded (a cut file)."""
        try:
            yield from self._container.decode(self._stream)
        except self._av.FFmpegError:
            return

    def _time(self, frame) -> float | None:
        if frame.pts is None:
            return None
        return float((frame.pts - self._start) * self._stream.time_base)

    def __iter__(self) -> Iterator[Frame]:
        last_t, seen = -1.0, False
        if self._first is not None:  # the first iteration: from the frame read at opening
            frames = itertools.chain([self._first], self._frames)
            self._first = None
        else:
            frames = self._decoded()
        skip_before = None
        while True:
            if self._seek_to is not None:  # a seek: frame numbers and time jump with it
                target = self._seek_to
                skip_before = target / self.fps - 0.5 / self.fps
                pts = self._start + int(target / self.fps / self._stream.time_base)
                try:
                    self._container.seek(pts, stream=self._stream, backward=True)
                except self._av.FFmpegError as exc:
                    raise SourceError(f"{self.path}: cannot seek to frame {target}") from exc
                frames = self._decoded()
                self._pos, self._seek_to, last_t = target, None, -1.0
            frame = next(frames, None)
            if frame is None:
                if not seen:
                    raise SourceError(f"{self.path}: video has no readable frames")
                return
            t_frame = self._time(frame)
            if skip_before is not None:
                if t_frame is not None and t_frame < skip_before:
                    continue  # decoded from the key frame before the seek's target
                skip_before = None
            seen, index = True, self._pos
            self._pos = index + 1
            self._note_read(t_frame)
            if index % self.every:
                continue
            img = self._bgr(frame)
            t = t_frame if t_frame is not None and t_frame > 0 else index / self.fps
            if t <= last_t:  # timestamps that restart or stall: keep time moving forward
                t = last_t + self.every / self.fps
            last_t = t
            yield Frame(index, t, img)

    def _bgr(self, frame) -> np.ndarray:
        """The frame as BGR, converted by swscale as OpenCV's reader converts it (the same
        pixels; one converter kept for the whole file), turned upright as the file says."""
        return upright(
            self._reformatter.reformat(frame, format="bgr24").to_ndarray(), frame.rotation
        )

    def _note_read(self, t: float | None) -> None:
        self.frames_read += 1
        if t is not None and math.isfinite(t) and t > 0:
            self._read_until = max(self._read_until, t + 1.0 / self.fps)

    def seek(self, frame_index: int) -> None:
        """Continue from this frame (applied by the running iteration, or the next one)."""
        self._seek_to = max(0, int(frame_index))

    def close(self) -> None:
        """The file closed, and its decoder let go (its threads with it): a closed source
        still referenced, e.g. by an output that keeps the session's callback, holds none."""
        if self._stream is None:  # closed already
            return
        self._frames.close()
        self._frames, self._first = iter(()), None
        self._container.close()
        self._stream = None
