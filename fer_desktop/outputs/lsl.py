"""Lab Streaming Layer: a per-frame stream of face readings and an irregular marker stream.

LSL is how labs and driving simulators line up eye trackers, EEG and skin response;
LabRecorder writes every stream on the network into one XDF file. We use the LSL API of
mne-lsl, whose wheel bundles liblsl (pylsl's Linux wheel does not, and would need a system
liblsl). Install it with `pip install mne-lsl` (the `[lsl]` extra).

The frame stream "fer_desktop" (type "Expression") has a fixed number of face slots, each of
five float32 channels: face id, p_happy, p_neutral, p_sad, valence. Empty slots and labels a
model lacks (p_neutral for the 2-class model) are NaN. Its nominal rate is the source's frame
rate. The marker stream "fer_desktop-markers" (type "Markers", irregular, one string channel)
carries markers, camera gaps and setting changes as JSON. Timestamps come from LSL's clock.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np

from fer_desktop._quiet import native_stderr_silenced
from fer_desktop.outputs import Output, OutputError, SessionInfo
from fer_desktop.results import FrameResult, event_record

CHANNELS = ("id", "p_happy", "p_neutral", "p_sad", "valence")
DEFAULT_SLOTS = 4
STREAM_NAME = "fer_desktop"
END_MARKER_WAIT_S = 0.1  # lets the end marker leave before the outlet goes
# Events on the marker stream: all but "end" (the outlet goes away) are what a lab records.
MARKER_EVENTS = ("marker", "gap", "seek", "setting", "labels", "status", "calibration")


def _lsl():
    try:
        from mne_lsl import lsl
    except ImportError as exc:
        raise OutputError(
            "Lab Streaming Layer needs mne-lsl (the [lsl] extra): pip install mne-lsl"
        ) from exc
    return lsl


def channel_names(slots: int) -> list[str]:
    return [f"face{s + 1}_{c}" for s in range(slots) for c in CHANNELS]


class LslOutput(Output):
    name = "LSL"

    def __init__(self, slots: int = DEFAULT_SLOTS, name: str = STREAM_NAME):
        self.slots = slots
        self.stream_name = name
        self._lsl = _lsl()
        self.frames = 0

    def start(self, info: SessionInfo) -> None:
        with native_stderr_silenced():  # liblsl logs its configuration at INFO level
            self._start(info)

    def _start(self, info: SessionInfo) -> None:
        lsl = self._lsl
        rate = float(info.fps) if info.fps and math.isfinite(info.fps) else 0.0
        self._labels = info.labels
        sinfo = lsl.StreamInfo(
            self.stream_name,
            "Expression",
            self.slots * len(CHANNELS),
            rate,
            "float32",
            f"{self.stream_name}-{info.source}",
        )
        sinfo.set_channel_names(channel_names(self.slots))
        sinfo.set_channel_types(["expression"] * self.slots * len(CHANNELS))
        sinfo.set_channel_units(["id", "p", "p", "p", "valence"] * self.slots)
        markers = lsl.StreamInfo(
            f"{self.stream_name}-markers",
            "Markers",
            1,
            0.0,
            "string",
            f"{self.stream_name}-markers-{info.source}",
        )
        try:
            self._outlet = lsl.StreamOutlet(sinfo)
            self._markers = lsl.StreamOutlet(markers)
        except Exception as exc:  # liblsl reports its failures as plain RuntimeErrors
            raise OutputError(f"cannot open the LSL outlets: {exc}") from exc
        self._clock = lsl.local_clock

    def sample(self, result: FrameResult) -> np.ndarray:
        """The frame as one LSL sample (NaN where a slot or a label is empty)."""
        x = np.full(self.slots * len(CHANNELS), np.nan, np.float32)
        for s, face in enumerate(result.faces[: self.slots]):
            p = dict(zip(result.labels, face.smooth, strict=True))
            values = [face.id, p.get("happy"), p.get("neutral"), p.get("sad"), face.valence]
            x[s * 5 : s * 5 + 5] = [np.nan if v is None else v for v in values]
        return x

    def frame(self, result: FrameResult, bgr: np.ndarray) -> None:
        self._outlet.push_sample(self.sample(result), self._clock())
        self.frames += 1

    def event(self, record: dict) -> None:
        if record.get("event") in MARKER_EVENTS:
            self._markers.push_sample([json.dumps(record)], self._clock())

    def close(self, summary: dict) -> None:
        markers = getattr(self, "_markers", None)
        if markers is not None:  # the end marker: a recorder knows the stream ended on purpose
            end = event_record("end", None, frames=self.frames, stopped=summary.get("stopped"))
            markers.push_sample([json.dumps(end)], self._clock())
            time.sleep(END_MARKER_WAIT_S)
        for attr in ("_outlet", "_markers"):
            outlet = getattr(self, attr, None)
            if outlet is not None:
                setattr(self, attr, None)
                del outlet

    @property
    def state(self) -> str:
        return f"LSL {self.stream_name}"
