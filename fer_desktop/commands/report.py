"""fer-desktop report: the report of a recording, any time after it was made.

RECORDING is a recording folder (its newest session is taken, and named on stderr) or a
timeline (.csv/.jsonl). The report uses the markers and names as they are now (review's
sidecar); `--import-events LOG` first adds a game's event log, or annotations in video
time (a CSV with seconds, BORIS's or ELAN's export: see annotations.py), as markers;
`--clips N` writes one H.264 clip per marker (N seconds either side) into <stem>_clips/
beside the report, each linked from it; `--segments 60s` adds back-to-back segments of that
length to the segment table.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path

from fer_desktop.errors import FerDesktopError, UsageError
from fer_desktop.timeline import is_timeline

TIMELINE_SUFFIXES = (".csv", ".jsonl")


class NoRecording(FerDesktopError):
    """The path holds no recording to report on."""


def find_timeline(path: Path) -> Path:
    """The timeline to report on: the path itself, or a folder's newest session."""
    path = Path(path)
    if not path.exists():
        raise NoRecording(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix not in TIMELINE_SUFFIXES or not is_timeline(path):
            raise NoRecording(f"{path}: not a fer_desktop timeline (.csv or .jsonl)")
        return path
    found = [p for p in path.iterdir() if p.suffix in TIMELINE_SUFFIXES and is_timeline(p)]
    if not found:
        inner = sorted(
            p.parent.name
            for p in path.glob("*/*")
            if p.suffix in TIMELINE_SUFFIXES and is_timeline(p)
        )
        if inner:
            names = ", ".join(str(path / n) for n in sorted(set(inner)))
            raise NoRecording(f"{path}: a recording of several streams; name one: {names}")
        raise NoRecording(f"{path}: no recording here (no fer_desktop timeline .csv or .jsonl)")
    newest = max(found, key=lambda p: (p.stat().st_mtime, p.name))
    if len(found) > 1:
        print(
            f"fer-desktop: {len(found)} sessions in {path}; reporting the newest: {newest.name}",
            file=sys.stderr,
        )
    return newest


def slug(text: str) -> str:
    """A file-name-safe short form of a note."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40].lower()


def write_clips(timeline: Path, out_dir: Path, seconds: float) -> list[tuple[str, str]]:
    """One clip per marker (± seconds) into out_dir; (link text, file name) each."""
    from fer_desktop.review import open_recording

    rec = open_recording(timeline)
    last = float(rec.times[-1])
    out_dir.mkdir(parents=True, exist_ok=True)
    links = []
    for n, m in enumerate(rec.markers, 1):
        name = f"marker-{n:02d}" + (f"-{slug(m.note)}" if slug(m.note) else "") + ".mp4"
        start, end = max(m.t - seconds, 0.0), min(m.t + seconds, last)
        try:
            frames = rec.export_clip(start, end, out_dir / name, labels=True)
        except FerDesktopError as exc:
            print(f"fer-desktop: marker {n}: no clip: {exc}", file=sys.stderr)
            continue
        source = f" [{m.source}]" if m.source else ""
        text = f"{m.t:.2f} s {m.note or '(no note)'}{source}: {frames} frames"
        links.append((text, f"{out_dir.name}/{name}"))
    return links


def clips_section(links: list[tuple[str, str]], seconds: float) -> str:
    esc = html.escape
    items = "".join(
        f"<li><a href='{esc(href)}'>{esc(text)}</a> (<a href='{esc(href[:-4])}.csv'>rows</a>)</li>"
        for text, href in links
    )
    return (
        f"<h2>Clips</h2><p class='note'>One clip per marker, {seconds:g} s either side "
        f"(H.264, boxes and labels drawn), with its rows as CSV.</p><ul>{items}</ul>\n"
    )


def import_annotations(timeline: Path, log: Path) -> None:
    """Import an event log or annotations as markers, saying what was read and left out;
    a file of which no row could be imported is an error."""
    from fer_desktop.game_markers import EventLogError, import_events

    result = import_events(timeline, log)
    for line in result.lines():
        print(f"fer-desktop: {log.name}: {line}", file=sys.stderr)
    if not result.imported and not result.already:
        raise EventLogError(f"{log}: no row could be imported (see the rows left out above)")


def segment_length(text: str) -> float:
    """`--segments` as seconds: 60, 60s, 1.5m or 5min."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|min)?\s*", text)
    seconds = float(match[1]) * (60 if match and match[2] in ("m", "min") else 1) if match else 0
    if not seconds >= 1:
        raise UsageError(f"--segments {text}: give a length of 1 s or more, e.g. 60s or 5m")
    return seconds


def run(args) -> int:
    from fer_desktop.report import write_report

    if args.clips is not None and not 0 < args.clips <= 600:
        raise UsageError("--clips: give the seconds either side of each marker (0-600)")
    segment_s = segment_length(args.segments) if args.segments else None
    timeline = find_timeline(args.recording)
    if args.import_events:
        import_annotations(timeline, args.import_events)
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--out {out}: name the report's .html file")
    out_dir = out.parent if out else timeline.parent
    chart, page = write_report(
        timeline,
        out_dir,
        thumbnails=not args.no_thumbnails,
        segment_s=segment_s,
        lanes=args.lanes,
    )
    if out is not None and page != out:
        shutil.move(page, out)
        shutil.move(chart, out.with_suffix(".svg"))
        page, chart = out, out.with_suffix(".svg")
    status = 0
    if args.clips:
        try:
            links = write_clips(timeline, page.parent / f"{page.stem}_clips", args.clips)
        except FerDesktopError as exc:  # no video beside the timeline: the report stands
            print(f"fer-desktop: no clips: {exc}", file=sys.stderr)
            links, status = [], 1
        if not links and status == 0:
            print("fer-desktop: no clips: the recording has no markers", file=sys.stderr)
        if links:
            text = page.read_text(encoding="utf-8")
            at = text.find("<h2>Segments</h2>")
            at = at if at >= 0 else text.rfind("</body>")
            section = clips_section(links, args.clips)
            page.write_text(text[:at] + section + text[at:], encoding="utf-8")
    print(page)
    return status
