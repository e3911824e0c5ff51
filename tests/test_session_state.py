"""The session's typed state: one frozen SessionState, sent as a StateChanged event only
when a field really changes, on real sessions (the built-in demo clip, a real video file).
No Qt: the state is what every front end renders."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

import pytest

from fer_desktop.session import (
    AddMarker,
    CalibrateNeutral,
    ChangeSettings,
    FrameAnalysed,
    MarkerPlaced,
    Pause,
    Problem,
    ResetCalibration,
    Seek,
    Session,
    SessionOptions,
    StateChanged,
)
from fer_desktop.settings import Settings
from fer_desktop.sources import SourceError
from fer_desktop.state import SessionState, SourceState
from fer_desktop.timeline import open_timeline

WAIT_S = 60.0  # generous: the machine is shared; nothing here is timed


def test_a_state_with_nothing_changed_names_no_field():
    state = SessionState()
    same, changed = state.changed(paused=False, calibration={}, outputs=())
    assert same == state and changed == frozenset()
    new, changed = state.changed(paused=True, outputs=("timeline", "video"))
    assert changed == {"paused", "outputs"} and new.paused and new.recording
    assert not state.paused and not state.recording  # the old one is untouched
    with pytest.raises(TypeError):
        new.calibration[1] = "calibrated"  # frozen all the way down


class Running:
    """A session on a thread of its own, its events in a queue."""

    def __init__(self, source, options: SessionOptions, outputs=None):
        self.events: queue.Queue = queue.Queue()
        self.session = Session.from_settings(
            source, Settings(), options, outputs, on_event=self.events.put
        )
        self.seen: list = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: Exception | None = None
        self.thread.start()

    def _run(self) -> None:
        try:
            self.session.run()
        except Exception as exc:  # the test looks at it
            self.error = exc

    def until(self, wanted: Callable[[object], bool]):
        """The next event `wanted` accepts (every event on the way is kept in `seen`)."""
        while True:
            event = self.events.get(timeout=WAIT_S)
            self.seen.append(event)
            if wanted(event):
                return event

    def seen_all(self) -> list:
        """Every event so far, those not yet looked at included."""
        while not self.events.empty():
            self.seen.append(self.events.get_nowait())
        return self.seen

    def state(self, wanted: Callable[[SessionState], bool]) -> StateChanged:
        return self.until(lambda e: isinstance(e, StateChanged) and wanted(e.state))

    def stop(self) -> None:
        self.session.stop()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive()


def test_a_file_runs_ends_and_replays_after_a_seek(demo_video):
    run = Running(str(demo_video), SessionOptions(realtime=False, hold_at_end=True))
    ended = run.state(lambda s: s.at_end)
    assert ended.changed == {"source"} and ended.state.source is SourceState.ENDED
    states = [e for e in run.seen if isinstance(e, StateChanged)]
    assert [e.state.source for e in states] == [SourceState.OPENING, SourceState.RUNNING,
                                                SourceState.ENDED]  # fmt: skip
    assert states[0].changed == {"settings"} and states[0].state.settings == Settings()
    frames = run.session.frames
    run.session.send(Seek(0.0))  # held at the end: served at once, without a frame
    run.state(lambda s: s.source is SourceState.RUNNING)
    run.state(lambda s: s.at_end)
    assert run.session.frames == 2 * frames  # the whole file again
    run.stop()
    assert run.error is None


def test_pause_holds_the_frames_and_serves_commands_meanwhile(demo_video):
    run = Running(str(demo_video), SessionOptions(realtime=True))
    run.until(lambda e: isinstance(e, FrameAnalysed))
    run.session.send(Pause(True))
    paused = run.state(lambda s: s.paused)
    assert paused.changed == {"paused"}
    run.session.send(AddMarker("while paused", "window"))
    placed = run.until(lambda e: isinstance(e, MarkerPlaced))
    assert placed.record["note"] == "while paused"
    frames = run.session.frames
    run.session.send(Pause(True))  # paused already: no event
    run.session.send(Pause(False))
    playing = run.state(lambda s: not s.paused)
    assert playing.changed == {"paused"}
    assert [e.state.paused for e in run.seen if isinstance(e, StateChanged)
            and "paused" in e.changed] == [True, False]  # fmt: skip
    run.until(lambda e: isinstance(e, FrameAnalysed))
    assert run.session.frames > frames  # frames again
    run.session.send(Pause(True))
    run.state(lambda s: s.paused)
    run.stop()  # wakes the paused session
    assert run.error is None


def test_stop_while_paused_ends_the_session(demo_video):
    run = Running(str(demo_video), SessionOptions(realtime=True))
    run.session.send(Pause(True))
    run.state(lambda s: s.paused)
    run.stop()
    assert run.session.finished.is_set() and run.error is None


def test_settings_in_the_state_once_applied_and_a_refusal_names_its_command(demo_video, tmp_path):
    run = Running(str(demo_video), SessionOptions(realtime=False, hold_at_end=True))
    run.state(lambda s: s.at_end)
    smoother = Settings(smoothing=0.5)
    run.session.send(ChangeSettings(smoother))
    applied = run.state(lambda s: s.settings == smoother)
    assert applied.changed == {"settings"}
    gone = ChangeSettings(Settings(model=str(tmp_path / "gone.tflite"), smoothing=0.5))
    run.session.send(gone)
    run.session.send(ChangeSettings(smoother))  # the same again: nothing changes
    run.session.send(AddMarker("after", "window"))
    problem = run.until(lambda e: isinstance(e, Problem))
    assert problem.refused == gone and "gone.tflite" in problem.message
    run.until(lambda e: isinstance(e, MarkerPlaced))
    after = run.seen[run.seen.index(applied) + 1 :]
    assert not [e for e in after if isinstance(e, StateChanged)]
    assert run.session.state.settings == smoother
    run.stop()


def test_calibration_per_face_is_in_the_state(demo_video):
    run = Running(str(demo_video), SessionOptions(realtime=False, hold_at_end=True))
    run.state(lambda s: s.at_end)
    run.session.send(CalibrateNeutral(2.0))  # the demo face is in the last frame
    collecting = run.state(lambda s: bool(s.calibration))
    assert collecting.changed == {"calibration"}
    assert dict(collecting.state.calibration) == {1: "collecting"}
    run.session.send(ResetCalibration())
    reset = run.state(lambda s: not s.calibration)
    assert reset.changed == {"calibration"}
    run.stop()


def test_outputs_and_recording_in_the_state(demo_video, tmp_path):
    timeline = open_timeline(tmp_path / "t.csv", "csv")
    run = Running(str(demo_video), SessionOptions(realtime=False), [timeline])
    run.thread.join(WAIT_S)
    outputs = [e.state.outputs for e in run.seen_all() if isinstance(e, StateChanged)
               and "outputs" in e.changed]  # fmt: skip
    assert outputs == [("timeline",), ()]
    assert run.session.state.at_end and not run.session.state.recording


def test_a_source_that_cannot_be_opened_is_failed_with_its_reason(tmp_path):
    run = Running(str(tmp_path / "missing.mp4"), SessionOptions(realtime=False))
    run.thread.join(WAIT_S)
    assert isinstance(run.error, SourceError)
    state = run.session.state
    assert state.source is SourceState.FAILED and "missing.mp4" in state.error
