"""Reviewing a session afterwards, without Qt: the recording, its markers, people and segments.

A recording is a timeline plus a video. The video is either the one recorded beside the
timeline (`session-….mkv`: its k-th frame is the timeline's k-th "frame" row) or the
original file `analyze` read (found by each row's `t_source`, the file's own time).

Time: review runs on the recording time of `fer_desktop.timeaxis` — the stretches of source
time laid end to end at each seek, so it only goes up; without a seek it is `t_source`
itself. The chart, the cursor, markers, segments, exports and summaries all use it, and no
line of the chart joins two frames across a seek or a gap.

Markers edited here, names given to face ids and ids merged into one person go to the
sidecar file (`fer_desktop.sidecar`, `<timeline>.markers.json`); the timeline itself is never
rewritten.

One idea per module:
- `recording_review`: a recording under review, its edits, segments and exports;
- `clips`: a stretch of it written as a video clip;
- `video_reader`: a video's frames by number;
- `opening`: a timeline and its video, found from either one;
- `errors`: what goes wrong.
"""

from fer_desktop.recording import Marker
from fer_desktop.review.errors import ExportCancelled, ReviewError
from fer_desktop.review.opening import find_pair, open_recording
from fer_desktop.review.recording_review import Person, Review
from fer_desktop.review.video_reader import VideoReader

__all__ = [
    "ExportCancelled",
    "Marker",
    "Person",
    "Review",
    "ReviewError",
    "VideoReader",
    "find_pair",
    "open_recording",
]
