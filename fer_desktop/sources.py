"""Frame sources: camera, video file, image, folder of images and the built-in demo.

Each source is an iterable of `Frame`s (index, source time in seconds, BGR image) with a
`close()`. Nothing here keeps more than the frame in hand: video files are decoded one frame
at a time, and the camera reader keeps only the newest frame.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from fer_desktop.errors import FerDesktopError
from fer_desktop.probe import (
    NoVideoStream,
    ends_early,
    missing_index,
    turn,
    upright,
    video_stream,
)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}


class SourceError(FerDesktopError):
    """A source cannot be opened or read; the message says why in one line."""


@dataclass(frozen=True)
class Frame:
    index: int  # the source's own frame number (a session renumbers what it analyses)
    t_source: float  # seconds since the start of the source
    bgr: np.ndarray
    captured: float | None = None  # time.time() when the frame arrived (cameras: read)
    still: bool = False  # a still image: read on its own, nothing carried over
    arrived: float | None = None  # live sources: Clock.monotonic() when read (their t_source)


class Clock:
    """The two clocks a live source stamps its frames with: the wall clock, for `t_wall`
    (NTP or GPS may set it back or forward), and a monotonic one, for `t_source` (it only
    goes up). A rig's sources take one as an argument; this one is the system's."""

    def wall(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = Clock()


class FrameSource:
    """Base class: iterate to get frames; `close()` releases the device or file."""

    name = "source"
    fps: float | None = None
    size: tuple[int, int] | None = None  # width, height of its frames, when known before
    live = False  # True for sources that run in real time (camera, demo)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_image(path: Path) -> np.ndarray:
    """Read an image file as BGR uint8 (8- or 16-bit, gray, palette or with alpha)."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.is_dir():
        raise SourceError(f"{path}: is a directory, not an image")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except PermissionError as exc:
        raise SourceError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if data.size == 0:
        raise SourceError(f"{path}: empty file")
    if data[:2].tobytes() == b"\xff\xd8" and b"\xff\xd9" not in data[-64:].tobytes():
        raise SourceError(f"{path}: truncated JPEG (no end-of-image marker)")
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None or img.size == 0:
        raise SourceError(f"{path}: not a readable image")
    return _as_bgr_u8(img)


def _as_bgr_u8(img: np.ndarray) -> np.ndarray:
    if img.dtype != np.uint8:
        from fer_desktop.preprocess import _rescale_to_u8

        img = _rescale_to_u8(img)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    if img.shape[2] == 1:
        return cv2.cvtColor(img[:, :, 0], cv2.COLOR_GRAY2BGR)
    return img


class ImageSource(FrameSource):
    """One still image, given once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name
        self._image = read_image(self.path)

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, 0.0, self._image, time.time(), still=True)


class FolderSource(FrameSource):
    """Every image in a folder, in name order; unreadable files are skipped and counted."""

    def __init__(self, path: Path, fps: float = 1.0):
        self.path = Path(path)
        self.name = self.path.name
        self.fps = fps
        self.files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise SourceError(f"{self.path}: is a directory with no images in it")
        self.skipped: list[tuple[Path, str]] = []

    def __iter__(self) -> Iterator[Frame]:
        index = 0
        for f in self.files:
            try:
                img = read_image(f)
            except SourceError as exc:
                self.skipped.append((f, str(exc)))
                continue
            yield Frame(index, index / self.fps, img, time.time(), still=True)
            index += 1


def _open_video(path: Path):
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
        self._container, self._stream = _open_video(self.path)
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


class CameraSource(FrameSource):
    """A camera by index. A reader thread keeps only the newest frame, so lag never builds.

    Opening can block (a wedged V4L2 device, a FIFO with no writer): it runs on a thread of
    its own, waited for OPEN_PATIENCE_S (SourceError after that, the open left running for
    the next attempt); setting `stop` ends the wait at once, so a stop is always heard.
    """

    live = True

    def __init__(
        self,
        index: int | str = 0,
        width: int = 640,
        height: int = 480,
        fps: float | None = None,
        open_timeout: float = 3.0,
        stop: threading.Event | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        if isinstance(index, str) and not Path(index).exists():
            raise SourceError(f"camera {index}: no such device")
        if isinstance(index, int) and index < 0:
            raise SourceError(f"camera {index}: a camera index is a number 0 or more")
        self.index = index  # a number, or a device path (Linux: /dev/video2, /dev/v4l/by-id/…)
        self.name = f"camera:{index}"
        self.clock = clock
        stop = stop or threading.Event()
        cap = _Opening.of(index).wait(stop, OPEN_PATIENCE_S)
        if cap is None and stop.is_set():
            raise SourceError(f"camera {index}: stopped while opening")
        if cap is None:
            raise SourceError(
                f"camera {index}: its open does not return (a wedged device, or a FIFO with "
                "no writer)"
            )
        self._cap = cap
        if not self._cap.isOpened():
            self._cap.release()
            raise SourceError(f"camera {index}: cannot open (no such device, or it is busy)")
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self._cap.set(cv2.CAP_PROP_FPS, fps)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and 0 < fps < 1000 else 30.0
        self.size = _capture_size(self._cap)
        self._lock = threading.Condition()
        self._latest: np.ndarray | None = None
        self._stamps = (0.0, 0.0)  # the clock's wall and monotonic times of the newest frame
        self._seq = 0
        self._stop = threading.Event()
        self._failed = False
        self._thread = threading.Thread(target=self._reader, name=self.name, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + open_timeout
        with self._lock:
            while not (self._seq or self._failed):
                if time.monotonic() > deadline or stop.is_set():
                    break
                self._lock.wait(0.1)
            delivers = self._seq > 0
        if not delivers:
            self.close()
            raise SourceError(f"camera {index}: opened but delivers no frames")

    def _reader(self) -> None:
        while not self._stop.is_set():
            ok, img = self._cap.read()
            with self._lock:
                if not ok or img is None:
                    self._failed = True
                    self._lock.notify_all()
                    return
                self._latest, self._seq = img, self._seq + 1
                self._stamps = (self.clock.wall(), self.clock.monotonic())
                self._lock.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        t0 = self.clock.monotonic()
        seen = 0
        index = 0
        while not self._stop.is_set():
            with self._lock:
                last = seen
                self._lock.wait_for(lambda last=last: self._seq != last or self._failed, 2.0)
                if self._seq == seen:
                    raise SourceError(f"camera {self.index}: stopped delivering frames")
                seen, img, (wall, arrived) = self._seq, self._latest, self._stamps
            yield Frame(index, arrived - t0, img, wall, arrived=arrived)
            index += 1

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)
        self._cap.release()


OPEN_PATIENCE_S = 5.0  # a camera's open still running after this is "not answering"


class _Opening:
    """`cv2.VideoCapture(index)` running on a thread of its own. An open that outlasts one
    attempt's patience is taken up by the next attempt on that device, never started again,
    so a wedged device costs one thread; one left when the program stops is released by its
    thread if it ever returns."""

    running: ClassVar[dict[int | str, _Opening]] = {}  # by device
    _lock = threading.Lock()

    def __init__(self, index: int | str):
        self.index = index
        self.done = threading.Event()
        self.cap: cv2.VideoCapture | None = None
        self.abandoned = False
        threading.Thread(target=self._open, name=f"open camera:{index}", daemon=True).start()

    @classmethod
    def of(cls, index: int | str) -> _Opening:
        with cls._lock:
            opening = cls.running.get(index)
            if opening is None:
                opening = cls.running[index] = cls(index)
            return opening

    def _open(self) -> None:
        cap = cv2.VideoCapture(self.index)
        with self._lock:
            self.cap = cap
            if self.abandoned:
                cap.release()
        self.done.set()

    def wait(self, stop: threading.Event, patience_s: float) -> cv2.VideoCapture | None:
        """The opened capture; None when `stop` was set (the open is abandoned) or when it
        is still running after `patience_s` (left for the next attempt)."""
        deadline = time.monotonic() + patience_s
        while not self.done.wait(0.1):  # short waits: a signal handler here runs between
            if stop.is_set():
                with self._lock:
                    self.abandoned = True
                    if self.cap is not None:
                        self.cap.release()
                    self.running.pop(self.index, None)
                return None
            if time.monotonic() > deadline:
                return None
        with self._lock:
            self.running.pop(self.index, None)
        return self.cap


PORTRAIT = "grace_hopper.jpg"


def demo_portrait_path() -> Path:
    """Grace Hopper's portrait (a real face, shipped on PyPI in matplotlib's sample data): the
    copy the desktop bundle carries in fer_desktop/demo/, else matplotlib's own, found
    without importing matplotlib (0.3 s)."""
    bundled = Path(__file__).resolve().parent / "demo" / PORTRAIT
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


def _capture_size(cap: cv2.VideoCapture) -> tuple[int, int] | None:
    width, height = (int(cap.get(p)) for p in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT))
    return (width, height) if width > 0 and height > 0 else None


def camera_id(spec: str) -> int | str:
    """'camera:N' (or 'N') -> N; 'camera:/dev/video2' -> the device path."""
    text = spec.split(":", 1)[-1]
    if text.isdigit():
        return int(text)
    if text.startswith("/"):
        return text
    raise SourceError(f"{spec}: a camera is camera:N (a number) or camera:/dev/PATH")


def open_source(
    spec: str,
    every: int = 1,
    realtime_demo: bool = True,
    capture: tuple[int, int, float | None] | None = None,
    stop: threading.Event | None = None,
) -> FrameSource:
    """'demo', 'camera:N' (or a bare integer) or 'camera:/dev/PATH', an image, a folder or a
    video file. `capture` asks a camera for (width, height, fps); `stop` ends its opening."""
    if spec == "demo":
        return DemoSource(realtime=realtime_demo)
    if spec.startswith("camera:") or spec.isdigit():
        return CameraSource(camera_id(spec), *(capture or ()), stop=stop)
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return VideoSource(path, every=every)
