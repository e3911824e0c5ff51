"""The one eye-closure rule (eye_closure_rule.py) on a real series: the talking-head clip's
eye openness, read by the mesh frame by frame. Its blinks are those counted by eye, its looks
down are not closures, and the offline series functions (measures.py) and the online state
(eye_state.py) agree frame by frame; a long closure stays closed throughout."""

from __future__ import annotations

import av
import numpy as np
import pytest

from fer_desktop.detector import FaceDetector
from fer_desktop.eye_state import EyeState
from fer_desktop.measures import blinks, closed_mask, eye_openness, open_level, perclos
from fer_desktop.mesh import FaceMesh, MeshTracker
from tests.conftest import shared_path

# By eye (models/measures_card.md): blink onsets, frames of the 25 fps clip
ONSETS_BY_EYE = (23, 32, 112, 170)
LOOKING_DOWN = range(42, 90)  # eyes visibly open, openness 0.29-0.35


@pytest.fixture(scope="module")
def talking_head() -> tuple[np.ndarray, np.ndarray]:
    """(t, openness) of every frame of the talking-head clip (mean of both eyes)."""
    clip = shared_path("videos", "talking_head_512.mp4")
    openness, t = [], []
    with FaceDetector("short") as detector, av.open(str(clip)) as container:
        tracker = MeshTracker(FaceMesh(iris=False))
        for frame in container.decode(video=0):
            bgr = frame.to_ndarray(format="bgr24")
            box = None
            if tracker.lost:
                faces = detector.detect(bgr, None)
                box = faces[0] if faces else None
            found = tracker.update(bgr, box)
            t.append(float(frame.time))
            openness.append(np.nan if found is None else float(np.mean(eye_openness(found.points))))
    return np.array(t), np.array(openness)


def test_the_blinks_counted_by_eye_and_no_others(talking_head):
    t, x = talking_head
    found = blinks(t, x)
    assert [round(b.onset * 25) for b in found] == list(ONSETS_BY_EYE)
    assert all(0.0 < b.duration < 0.5 for b in found)  # blinks last 100-400 ms
    closed = closed_mask(t, x)
    assert not closed[list(LOOKING_DOWN)].any()  # looking down is not closing the eyes
    assert perclos(t, x)[-1] < 0.15  # over the whole 8 s clip


def test_offline_and_online_agree_frame_by_frame(talking_head):
    t, x = talking_head
    level = open_level(x)
    state = EyeState(level=level)
    readings = [state.update(float(a), float(v)) for a, v in zip(t, x, strict=True)]
    online = np.array([bool(r.closed) for r in readings])
    assert np.array_equal(online, closed_mask(t, x, level))
    ended = [r.blink for r in readings if r.blink is not None]
    assert ended == blinks(t, x, level)
    assert readings[-1].perclos == pytest.approx(perclos(t, x, level=level)[-1])


def test_a_long_closure_reads_closed_for_its_whole_length(talking_head):
    """The clip's open eyes of its first 0.8 s, then the shut frame of its third blink held
    for 3 s (eyes shut, as a drowsy driver's; it reads 0.72 of the open level), then its
    open eyes of its last 0.8 s."""
    _, x = talking_head
    shut = x[ONSETS_BY_EYE[2]]
    series = np.concatenate([x[:20], np.full(75, shut), x[-20:]])
    times = np.arange(len(series)) / 25
    level = open_level(x)
    closed = closed_mask(times, series, level)
    assert not closed[:20].any() and closed[20:95].all() and not closed[95:].any()
    found = blinks(times, series, level)
    assert [(b.onset, round(b.duration, 2)) for b in found] == [(0.8, 3.0)]
