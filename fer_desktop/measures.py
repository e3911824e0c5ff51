"""Eyes and head from a face mesh: head pose, eye openness, blinks, PERCLOS, mouth, gaze.

Pure numpy, no model: each function takes the 468 mesh points (image pixels, x right, y
down, z depth on the pixel scale; mesh.py) or a series of measures. "Right" and "left" are
the subject's own. A measure that cannot be trusted is None, with the reason in
`FaceMeasures.reason`: it is never guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from fer_desktop.eye_closure_rule import ClosureRule
from fer_desktop.models_dir import MODELS_DIR

# Landmarks (MediaPipe's mesh topology): upper lid, lower lid, outer corner, inner corner.
RIGHT_EYE = (159, 145, 33, 133)
LEFT_EYE = (386, 374, 263, 362)
INNER_LIPS = (13, 14)  # upper, lower: the middle of the inner lip line
MOUTH_CORNERS = (61, 291)

MIN_FACE_PX = 60.0  # below this mesh width (pixels) the eyes are a few pixels: no measures
MAX_YAW_DEG = 40.0  # beyond this the far eye is hidden: no eye, mouth or gaze measures
MAX_PITCH_DEG = 35.0
MIN_PRESENCE = 0.5  # the mesh model's face score below which its points are no face
MIN_EYE_CONTRAST = 3.0  # grey levels inside an eye's contour below which it is hidden
EYES_HIDDEN = "eyes hidden"  # the reason's start when they are

REFERENCE_FILE = "face_reference_mesh.npy"


@cache
def reference_mesh() -> np.ndarray:
    """The frontal reference (468, 3): a left-right symmetric face made from two PyPI
    portraits, centred, unit scale, its symmetry plane's normal along x, y down the face
    (training/face_reference_mesh.py builds it)."""
    return np.load(MODELS_DIR / REFERENCE_FILE)


@dataclass(frozen=True)
class HeadPose:
    """Head rotation in degrees against the frontal reference (yaw and roll 0: the face's
    plane of symmetry faces the camera; pitch 0: the head held as in two posed portraits).

    yaw: + when the face turns towards the image's right (the subject's left), -90..90.
    pitch: + when the face tilts up, -90..90.
    roll: + when the eye line turns clockwise in the image (the subject's left eye lower),
    -180..180. Accurate to a few degrees within +-40 yaw; a rigid fit, so expressions that
    move many points (a wide-open mouth) move it by a degree or two.
    """

    yaw: float
    pitch: float
    roll: float


def rotation_from_reference(points: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """The rotation (3, 3) of a rigid fit (rotation, scale, shift; Kabsch) of `reference`
    (default `reference_mesh()`) onto the mesh: reference -> image."""
    ref = reference_mesh() if reference is None else reference
    u, _, vt = np.linalg.svd((points - points.mean(0)).T @ (ref - ref.mean(0)))
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def head_pose(points: np.ndarray, reference: np.ndarray | None = None) -> HeadPose:
    """Head pose from a rigid fit of the mesh to `reference` (default `reference_mesh()`)."""
    rot = rotation_from_reference(points, reference)
    forward = rot @ np.array([0.0, 0.0, -1.0])  # the reference faces the camera: -z
    right = rot @ np.array([1.0, 0.0, 0.0])
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], math.hypot(forward[0], forward[2])))
    roll = math.degrees(math.atan2(right[1], right[0]))
    return HeadPose(yaw, pitch, roll)


def _gap_over_width(points: np.ndarray, upper: int, lower: int, a: int, b: int) -> float:
    return float(
        np.linalg.norm(points[upper] - points[lower]) / np.linalg.norm(points[a] - points[b])
    )


def eye_openness(points: np.ndarray) -> tuple[float, float]:
    """(right, left) lid gap over eye width (landmarks 159/145 over 33/133, 386/374 over
    263/362), in 3D. Unitless: 0.28-0.37 on Yale's `normal` photos, 0.18-0.26 on its
    half-closed `sleepy` ones. People differ, so compare with the person's own open level
    rather than with a fixed number."""
    return _gap_over_width(points, *RIGHT_EYE), _gap_over_width(points, *LEFT_EYE)


def mouth_opening(points: np.ndarray) -> float:
    """Inner-lip gap (13/14) over mouth width (61/291). Unitless: 0 closed, about 0.5 or more
    for a yawn."""
    return _gap_over_width(points, *INNER_LIPS, *MOUTH_CORNERS)


def gaze(points: np.ndarray, iris_centres: np.ndarray) -> tuple[float, float]:
    """(horizontal, vertical) iris offset from the eye's centre, in eye widths, the mean of
    both eyes, in the eye's own frame (so head roll does not move it). Horizontal + towards
    the image's right, vertical + down. Preliminary: within +-0.13 on the talking-head
    clip, mirrored on a mirrored image, but biased by about -0.02 and not yet checked
    against known gaze directions. Relative to the head: combine with `head_pose`."""
    offsets = []
    for (_, _, outer, inner), centre in zip((RIGHT_EYE, LEFT_EYE), iris_centres, strict=True):
        a, b = points[outer, :2], points[inner, :2]
        axis = (b - a) if outer == RIGHT_EYE[2] else (a - b)  # image left -> right
        width = float(np.linalg.norm(axis))
        axis = axis / width
        rel = (np.asarray(centre) - (a + b) / 2) / width
        offsets.append((rel @ axis, rel @ np.array([-axis[1], axis[0]])))
    h, v = np.mean(offsets, axis=0)
    return float(h), float(v)


@dataclass(frozen=True)
class FaceMeasures:
    """One face's measures (see each function for units and limits); None with `reason` set
    when the face is too small or turned too far to trust them."""

    pose: HeadPose | None
    eye_openness: tuple[float, float] | None
    mouth_opening: float | None
    gaze: tuple[float, float] | None
    reason: str | None = None


def _named(names: tuple[str, ...], values, digits: int) -> dict[str, float] | None:
    if values is None:
        return None
    return {name: round(float(v), digits) for name, v in zip(names, values, strict=True)}


def as_record(m: FaceMeasures, presence: float | None) -> dict:
    """One face's measures as a JSON-ready dict (None stays null; `reason` says why;
    presence None: the mesh did not run on a face too small for it)."""
    pose = None if m.pose is None else (m.pose.yaw, m.pose.pitch, m.pose.roll)
    return {
        "presence": None if presence is None else round(presence, 3),
        "head_pose_deg": _named(("yaw", "pitch", "roll"), pose, 1),
        "eye_openness": _named(("right", "left"), m.eye_openness, 3),
        "mouth_opening": None if m.mouth_opening is None else round(m.mouth_opening, 3),
        "gaze_eye_widths": _named(("x", "y"), m.gaze, 3),
        "reason": m.reason,
    }


def measure(
    points: np.ndarray,
    iris_centres: np.ndarray | None = None,
    presence: float = 1.0,
    eye_contrast: tuple[float, float] | None = None,
) -> FaceMeasures:
    """Every measure of one mesh, or None for those it cannot give, with the reason.
    `presence` is the mesh model's score that its crop held a face (mesh.py); `eye_contrast`
    the grey-level spread inside each eye (eye_visibility.py): below MIN_EYE_CONTRAST the eyes
    are covered, and no eye or gaze measure is given."""
    if presence < MIN_PRESENCE:
        return FaceMeasures(
            None, None, None, None, f"no face in the mesh crop: presence {presence:.2f}"
        )
    width = float(np.ptp(points[:, 0]))
    if width < MIN_FACE_PX:
        return FaceMeasures(
            None, None, None, None, f"face too small: {width:.0f} px < {MIN_FACE_PX:.0f}"
        )
    pose = head_pose(points)
    if abs(pose.yaw) > MAX_YAW_DEG or abs(pose.pitch) > MAX_PITCH_DEG:
        reason = f"turned too far: yaw {pose.yaw:.0f}°, pitch {pose.pitch:.0f}°"
        return FaceMeasures(pose, None, None, None, reason)
    if eye_contrast is not None and min(eye_contrast) < MIN_EYE_CONTRAST:
        reason = f"{EYES_HIDDEN}: a featureless eye region (contrast {min(eye_contrast):.1f})"
        return FaceMeasures(pose, None, mouth_opening(points), None, reason)
    looking = gaze(points, iris_centres) if iris_centres is not None else None
    reason = None if iris_centres is not None else "no gaze: iris model off or missing"
    return FaceMeasures(pose, eye_openness(points), mouth_opening(points), looking, reason)


@dataclass(frozen=True)
class Blink:
    """Eyes closed from `onset` for `duration` seconds."""

    onset: float
    duration: float


def open_level(openness: np.ndarray) -> float:
    """A person's open-eye level from a series: its 90th percentile (eyes are open most of
    the time). Give the calibration's value instead when the series is short."""
    return float(np.nanpercentile(openness, 90))


def closed_mask(t: np.ndarray, openness: np.ndarray, level: float | None = None) -> np.ndarray:
    """Frames whose eyes are closed, at times `t` (seconds) with `openness` (mean of both
    eyes, NaN where no measure), by eye_closure_rule.ClosureRule against the open level
    (default `open_level` of the series): a fast fall (or a very low reading) starts a
    closure, the lids lifting end it. eye_state.EyeState applies the same rule online."""
    x = np.asarray(openness, float)
    level = open_level(x) if level is None else level
    rule = ClosureRule()
    return np.array(
        [rule.update(float(a), float(v), level) for a, v in zip(t, x, strict=True)], bool
    )


def blinks(t: np.ndarray, openness: np.ndarray, level: float | None = None) -> list[Blink]:
    """Closures of a series as events: onset (seconds, the first closed frame's time) and
    duration (until the first open frame). A closure still running at the end has the
    duration seen so far. Frames closer than the frame interval cannot be resolved: at 30 fps
    a blink (100-400 ms) spans 3-12 frames, at 25 fps the talking head's read 0.08-0.28 s
    (2-7 frames; by eye 0.12-0.2 s)."""
    t = np.asarray(t, float)
    closed = closed_mask(t, openness, level)
    edges = np.diff(np.concatenate([[False], closed, [False]]).astype(int))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.0
    return [
        Blink(float(t[s]), float((t[e] if e < len(t) else t[-1] + step) - t[s]))
        for s, e in zip(starts, ends, strict=True)
    ]


def perclos(
    t: np.ndarray, openness: np.ndarray, window_s: float = 60.0, level: float | None = None
) -> np.ndarray:
    """PERCLOS at each frame: the fraction of the last `window_s` seconds (that frame
    included) with eyes closed (`closed_mask`), 0..1. Drowsiness literature flags >= 0.15
    over 60 s. The first `window_s` seconds use the frames seen so far."""
    t = np.asarray(t, float)
    closed = closed_mask(t, openness, level).astype(float)
    sums = np.concatenate([[0.0], np.cumsum(closed)])
    first = np.searchsorted(t, t - window_s, side="right")
    count = np.arange(1, len(t) + 1) - first
    return (sums[1:] - sums[first]) / np.maximum(count, 1)
