"""Lab Streaming Layer: a per-frame stream of face readings and an irregular marker stream.

LSL is how labs and driving simulators line up eye trackers, EEG and skin response;
LabRecorder writes every stream into one XDF file. We use the LSL API of mne-lsl, whose wheel
bundles liblsl (pylsl's Linux wheel does not, and would need a system liblsl). Install it
with `pip install mne-lsl` (the `[lsl]` extra).

The frame stream "fer_desktop" (type "Expression", float64) starts with three channels for the
frame, then a fixed number of face slots of five channels each:
- `frame` (the session's frame number, as on every JSON line), `t_source` (seconds on the
  session's time base), `faces` (faces in view, slots or not);
- per slot: face id, p_happy, p_neutral, p_sad, valence. Empty slots and labels a model lacks
  (p_neutral for the 2-class model) are NaN;
- then, after every slot's five, the eyes-and-head measures per slot (`face1_yaw`, ...):
  yaw, pitch, roll (degrees), eye_open_right, eye_open_left, mouth_open (ratios), gaze_x,
  gaze_y (eye widths), mesh_presence (0-1) and the action-unit proxies au_* (fractions of
  the interocular distance, against the face's resting face), as measure_columns.py names
  them. NaN when the face mesh is off, the slot is empty, the face could not be measured (too
  small, turned too far: the reason is on the JSON lines, not here) or, for au_*, has no
  resting face yet. Appended, so the first channels keep
  their places whatever the mesh setting.
Which face is in which slot is face_slots.FaceSlots's choice: a face keeps its slot while it
stays in view; with a `driver` rule, slot 1 is the driver's. The stream's
description (desc/fer_desktop) says all of this, for whoever reads the XDF file.

Each sample is stamped with the moment its frame was captured, on LSL's clock (liblsl's
local_clock), so it lines up with the other streams of a recording. The nominal rate is the
source's frame rate; a camera that is not there at start (`--wait-for-camera`) gets its
stream once its rate is known. The marker stream "fer_desktop-markers" (type "Markers",
irregular, one string channel) carries markers, camera gaps and setting changes as JSON.

Who can read them: anyone who can reach this machine. liblsl (1.17) serves every outlet on
all network interfaces (TCP and UDP from port 16572, discovery on UDP 16571) and its
configuration cannot bind them to 127.0.0.1: its ListenAddress moves only the discovery
socket, and then a consumer on this machine with the default configuration finds just one
of the outlets. Keep the streams on the machine with a firewall; the systemd unit
(packaging/rig) does it with IPAddressAllow=localhost. `live --lsl` says so on stderr
unless `--lsl-network` says the network is meant.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from fer_desktop import measure_columns
from fer_desktop._quiet import native_stderr_silenced
from fer_desktop.outputs import Output, OutputError, SessionInfo
from fer_desktop.outputs.face_slots import Driver, FaceSlots
from fer_desktop.results import FrameResult, event_record, mesh_record

FRAME_CHANNELS = ("frame", "t_source", "faces")
CHANNELS = ("id", "p_happy", "p_neutral", "p_sad", "valence")  # per face slot
MEASURE_CHANNELS = tuple(measure_columns.NUMBERS)  # per face slot, after every slot's CHANNELS
N_AU = sum(1 for c in MEASURE_CHANNELS if c.startswith("au_"))
MEASURE_TYPES = (
    ("head_pose",) * 3 + ("eye",) * 2 + ("mouth",) + ("gaze",) * 2 + ("presence",)
    + ("action_unit",) * N_AU
)  # fmt: skip
MEASURE_UNITS = ("deg",) * 3 + ("ratio",) * 3 + ("eye_widths",) * 2 + ("p",) + ("iod",) * N_AU
DEFAULT_SLOTS = 4
STREAM_NAME = "fer_desktop"
END_MARKER_WAIT_S = 0.1  # lets the end marker leave before the outlet goes
# Events on the marker stream: all but "end" (the outlet goes away) are what a lab records.
MARKER_EVENTS = (
    "marker", "gap", "seek", "setting", "labels", "status", "calibration", "alert", "blink",
)  # fmt: skip
EXPOSED = (
    "LSL streams are readable from every network interface (liblsl cannot bind them to "
    "127.0.0.1): firewall TCP/UDP 16571-16603, or run the systemd unit, which keeps them on "
    "this machine; --lsl-network if the network is meant"
)


def liblsl():
    """mne-lsl's LSL API, or an OutputError saying how to install it."""
    try:
        from mne_lsl import lsl
    except ImportError as exc:
        raise OutputError(
            "Lab Streaming Layer needs mne-lsl (the [lsl] extra): pip install mne-lsl"
        ) from exc
    return lsl


def channel_names(slots: int) -> list[str]:
    """Every channel's name: the frame's, each slot's CHANNELS, each slot's measures."""
    faces = [f"face{s + 1}_{c}" for s in range(slots) for c in CHANNELS]
    measures = [f"face{s + 1}_{c}" for s in range(slots) for c in MEASURE_CHANNELS]
    return [*FRAME_CHANNELS, *faces, *measures]


def channel_count(slots: int) -> int:
    return len(FRAME_CHANNELS) + slots * (len(CHANNELS) + len(MEASURE_CHANNELS))


class LslOutput(Output):
    name = "LSL"

    def __init__(
        self,
        slots: int = DEFAULT_SLOTS,
        name: str = STREAM_NAME,
        driver: Driver | None = None,
    ):
        self.slots = FaceSlots(slots, driver)
        self.n_slots = slots
        self.stream_name = name
        self.driver = driver
        self._lsl = liblsl()
        self.frames = 0
        self._outlet = self._markers = None

    def start(self, info: SessionInfo) -> None:
        self._info = info
        self._labels = info.labels
        with native_stderr_silenced():  # liblsl logs its configuration at INFO level
            self._markers = self._open(self._marker_info(info))
            if info.fps and math.isfinite(info.fps):  # else: once the camera says its rate
                self._open_frames(info.fps)

    def _open(self, sinfo):
        try:
            return self._lsl.StreamOutlet(sinfo)
        except Exception as exc:  # liblsl reports its failures as plain RuntimeErrors
            raise OutputError(f"cannot open the LSL outlets: {exc}") from exc

    def _marker_info(self, info: SessionInfo):
        return self._lsl.StreamInfo(
            f"{self.stream_name}-markers",
            "Markers",
            1,
            0.0,
            "string",
            f"{self.stream_name}-markers-{info.source}",
        )

    def _open_frames(self, rate: float) -> None:
        """The frame stream, at `rate` frames a second (0: irregular, when never known)."""
        sinfo = self._lsl.StreamInfo(
            self.stream_name,
            "Expression",
            channel_count(self.n_slots),
            rate,
            "float64",
            f"{self.stream_name}-{self._info.source}",
        )
        sinfo.set_channel_names(channel_names(self.n_slots))
        sinfo.set_channel_types(
            ["frame", "time", "count"]
            + ["expression"] * self.n_slots * len(CHANNELS)
            + list(MEASURE_TYPES) * self.n_slots
        )
        sinfo.set_channel_units(
            ["count", "s", "count"]
            + ["id", "p", "p", "p", "valence"] * self.n_slots
            + list(MEASURE_UNITS) * self.n_slots
        )
        about = sinfo.desc.append_child("fer_desktop")
        about.append_child_value("slots", str(self.n_slots))
        about.append_child_value("slot_order", self._slot_order())
        about.append_child_value(
            "timestamps", "the frame's capture, on LSL's clock; t_source is the session's time"
        )
        about.append_child_value("labels", ",".join(self._labels))
        about.append_child_value(
            "measures",
            "after every slot's expression channels, each slot's "
            + ",".join(MEASURE_CHANNELS)
            + " (degrees, ratios, eye widths, 0-1, au_*: interocular distances); NaN with the "
            "face mesh off, a face not measured (too small, turned too far; the JSON lines "
            "say why) or, for au_*, no resting face yet (--calibrate)",
        )
        about.append_child_value("mesh_at_start", str(self._info.settings.get("mesh", "off")))
        self._outlet = self._open(sinfo)

    def _slot_order(self) -> str:
        kept = "a face keeps its slot while in view; a new face takes the lowest free slot"
        if self.driver is None:
            return kept
        return f"slot 1: the driver ({self.driver.describe()}), kept while in view; {kept}"

    def sample(self, result: FrameResult) -> np.ndarray:
        """The frame as one LSL sample (NaN where a slot or a label is empty)."""
        x = np.full(channel_count(self.n_slots), np.nan)
        measures_at = len(FRAME_CHANNELS) + self.n_slots * len(CHANNELS)
        x[:3] = result.index, result.t_source, len(result.faces)
        for s, face in enumerate(self.slots.assign(result)):
            if face is None:
                continue
            p = dict(zip(result.labels, face.smooth, strict=True))
            valence = face.valence if result.labels else None  # --model none: NaN
            values = [face.id, p.get("happy"), p.get("neutral"), p.get("sad"), valence]
            at = len(FRAME_CHANNELS) + s * len(CHANNELS)
            x[at : at + len(CHANNELS)] = [np.nan if v is None else v for v in values]
            if face.measures is not None:
                flat = measure_columns.flat(mesh_record(face))
                at = measures_at + s * len(MEASURE_CHANNELS)
                x[at : at + len(MEASURE_CHANNELS)] = [
                    np.nan if flat[c] is None else flat[c] for c in MEASURE_CHANNELS
                ]
        return x

    def stamp(self, result: FrameResult) -> float:
        """When the frame was captured, on LSL's clock."""
        now = self._lsl.local_clock()
        if result.t_monotonic is None:
            return now
        return now - (time.monotonic() - result.t_monotonic)

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        if self._outlet is None:  # the rate never came: irregular
            self._open_frames(0.0)
        self._outlet.push_sample(self.sample(result), self.stamp(result))
        self.frames += 1

    def event(self, record: dict) -> None:
        fps = record.get("fps")
        if self._outlet is None and record.get("event") == "status" and fps:
            self._open_frames(float(fps))  # the camera came: now its rate is known
        if record.get("event") in MARKER_EVENTS:
            self._markers.push_sample([json.dumps(record)], self._lsl.local_clock())

    def close(self, summary: dict) -> None:
        if self._markers is not None:  # the end marker: a recorder knows the stream ended
            end = event_record("end", None, frames=self.frames, stopped=summary.get("stopped"))
            self._markers.push_sample([json.dumps(end)], self._lsl.local_clock())
            time.sleep(END_MARKER_WAIT_S)
        self._outlet = self._markers = None  # liblsl closes an outlet when it is let go

    @property
    def state(self) -> str:
        return f"LSL {self.stream_name}"
