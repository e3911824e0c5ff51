"""The analysis worker: a QObject living in its own QThread that owns source and pipeline.

The GUI talks to it through a thread-safe command queue (the worker's loop is busy, so it
drains commands between frames) and hears back through queued signals. Painting never blocks
analysis: when the window has not yet shown the previous frame, the new one is still analysed
and recorded, but not sent (`dropped` counts them).
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from fer_desktop.pipeline import FrameResult, Pipeline, PipelineConfig
from fer_desktop.sources import CameraSource, FrameSource, SourceError, VideoSource, open_source
from fer_desktop.timeline import TimelineError, TimelineWriter, open_timeline

RECONNECT_BACKOFF = (0.5, 1.0, 2.0, 4.0)


@dataclass
class Shown:
    """One analysed frame on its way to the window."""

    bgr: np.ndarray
    result: FrameResult
    t_arrival: float  # perf_counter when the frame reached the worker
    source_position: float | None  # 0..1 through a video file, else None


class PipelineWorker(QObject):
    frameReady = Signal(object)  # Shown
    status = Signal(str)  # short state text: "camera lost, reconnecting", "source ended"…
    error = Signal(str)  # something the user must read
    recording = Signal(bool, str)  # on/off, path
    recordingFinished = Signal(str)  # timeline path, after a clean close
    finished = Signal()

    def __init__(self, source_spec: str, config: PipelineConfig):
        super().__init__()
        self.source_spec = source_spec
        self.config = config
        self._commands: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._gui_busy = threading.Event()
        self.dropped = 0
        self.timeline: TimelineWriter | None = None
        self.paused = False
        self.fast = False
        self._source: FrameSource | None = None
        self._last_t = 0.0  # source time of the last analysed frame

    # --- called from the GUI thread -------------------------------------------------------
    def send(self, command: str, *args) -> None:
        self._commands.put((command, args))

    def stop(self) -> None:
        """Ask the loop to end; it checks between frames (the source is closed there)."""
        self._stop.set()

    def frame_shown(self) -> None:
        """The window has painted the last frame it got; the next one may be sent."""
        self._gui_busy.clear()

    # --- the worker thread ----------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        pipeline = None
        try:
            pipeline = Pipeline(self.config)
            self._source = open_source(self.source_spec)
            self._loop(pipeline)
        except (SourceError, TimelineError, OSError, ValueError, RuntimeError) as exc:
            self.error.emit(str(exc))
        except Exception as exc:  # the window must hear of every failure
            self.error.emit(f"unexpected error: {exc}\n{traceback.format_exc(limit=3)}")
        finally:
            self._stop_recording()
            if self._source is not None:
                self._source.close()
            if pipeline is not None:
                pipeline.close()
            self.finished.emit()

    def _loop(self, pipeline: Pipeline) -> None:
        source = self._source
        t_offset = 0.0
        while not self._stop.is_set():
            try:
                last_t = self._play(pipeline, source, t_offset)
                camera_lost = isinstance(source, CameraSource) and not self._stop.is_set()
            except SourceError:
                if not isinstance(source, CameraSource):
                    raise
                last_t, camera_lost = self._last_t, True
            if not camera_lost:
                break
            source, t_offset = self._reconnect(source, last_t)
        if not self._stop.is_set():
            self.status.emit("source ended")
        while not self._stop.is_set():  # keep serving commands (record, marker…)
            self._drain(pipeline, source, t_offset)
            time.sleep(0.05)

    def _play(self, pipeline: Pipeline, source: FrameSource, t_offset: float) -> float:
        """Analyse frames until the source ends or stop; return the last source time."""
        last_t = t_offset
        wall0, src0 = time.perf_counter(), None
        for frame in source:
            t_arrival = time.perf_counter()
            self._drain(pipeline, source, last_t)
            while self.paused and not self._stop.is_set():
                time.sleep(0.03)
                self._drain(pipeline, source, last_t)
                wall0, src0 = time.perf_counter(), None
            if self._stop.is_set():
                break
            if isinstance(source, VideoSource) and not self.fast:
                src0 = frame.t_source if src0 is None else src0
                delay = (frame.t_source - src0) - (time.perf_counter() - wall0)
                if delay > 0:
                    time.sleep(min(delay, 0.5))
                    t_arrival = time.perf_counter()
                elif delay < -0.5:  # fell behind, or a seek: re-anchor the clock
                    wall0, src0 = time.perf_counter(), frame.t_source
            result = pipeline.process(frame)
            result.t_source += t_offset
            last_t = self._last_t = result.t_source
            self._record(result)
            self._show(frame.bgr, result, t_arrival, source)
        return last_t

    def _reconnect(self, source: FrameSource, last_t: float) -> tuple[FrameSource, float]:
        self.status.emit("camera lost, reconnecting")
        if self.timeline:
            self.timeline.gap(last_t, "camera lost")
        source.close()
        attempt = 0
        while not self._stop.is_set():
            time.sleep(RECONNECT_BACKOFF[min(attempt, len(RECONNECT_BACKOFF) - 1)])
            attempt += 1
            try:
                new = CameraSource(source.index)
                self._source = new
                self.status.emit("camera back")
                if self.timeline:
                    self.timeline.gap(last_t, "camera back")
                return new, last_t
            except SourceError:
                continue
        return source, last_t

    def _show(self, bgr, result, t_arrival, source) -> None:
        if self._gui_busy.is_set():
            self.dropped += 1
            return
        position = None
        if isinstance(source, VideoSource) and source.frame_count:
            position = min(1.0, result.index / max(1, source.frame_count - 1))
        self._gui_busy.set()
        self.frameReady.emit(Shown(bgr, result, t_arrival, position))

    def _record(self, result: FrameResult) -> None:
        if self.timeline is None:
            return
        try:
            self.timeline.write(result)
        except TimelineError as exc:
            self.error.emit(f"recording stopped: {exc}")
            self._stop_recording(failed=True)

    def _drain(self, pipeline: Pipeline, source: FrameSource, t_now: float) -> None:
        while True:
            try:
                command, args = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                self._apply(command, args, pipeline, source, t_now)
            except (TimelineError, OSError, ValueError, RuntimeError) as exc:
                self.error.emit(str(exc))

    def _apply(self, command, args, pipeline: Pipeline, source, t_now: float) -> None:
        if command == "model":
            pipeline.set_model(args[0])
            self._stop_recording()  # a timeline holds one model's labels
        elif command == "smoothing":
            pipeline.set_smoothing(args[0])
        elif command == "range":
            range_, tiles = args[0].split(":")
            pipeline.set_detector(range_=range_, tiles=int(tiles))
        elif command == "min_face":
            pipeline.set_detector(min_face_px=args[0])
        elif command == "pause":
            self.paused = bool(args[0])
        elif command == "fast":
            self.fast = bool(args[0])
        elif command == "seek" and isinstance(source, VideoSource) and source.frame_count:
            source.seek(int(args[0] * (source.frame_count - 1)))
            pipeline.tracker.reset()
        elif command == "record":
            self._start_recording(Path(args[0]), args[1], pipeline)
        elif command == "stop_record":
            self._stop_recording()
        elif command == "marker" and self.timeline is not None:
            self.timeline.marker(t_now, args[0])

    def _start_recording(self, folder: Path, fmt: str, pipeline: Pipeline) -> None:
        self._stop_recording()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"session-{stamp}.{fmt}"
        meta = {"source": self.source_spec, "settings": pipeline.settings()}
        self.timeline = open_timeline(path, fmt, pipeline.labels, meta)
        self.recording.emit(True, str(path))

    def _stop_recording(self, failed: bool = False) -> None:
        if self.timeline is None:
            return
        timeline, self.timeline = self.timeline, None
        try:
            timeline.close({"dropped_from_view": self.dropped})
        except TimelineError as exc:
            self.error.emit(str(exc))
            failed = True
        self.recording.emit(False, str(timeline.path))
        if not failed:
            self.recordingFinished.emit(str(timeline.path))
