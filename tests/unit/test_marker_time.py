"""Where a marker with a past `t_wall` lands, without a session, a source or a model: the
wall-clock history of analysed frames and the checks a sender's `t_wall` and note pass."""

from __future__ import annotations

import time

import pytest

from fer_desktop.marker_time import (
    FUTURE_SLACK_S,
    MAX_NOTE_CHARS,
    MAX_SINCE_S,
    MarkerError,
    WallHistory,
    check_note,
    check_wall,
    parse_wall,
)
from fer_desktop.results import iso_time

STEP = 1 / 30  # frames of a 30 fps camera


def history(started: float, frames: int) -> WallHistory:
    """Frames that arrived every STEP from `started`, t_source counting from 0."""
    walls = WallHistory()
    for k in range(frames):
        walls.add(started + k * STEP, k * STEP)
    return walls


def test_a_frames_own_wall_time_finds_that_frame():
    started = time.time()
    walls = history(started, 90)
    for k in (0, 1, 45, 89):
        when = parse_wall(iso_time(started + k * STEP))  # as a sender would send it
        assert walls.t_source_at(when, running=True) == pytest.approx(k * STEP, abs=1e-4)


def test_between_frames_the_time_since_the_last_frame_is_added_while_running():
    started = time.time()
    walls = history(started, 10)
    when = started + 4 * STEP + STEP / 2
    assert walls.t_source_at(when, running=True) == pytest.approx(4.5 * STEP, abs=1e-4)
    assert walls.t_source_at(when, running=False) == pytest.approx(4 * STEP, abs=1e-4)


def test_after_the_last_frame_at_most_a_second_is_added():
    started = time.time()
    walls = history(started, 10)
    last = 9 * STEP
    late = started + last + 5 * MAX_SINCE_S
    assert walls.t_source_at(late, running=True) == pytest.approx(last + MAX_SINCE_S, abs=1e-4)


def test_before_the_first_frame_it_lands_on_the_first_and_without_frames_nowhere():
    started = time.time()
    assert history(started, 5).t_source_at(started - 0.5, running=True) == 0.0
    assert WallHistory().t_source_at(started, running=True) is None


def test_the_history_keeps_only_the_last_frames():
    started = time.time()
    walls = WallHistory(size=3)
    for k in range(10):
        walls.add(started + k * STEP, k * STEP)
    # frame 0 is gone: its time lands on the oldest kept frame, 7
    assert walls.t_source_at(started, running=True) == pytest.approx(7 * STEP, abs=1e-4)


def test_check_wall_takes_times_within_the_session_only():
    now = time.time()
    started = now - 10.0
    assert check_wall(iso_time(now - 3.0), started, now) == pytest.approx(now - 3.0, abs=1e-5)
    ahead = now + FUTURE_SLACK_S / 2  # another machine's clock a little ahead: now
    assert check_wall(iso_time(ahead), started, now) == now
    with pytest.raises(MarkerError, match="before this session started"):
        check_wall(iso_time(started - 1.0), started, now)
    with pytest.raises(MarkerError, match="in the future"):
        check_wall(iso_time(now + 2 * FUTURE_SLACK_S), started, now)
    with pytest.raises(MarkerError, match="has not started yet"):
        check_wall(iso_time(now), None, now)


@pytest.mark.parametrize(
    "text, why",
    [
        ("2026-12-01T22:15:03.120", "has no time zone"),
        ("yesterday at noon", "is not an ISO 8601 time"),
        ("{t_wall}%s", "is not an ISO 8601 time"),
    ],
)
def test_a_bad_t_wall_is_refused_naming_it(text, why):
    with pytest.raises(MarkerError, match=why) as refused:
        parse_wall(text)
    assert repr(text) in str(refused.value)  # the sender's text, shown as data


def test_notes_must_be_text_of_bounded_length():
    assert check_note("round 2 starts") == "round 2 starts"
    assert check_note("x" * MAX_NOTE_CHARS) == "x" * MAX_NOTE_CHARS
    with pytest.raises(MarkerError, match="at most"):
        check_note("x" * (MAX_NOTE_CHARS + 1))
    with pytest.raises(MarkerError, match="must be text"):
        check_note(42)
