"""Rig alerts from the face mesh's measures: drowsy, distracted, yawn, face-lost, eyes-hidden.

`live --alert drowsy,distracted,...` runs an `AlertMonitor` on each stream: fed every
analysed frame, it returns "alert" events (state "start" or "end") and "blink" events, which
the session sends to every output. Thresholds (`Thresholds`, `[alerts]` in rig.toml) default
to values from the driver-monitoring literature:

- drowsy: PERCLOS >= 0.15 over 60 s (Wierwille et al. 1994; once the window is full), or the
  eyes closed for >= 1.5 s; ends when PERCLOS is below 0.12 and the eyes are open for 1 s.
- distracted: the head's direction plus the eyes' (gaze, with `--mesh eyes`) more than 30°
  left/right or 20° up/down from the road for >= 2 s (Euro NCAP's "eyes off road" uses 2-3 s);
  back within the tolerance less 5° for 1 s ends it.
- yawn: mouth opening >= 0.5 (inner-lip gap over mouth width) for >= 1.5 s; ends below 0.4.
- face-lost: no face in view for >= 2 s; ends with the first face.
- eyes-hidden: a face is found but its mesh gives no eye measures (presence low, face too
  small) for >= 2 s; a face turned too far counts as distracted, not hidden.

Alerts are per face (`face_id`), face-lost per stream. Pure Python and numpy: no Qt.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fer_desktop.errors import UsageError
from fer_desktop.eye_state import EyeReading, EyeState
from fer_desktop.measures import EYES_HIDDEN, FaceMeasures
from fer_desktop.results import FrameResult, TrackedFace, event_record
from fer_desktop.settings import Settings

ALERT_KINDS = ("drowsy", "distracted", "yawn", "face-lost", "eyes-hidden")
NEED_MESH = ("drowsy", "distracted", "yawn", "eyes-hidden")
EYE_WIDTH_OVER_RADIUS = 2.5  # an eye ~30 mm wide on an eyeball of ~12 mm radius
ANGLE_HYSTERESIS_DEG = 5.0


def _limit(default: float, lo: float, hi: float, help: str) -> Any:
    return dataclasses.field(default=default, metadata={"lo": lo, "hi": hi, "help": help})


@dataclass(frozen=True)
class Thresholds:
    """What makes each alert start and end (seconds, degrees, fractions); `[alerts]` in
    rig.toml. Out of range: UsageError naming the setting."""

    perclos: float = _limit(0.15, 0.01, 1.0, "PERCLOS that starts drowsy")
    perclos_clear: float = _limit(0.12, 0.0, 1.0, "PERCLOS below which drowsy may end")
    perclos_window_s: float = _limit(60.0, 5.0, 600.0, "PERCLOS window, seconds")
    closed_s: float = _limit(1.5, 0.2, 30.0, "eyes closed this long: drowsy")
    yaw_deg: float = _limit(30.0, 5.0, 90.0, "left/right tolerance around the road, degrees")
    pitch_deg: float = _limit(20.0, 5.0, 90.0, "up/down tolerance around the road, degrees")
    road_yaw_deg: float = _limit(0.0, -90.0, 90.0, "the road's direction seen from the camera")
    road_pitch_deg: float = _limit(0.0, -90.0, 90.0, "the road's elevation seen from the camera")
    off_road_s: float = _limit(2.0, 0.2, 30.0, "looking off the road this long: distracted")
    yawn_opening: float = _limit(0.5, 0.1, 2.0, "mouth opening that starts a yawn")
    yawn_clear: float = _limit(0.4, 0.0, 2.0, "mouth opening below which a yawn may end")
    yawn_s: float = _limit(1.5, 0.2, 30.0, "mouth open this long: yawn")
    face_lost_s: float = _limit(2.0, 0.2, 60.0, "no face this long: face-lost")
    eyes_hidden_s: float = _limit(2.0, 0.2, 60.0, "no eye measures this long: eyes-hidden")
    clear_s: float = _limit(1.0, 0.0, 30.0, "a condition gone this long ends its alert")
    learn_s: float = _limit(3.0, 0.5, 60.0, "seconds that give the open-eye level")

    @classmethod
    def check(cls, name: str, value: Any) -> float:
        """One setting's value, checked on its own (UsageError naming it)."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if name not in fields:
            raise UsageError(
                f"unknown alert setting alerts.{name} (known: {', '.join(sorted(fields))})"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise UsageError(f"alerts.{name} must be a number (got {value!r})")
        lo, hi = fields[name].metadata["lo"], fields[name].metadata["hi"]
        if not (lo <= value <= hi):
            raise UsageError(f"alerts.{name} must be between {lo:g} and {hi:g} (got {value})")
        return float(value)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, self.check(f.name, getattr(self, f.name)))
        for clear, start in (("perclos_clear", "perclos"), ("yawn_clear", "yawn_opening")):
            if getattr(self, clear) > getattr(self, start):
                raise UsageError(f"alerts.{clear} must not be above alerts.{start}")

    @classmethod
    def of(cls, values: dict[str, Any] | None) -> Thresholds:
        """Thresholds from a table's values, naming any unknown key."""
        values = dict(values or {})
        for name, value in values.items():
            cls.check(name, value)
        return cls(**values)


def parse_kinds(text: str) -> tuple[str, ...]:
    """`--alert drowsy,yawn` -> the kinds, checked; 'all' is every kind."""
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    if kinds == ["all"]:
        return ALERT_KINDS
    for kind in kinds:
        if kind not in ALERT_KINDS:
            raise UsageError(
                f"--alert: unknown alert {kind!r} (known: {', '.join(ALERT_KINDS)}, all)"
            )
    if not kinds:
        raise UsageError(f"--alert: name one or more of {', '.join(ALERT_KINDS)}")
    return tuple(dict.fromkeys(kinds))


class Hold:
    """A condition that must hold `on_s` to start and be gone `off_s` to end (hysteresis in
    time). `update` returns "start", "end" or None; None conditions (no evidence) change
    nothing and restart the pending wait."""

    def __init__(self, on_s: float, off_s: float):
        self.on_s, self.off_s = on_s, off_s
        self.active = False
        self.since: float | None = None  # when the pending change's condition began

    def update(self, t: float, condition: bool | None) -> str | None:
        if condition is None or condition == self.active:
            self.since = None
            return None
        if self.since is None:
            self.since = t
        if t - self.since >= (self.off_s if self.active else self.on_s):
            self.active, self.since = not self.active, None
            return "start" if self.active else "end"
        return None


def gaze_deg(gaze: tuple[float, float]) -> tuple[float, float]:
    """Iris offset (eye widths) -> eye rotation (degrees, right and down), approximately:
    asin(offset x eye width / eyeball radius)."""
    return tuple(
        math.degrees(math.asin(max(-1.0, min(1.0, v * EYE_WIDTH_OVER_RADIUS)))) for v in gaze
    )


def off_road(m: FaceMeasures, th: Thresholds, active: bool) -> tuple[bool | None, str]:
    """Whether head (and gaze) point away from the road, with the angles as text."""
    if m.pose is None:
        return None, ""
    yaw, pitch = m.pose.yaw, m.pose.pitch
    if m.gaze is not None:
        gx, gy = gaze_deg(m.gaze)
        yaw, pitch = yaw + gx, pitch - gy
    yaw, pitch = yaw - th.road_yaw_deg, pitch - th.road_pitch_deg
    margin = ANGLE_HYSTERESIS_DEG if active else 0.0
    away = abs(yaw) > th.yaw_deg - margin or abs(pitch) > th.pitch_deg - margin
    return away, f"looking {yaw:+.0f}° across, {pitch:+.0f}° up from the road"


class FaceAlerts:
    """One face's eye state and per-face alerts."""

    def __init__(self, kinds: tuple[str, ...], th: Thresholds, level: float | None = None):
        self.kinds, self.th = kinds, th
        self.eyes = EyeState(level, th.learn_s, th.perclos_window_s)
        self.holds = {
            "drowsy": Hold(0.0, th.clear_s),
            "distracted": Hold(th.off_road_s, th.clear_s),
            "yawn": Hold(th.yawn_s, th.clear_s),
            "eyes-hidden": Hold(th.eyes_hidden_s, th.clear_s),
        }
        self._perclos_high = False
        self.last_seen = 0.0

    def _drowsy(self, r: EyeReading) -> tuple[bool, str]:
        th = self.th
        full = r.perclos is not None and r.perclos_span_s >= 0.95 * th.perclos_window_s
        if not full:
            self._perclos_high = False
        elif self._perclos_high:
            self._perclos_high = r.perclos >= th.perclos_clear
        else:
            self._perclos_high = r.perclos >= th.perclos
        closed = bool(r.closed) and r.closed_s >= th.closed_s
        if closed:
            return True, f"eyes closed {r.closed_s:.1f} s"
        if self._perclos_high:
            return True, f"PERCLOS {r.perclos:.2f} over {th.perclos_window_s:g} s"
        return False, "eyes open"

    def conditions(self, face: TrackedFace, t: float) -> tuple[EyeReading, dict]:
        """This frame's eye reading and each alert's (condition, reason)."""
        m = face.measures
        openness = None if m is None or m.eye_openness is None else sum(m.eye_openness) / 2
        reading = self.eyes.update(t, openness)
        out: dict[str, tuple[bool | None, str]] = {"drowsy": self._drowsy(reading)}
        if m is None:
            out["eyes-hidden"] = (True, "no face mesh")
            return reading, out
        out["distracted"] = off_road(m, self.th, self.holds["distracted"].active)
        if m.mouth_opening is not None:
            limit = self.th.yawn_clear if self.holds["yawn"].active else self.th.yawn_opening
            out["yawn"] = (m.mouth_opening >= limit, f"mouth opening {m.mouth_opening:.2f}")
        # no face in the mesh crop, or a face whose eyes something covers
        covered = (m.reason or "").startswith(EYES_HIDDEN)
        hidden = m.eye_openness is None and (m.pose is None or covered)
        out["eyes-hidden"] = (hidden, m.reason or "eyes measured")
        return reading, out


class AlertMonitor:
    """Turns each analysed frame into alert and blink event records (results.event_record)."""

    def __init__(
        self, kinds: tuple[str, ...], thresholds: Thresholds | None = None,
        open_level: float | None = None,
    ):  # fmt: skip
        self.kinds = kinds
        self.th = thresholds or Thresholds()
        self.open_level = open_level  # a calibrated open-eye level, for every face
        self.faces: dict[int, FaceAlerts] = {}
        self.lost = Hold(self.th.face_lost_s, 0.0)
        self.active: dict[tuple[str, int | None], float] = {}  # (kind, face) -> start t

    def _alert(self, t: float, kind: str, change: str, face: int | None, reason: str) -> dict:
        key = (kind, face)
        if change == "start":
            self.active[key] = t
        since = self.active.pop(key, t) if change == "end" else t
        who = "" if face is None else f"face {face}: "
        fields: dict[str, Any] = {"alert": kind, "state": change, "face_id": face}
        if change == "end":
            fields["duration_s"] = round(t - since, 3)
        return event_record("alert", t, **fields, note=f"{who}{kind} {change}: {reason}")

    def frame(self, result: FrameResult) -> list[dict]:
        """The events this frame makes, in order."""
        t, events = result.t_source, []
        if "face-lost" in self.kinds:
            change = self.lost.update(t, not result.faces)
            if change:
                why = "no face in view" if change == "start" else "a face is back"
                events.append(self._alert(t, "face-lost", change, None, why))
        for face in result.faces:
            alerts = self.faces.get(face.id)
            if alerts is None:
                alerts = self.faces[face.id] = FaceAlerts(self.kinds, self.th, self.open_level)
            alerts.last_seen = t
            reading, conditions = alerts.conditions(face, t)
            if reading.blink is not None:
                b = reading.blink
                events.append(
                    event_record(
                        "blink", t, face_id=face.id, onset=round(b.onset, 4),
                        duration_s=round(b.duration, 4),
                        note=f"face {face.id}: eyes closed {b.duration:.2f} s",
                    )
                )  # fmt: skip
            for kind, hold in alerts.holds.items():
                if kind not in self.kinds:
                    continue
                condition, reason = conditions.get(kind, (None, ""))
                change = hold.update(t, condition)
                if change:
                    events.append(self._alert(t, kind, change, face.id, reason))
        events += self._forget(t)
        return events

    def _forget(self, t: float) -> list[dict]:
        """Faces unseen longer than face_lost_s: their alerts end and they are forgotten."""
        events = []
        for face_id, alerts in list(self.faces.items()):
            if t - alerts.last_seen > self.th.face_lost_s:
                for kind, hold in alerts.holds.items():
                    if hold.active:
                        events.append(self._alert(t, kind, "end", face_id, "face gone"))
                del self.faces[face_id]
        return events

    def close(self, t: float) -> list[dict]:
        """End every active alert (the session ends)."""
        return [
            self._alert(t, kind, "end", face, "session ended") for kind, face in list(self.active)
        ]


def rig_alerts(args: Any, settings: Settings) -> Callable[[], AlertMonitor | None]:
    """`live --alert` and the config's `[alerts]` (args.alert_thresholds), checked before
    anything opens: a maker of one monitor per stream (None without --alert)."""
    if not getattr(args, "alert", None):
        return lambda: None
    kinds = parse_kinds(args.alert)
    thresholds = Thresholds.of(getattr(args, "alert_thresholds", None))
    needs = [k for k in kinds if k in NEED_MESH]
    if needs and settings.mesh == "off":
        raise UsageError(f"--alert {needs[0]} needs the face mesh: add --mesh face (or eyes)")
    return lambda: AlertMonitor(kinds, thresholds)
