"""fer-desktop live: headless analysis streamed as one JSON line per frame on stdout.

A camera that stops delivering is reopened with back-off; the stream says so with
{"event": "camera_lost"} and {"event": "camera_back"} lines, so readers can mark the gap.
"""

from __future__ import annotations

import json
import sys
import time

from fer_desktop.pipeline import Pipeline, PipelineConfig
from fer_desktop.sources import CameraSource, FrameSource, SourceError, open_source

BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0)


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _open(args) -> FrameSource:
    if args.source is not None:
        return open_source(args.source, every=args.every)
    return CameraSource(args.camera or 0)


def run(args, config: PipelineConfig) -> int:
    from fer_desktop.cli import install_stop_signals

    install_stop_signals()
    source = _open(args)  # a camera that never opens is an error at start
    is_camera = isinstance(source, CameraSource)
    frames = 0
    t_offset = 0.0
    try:
        with Pipeline(config) as pipeline:
            while True:
                try:
                    last_t = 0.0
                    for frame in source:
                        if is_camera and args.every > 1 and frame.index % args.every:
                            continue
                        result = pipeline.process(frame)
                        out = result.to_json()
                        out["t_source"] = round(t_offset + frame.t_source, 4)
                        _emit(out)
                        last_t = frame.t_source
                        frames += 1
                        if args.max_frames and frames >= args.max_frames:
                            return 0
                    if not is_camera:
                        return 0
                    raise SourceError("camera stream ended")
                except SourceError as exc:
                    if not is_camera:
                        raise
                    source.close()
                    t_offset += last_t
                    _emit({"event": "camera_lost", "reason": str(exc), "t_wall": time.time()})
                    print("fer-desktop: camera lost, reconnecting", file=sys.stderr, flush=True)
                    source = _reconnect(source.index)
                    _emit({"event": "camera_back", "t_wall": time.time()})
    except KeyboardInterrupt:
        return 0
    finally:
        source.close()


def _reconnect(index: int) -> CameraSource:
    attempt = 0
    while True:
        time.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])
        attempt += 1
        try:
            return CameraSource(index)
        except SourceError:
            continue
