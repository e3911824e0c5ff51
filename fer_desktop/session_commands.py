"""What each typed command does to a session (`apply`), through the parts it steers
(`Steered`): its pipeline, source, report and markers. The session's thread only; a command
refused (a model that cannot load…) raises FerDesktopError for the session to report.
"""

from __future__ import annotations

from typing import Protocol

from fer_desktop.outputs import SessionInfo
from fer_desktop.pipeline import CALIBRATION_FIELDS, Pipeline
from fer_desktop.session_markers import SessionMarkers
from fer_desktop.session_messages import (
    AddMarker,
    AddOutput,
    CalibrateNeutral,
    ChangeSettings,
    Command,
    Pause,
    RemoveOutput,
    ResetCalibration,
    Seek,
    SetRealtime,
    Status,
    Together,
)
from fer_desktop.session_report import SessionReport
from fer_desktop.settings import Settings
from fer_desktop.sources import FrameSource, VideoSource


class Steered(Protocol):
    """What commands steer: a running session's parts (a Session is one)."""

    pipeline: Pipeline | None
    realtime: bool
    last_t: float  # the session's time now: the t_source of the frame analysed last
    report: SessionReport
    markers: SessionMarkers

    @property
    def source(self) -> FrameSource | None: ...

    def info(self) -> SessionInfo: ...

    def jumped(self) -> None:
        """After a seek: the pacing clock re-anchors, blinks start afresh."""


def apply(command: Command, session: Steered) -> None:
    """Do `command` to `session`."""
    p, report, source = session.pipeline, session.report, session.source
    match command:
        case Together(commands):
            for each in commands:
                apply(each, session)
        case Pause(paused):
            if paused != report.state.paused and source is not None and source.live:
                # a camera's time runs on while paused: the hole is marked like an outage
                report.event("gap", note="paused" if paused else "resumed")
            report.set_state(paused=paused)
        case SetRealtime(realtime):
            session.realtime = realtime
        case Seek(position) if isinstance(source, VideoSource):
            if source.frame_count:
                target = round(min(max(position, 0.0), 1.0) * (source.frame_count - 1))
                source.seek(target)
                p.seeked()  # the same people keep their ids
                report.event("seek", to_t_source=round(target / source.fps, 4))
                session.jumped()
        case AddMarker(note, by, t_wall):
            running = not (report.state.paused or report.state.at_end)
            report.marker(session.markers.record(note, by, t_wall, session.last_t, running))
        case ChangeSettings(settings):
            change_settings(p, settings, report)
        case CalibrateNeutral(seconds):
            ids = p.calibrate(seconds, session.last_t)
            if not ids:
                report.tell(Status("calibration: no face in view"))
            report.setting(calibrate_neutral_s=seconds, faces=ids)
            report.calibration(p.calibration_notices())
        case ResetCalibration():
            p.reset_calibration()
            report.event("calibration", state="reset", face_id=None)
            report.set_state(calibration={})
            report.tell(Status("calibration reset: every face reads raw until calibrated"))
        case AddOutput(output):
            report.outputs.add(output, session.info())
        case RemoveOutput(output):
            report.outputs.remove(output)


def change_settings(p: Pipeline, settings: Settings, report: SessionReport) -> None:
    """Apply `settings` to the pipeline (FerDesktopError: refused, nothing changed); what
    changed goes into a "setting" event and the state, new labels to every output."""
    labels = p.labels
    changed = p.apply(settings)
    if changed:
        if p.labels != labels:
            changed["labels"] = p.labels
        report.setting(**changed)
        forgot = changed.keys() & {"model", *CALIBRATION_FIELDS}  # a new calibrator
        calibration = {} if forgot else report.state.calibration
        report.set_state(settings=p.settings, calibration=calibration)
        if "mesh" in changed:
            report.problems(p.notices)
    if p.labels != labels:
        report.outputs.relabel(p.labels)
