"""Geometric action-unit proxies: how far a face's brows, lips, jaw and lids have moved from
the same person's neutral face, measured on the face mesh.

These are proxies, not FACS codes: each is one distance on the mesh, with the head's turn
taken out, in units of the person's interocular distance (IOD, between the eyes' centres),
minus the same distance on their resting face. 0 is "as at rest"; + is the named movement
(e.g. lip_corner_pull 0.05 = the mouth corners rose and widened by 5 % of the IOD). A coder
would also read wrinkles and bulges that a mesh does not show, so small values (under about
0.02) are within the mesh's own jitter.

| proxy | FACS action it stands for | distance (mesh landmarks) |
|---|---|---|
| brow_inner_raise | AU1 | inner brow (107/336, 55/285) above the inner eye corner (133/362) |
| brow_outer_raise | AU2 | outer brow (70/300, 46/276) above the outer eye corner (33/263) |
| brow_lower | AU4 | middle brow (105/334, 66/296) lowered, and the inner brows drawn together |
| lip_corner_pull | AU12 | mouth corners (61/291) raised against the lips' middle, and widened |
| lip_corner_depress | AU15 | mouth corners lowered against the lips' middle (13/14) |
| lips_part | AU25 | inner lips' gap (13 to 14) |
| jaw_drop | AU26 | chin (152) from the nose tip (1) |
| eye_closure | AU43 | 1 - eye openness over the resting openness (0 open as at rest, 1 shut) |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer_desktop.measures import eye_openness, rotation_from_reference

PROXIES = (
    "brow_inner_raise",
    "brow_outer_raise",
    "brow_lower",
    "lip_corner_pull",
    "lip_corner_depress",
    "lips_part",
    "jaw_drop",
    "eye_closure",
)
FACS = dict(
    zip(PROXIES, ("AU1", "AU2", "AU4", "AU12", "AU15", "AU25", "AU26", "AU43"), strict=True)
)

RIGHT, LEFT = 0, 1  # the subject's own sides
EYE_CORNERS = ((33, 133), (263, 362))  # outer, inner
INNER_BROW = ((107, 55), (336, 285))
OUTER_BROW = ((70, 46), (300, 276))
MIDDLE_BROW = ((105, 66), (334, 296))
MOUTH_CORNERS = (61, 291)
LIPS_MIDDLE = (13, 14)
CHIN, NOSE_TIP = 152, 1


def upright(points: np.ndarray) -> np.ndarray:
    """The mesh with the head's turn, size and place taken out: rotated onto the frontal
    reference (x to the subject's left, y down), centred, in units of the IOD."""
    out = (points - points.mean(0)) @ rotation_from_reference(points)  # image -> reference
    eyes = [out[list(pair)].mean(0) for pair in EYE_CORNERS]
    return out / np.linalg.norm(eyes[LEFT] - eyes[RIGHT])


def _mean_y(p: np.ndarray, ids) -> float:
    return float(p[list(ids), 1].mean())


@dataclass(frozen=True)
class Geometry:
    """The distances the proxies compare, on one face (IOD units; openness unitless)."""

    inner_brow: float  # height above the inner eye corner, both sides' mean
    outer_brow: float
    middle_brow: float  # height above the eye corners' line
    brow_gap: float  # between the inner brows
    corner_lift: float  # mouth corners above the lips' middle
    mouth_width: float
    lips_gap: float
    jaw: float  # chin to nose tip
    openness: float  # eye openness, both eyes' mean

    @staticmethod
    def of(points: np.ndarray) -> Geometry:
        p = upright(points)
        sides = (RIGHT, LEFT)
        inner = np.mean([p[EYE_CORNERS[s][1], 1] - _mean_y(p, INNER_BROW[s]) for s in sides])
        outer = np.mean([p[EYE_CORNERS[s][0], 1] - _mean_y(p, OUTER_BROW[s]) for s in sides])
        eye_line = _mean_y(p, [i for pair in EYE_CORNERS for i in pair])
        middle = np.mean([eye_line - _mean_y(p, MIDDLE_BROW[s]) for s in sides])
        gap = abs(p[INNER_BROW[LEFT][0], 0] - p[INNER_BROW[RIGHT][0], 0])
        lips_y = _mean_y(p, LIPS_MIDDLE)
        lift = lips_y - _mean_y(p, MOUTH_CORNERS)
        width = float(np.linalg.norm(p[MOUTH_CORNERS[1]] - p[MOUTH_CORNERS[0]]))
        lips_gap = float(np.linalg.norm(p[LIPS_MIDDLE[0]] - p[LIPS_MIDDLE[1]]))
        jaw = float(np.linalg.norm(p[CHIN] - p[NOSE_TIP]))
        open_ = float(np.mean(eye_openness(points)))
        return Geometry(inner, outer, middle, gap, lift, width, lips_gap, jaw, open_)

    @staticmethod
    def median(faces: list[Geometry]) -> Geometry:
        """The typical face of a stretch of frames (a resting face from many)."""
        fields = Geometry.__dataclass_fields__
        return Geometry(**{k: float(np.median([getattr(g, k) for g in faces])) for k in fields})


def proxies(face: Geometry, rest: Geometry) -> dict[str, float]:
    """Each proxy of `face` against the same person's resting face, rounded to 3 places."""
    values = {
        "brow_inner_raise": face.inner_brow - rest.inner_brow,
        "brow_outer_raise": face.outer_brow - rest.outer_brow,
        "brow_lower": (rest.middle_brow - face.middle_brow) + (rest.brow_gap - face.brow_gap),
        "lip_corner_pull": (face.corner_lift - rest.corner_lift)
        + (face.mouth_width - rest.mouth_width) / 2,
        "lip_corner_depress": rest.corner_lift - face.corner_lift,
        "lips_part": face.lips_gap - rest.lips_gap,
        "jaw_drop": face.jaw - rest.jaw,
        "eye_closure": 1.0 - face.openness / rest.openness if rest.openness > 0 else 0.0,
    }
    return {k: round(float(v), 3) for k, v in values.items()}


class RestingFaces:
    """Each face's resting geometry, taken over the same neutral stretch as its calibration
    baseline (calibration.Baseline.stretch), from the geometries seen in the last `keep_s`."""

    def __init__(self, keep_s: float):
        self.keep_s = keep_s
        self._seen: dict[int, list[tuple[float, Geometry]]] = {}
        self._rest: dict[int, tuple[object, Geometry]] = {}  # face id: (its baseline, rest)

    def observe(self, face_id: int, t: float, geometry: Geometry) -> None:
        seen = self._seen.setdefault(face_id, [])
        seen.append((t, geometry))
        while seen and t - seen[0][0] > self.keep_s:
            seen.pop(0)

    def rest(self, face_id: int, baseline) -> Geometry | None:
        """The face's resting geometry for its calibration `baseline` (None without one, for a
        saved baseline, or when none of the stretch's frames had a mesh)."""
        if baseline is None or baseline.stretch is None:
            return None
        known = self._rest.get(face_id)
        if known is not None and known[0] is baseline:
            return known[1]
        t0, t1 = baseline.stretch
        stretch = [g for t, g in self._seen.get(face_id, []) if t0 <= t <= t1]
        if not stretch:
            return None
        rest = Geometry.median(stretch)
        self._rest[face_id] = (baseline, rest)
        return rest

    def reset(self) -> None:
        self._seen.clear()
        self._rest.clear()
