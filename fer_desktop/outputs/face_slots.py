"""Which face goes in which slot of a fixed-width stream (LSL): slots kept by tracked id, and
slot 1 for the driver when a rule says who that is.

A face keeps its slot while it stays in view (and HOLD_S after it was last seen: a missed
detection does not give its slot away); a new face takes the lowest free slot, or the slot of
a face that is out of view, longest gone first; faces beyond the slots are left out (the
stream counts them). With a `Driver` rule, slot 1 is the driver's: the largest face (centred
in a region of the frame, when one is given), kept until it has left the view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fer_desktop.outputs import OutputError
from fer_desktop.results import Box, FrameResult, TrackedFace

HOLD_S = 1.0  # a face unseen this long gives up its slot (the tracker's own grace)


@dataclass(frozen=True)
class Driver:
    """Which face is the driver (slot 1): the largest one whose centre lies in `region`
    (x, y, w, h as fractions of the frame; None: anywhere)."""

    region: tuple[float, float, float, float] | None = None

    @classmethod
    def parse(cls, text: str) -> Driver:
        """'largest' or 'X,Y,W,H' (fractions of the frame: the largest face centred there)."""
        if text.strip().lower() == "largest":
            return cls()
        try:
            x, y, w, h = (float(v) for v in text.split(","))
        except ValueError:
            x = y = w = h = -1.0
        if not (0 <= x < 1 and 0 <= y < 1 and 0 < w <= 1 - x and 0 < h <= 1 - y):
            raise OutputError(
                f"--lsl-driver {text}: give 'largest' or a region X,Y,W,H in fractions of the "
                "frame, e.g. 0.5,0,0.5,1 for its right half"
            )
        return cls((x, y, w, h))

    def pick(self, faces: list[TrackedFace], width: int, height: int) -> TrackedFace | None:
        def inside(box: Box) -> bool:
            if self.region is None:
                return True
            x, y, w, h = self.region
            cx, cy = (box[0] + box[2] / 2) / width, (box[1] + box[3] / 2) / height
            return x <= cx <= x + w and y <= cy <= y + h

        candidates = [f for f in faces if inside(f.box)]
        return max(candidates, key=lambda f: f.box[2] * f.box[3], default=None)

    def describe(self) -> str:
        if self.region is None:
            return "largest face"
        return "largest face centred in x,y,w,h = " + ",".join(f"{v:g}" for v in self.region)


class FaceSlots:
    """Which face is in which slot: a face keeps its slot while in view (and `hold` seconds
    after it was last seen); a new face takes the lowest free slot, or one whose face is
    gone; with a `driver`, slot 1 is the driver's until the driver leaves the view."""

    def __init__(self, slots: int, driver: Driver | None = None, hold: float = HOLD_S):
        if slots < 1:
            raise OutputError("--lsl-slots must be 1 or more")
        self.driver = driver
        self.hold = hold
        self._ids: list[int | None] = [None] * slots
        self._seen: dict[int, float] = {}  # face id -> t_source when last in view

    def assign(self, result: FrameResult) -> list[TrackedFace | None]:
        """The faces of this frame in slot order (None for an empty slot)."""
        t = result.t_source
        faces = {f.id: f for f in result.faces}
        for face_id in faces:
            self._seen[face_id] = t
        for s, face_id in enumerate(self._ids):  # gone for longer than `hold`: the slot frees
            if face_id is not None and t - self._seen.get(face_id, -math.inf) > self.hold:
                self._ids[s] = None
                self._seen.pop(face_id, None)
        if self.driver is not None and self._ids[0] is None:
            self._take_driver_slot(result)
        for face_id in faces:
            if face_id not in self._ids:
                self._place(face_id, t)
        return [faces.get(face_id) for face_id in self._ids]  # type: ignore[arg-type]

    def _take_driver_slot(self, result: FrameResult) -> None:
        """The driver left (or there was none): slot 1 goes to whoever the rule picks now."""
        driver = self.driver.pick(result.faces, result.width, result.height)
        if driver is None:
            return
        if driver.id in self._ids:
            self._ids[self._ids.index(driver.id)] = None
        self._ids[0] = driver.id

    def _place(self, face_id: int, t: float) -> None:
        first = 1 if self.driver is not None else 0
        free = [s for s in range(first, len(self._ids)) if self._ids[s] is None]
        if not free:  # a slot whose face is out of view (within its hold), longest gone first
            gone = [s for s in range(first, len(self._ids)) if self._seen[self._ids[s]] < t]
            free = sorted(gone, key=lambda s: self._seen[self._ids[s]])
        if free:
            self._ids[free[0]] = face_id
