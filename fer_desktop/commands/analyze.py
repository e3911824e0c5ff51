"""fer-desktop analyze: a timeline (and a report) for each video file, faster than real time."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from fer_desktop.commands import install_stop_signals
from fer_desktop.errors import UsageError
from fer_desktop.pipeline import Pipeline, PipelineConfig
from fer_desktop.report import write_report
from fer_desktop.session import FrameAnalysed, Session, SessionOptions
from fer_desktop.sources import SourceError, VideoSource
from fer_desktop.timeline import TimelineError, open_timeline


class Progress:
    """A one-line progress bar on stderr with the speed as a multiple of real time."""

    def __init__(self, name: str, total: int | None, enabled: bool):
        self.name, self.total, self.enabled = name, total, enabled and sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self.last = 0.0

    def update(self, frame_index: int, t_source: float, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last < 0.2 and not force):
            return
        self.last = now
        speed = t_source / max(now - self.t0, 1e-6)
        if self.total:
            frac = min(1.0, (frame_index + 1) / self.total)
            bar = "#" * int(frac * 30)
            text = f"[{bar:<30}] {100 * frac:5.1f}% {frame_index + 1}/{self.total} frames"
        else:
            text = f"{frame_index + 1} frames"
        sys.stderr.write(f"\r{self.name}: {text}  {speed:5.1f}x real time ")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def analyze_video(
    pipeline: Pipeline,
    path: Path,
    out_dir: Path,
    fmt: str,
    every: int,
    report: bool,
    progress: bool = True,
) -> dict:
    """Analyse one video into out_dir/<stem>.<fmt>; return its summary."""
    source = VideoSource(path, every=every)
    pipeline.tracker.reset()
    timeline_path = out_dir / f"{path.stem}.{fmt}"
    timeline = open_timeline(timeline_path, fmt, {"source_fps": source.fps, "every": every})
    bar = Progress(path.name, source.frame_count, progress)

    def on_event(event) -> None:
        if isinstance(event, FrameAnalysed):
            bar.update(event.result.index, event.result.t_source)

    options = SessionOptions(realtime=False, every=every, reconnect=False, prefetch=True)
    session = Session(source, pipeline, options, [timeline], on_event=on_event)
    try:
        result = session.run()
    except SourceError:
        if timeline.frames == 0:
            timeline_path.unlink(missing_ok=True)  # nothing was analysed: leave no file
        raise
    finally:
        bar.done()
    speed = (result.last_t + every / source.fps) / max(result.elapsed_s, 1e-6)
    summary = {
        "video": str(path),
        "timeline": str(timeline_path),
        "frames": timeline.frames,
        "face_rows": timeline.rows,
        "speed_x_realtime": round(speed, 2),
    }
    if report:
        png, html = write_report(timeline_path, out_dir)
        summary.update(report_png=str(png), report_html=str(html))
    return summary


def run(args, config: PipelineConfig) -> int:
    install_stop_signals()
    if args.every < 1:
        raise UsageError("--every must be 1 or more")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TimelineError(f"cannot create output folder {args.out}: {exc.strerror}") from exc
    failed = 0
    with Pipeline(config) as pipeline:
        for path in args.videos:
            try:
                s = analyze_video(
                    pipeline,
                    path,
                    args.out,
                    args.format,
                    args.every,
                    args.report,
                    progress=not args.quiet,
                )
            except SourceError as exc:
                print(f"fer-desktop: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(
                f"{path}: {s['frames']} frames, {s['face_rows']} face rows, "
                f"{s['speed_x_realtime']}x real time -> {s['timeline']}"
                + (f", {s['report_html']}" if "report_html" in s else ""),
                flush=True,
            )
    return 1 if failed else 0
