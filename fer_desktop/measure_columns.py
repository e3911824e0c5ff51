"""A face's eyes-and-head measures as flat columns, and back.

A face record carries its measures nested, as `results.mesh_record` writes them (`mesh`:
presence, head_pose_deg, eye_openness, mouth_opening, gaze_eye_widths, reason, and the
action-unit proxies `action_units`, None until the face has a resting face). Flat outputs
(the CSV timeline, LSL channels, `timeline.face_row`) give them one column each, named here
once. A face without the mesh (the mesh off) has every column empty; a face the mesh could
not measure (too small, turned too far, no face in the crop) has its presence and its reason
and the other columns empty. Nothing is guessed.
"""

from __future__ import annotations

from typing import Any

from fer_desktop.action_units import PROXIES
from fer_desktop.measures import FaceMeasures, HeadPose

# column -> (the record's key, its field or None) and its digits when written
NUMBERS: dict[str, tuple[str, str | None, int]] = {
    "yaw": ("head_pose_deg", "yaw", 1),
    "pitch": ("head_pose_deg", "pitch", 1),
    "roll": ("head_pose_deg", "roll", 1),
    "eye_open_right": ("eye_openness", "right", 3),
    "eye_open_left": ("eye_openness", "left", 3),
    "mouth_open": ("mouth_opening", None, 3),
    "gaze_x": ("gaze_eye_widths", "x", 3),
    "gaze_y": ("gaze_eye_widths", "y", 3),
    "mesh_presence": ("presence", None, 3),
    # action-unit proxies against the person's resting face (action_units.py), IOD units
    **{f"au_{name}": ("action_units", name, 3) for name in PROXIES},
}
TEXT = ("mesh_reason",)
COLUMNS: tuple[str, ...] = (*NUMBERS, *TEXT)
GROUPS = {  # a nested record's groups and their fields, in order
    "head_pose_deg": ("yaw", "pitch", "roll"),
    "eye_openness": ("right", "left"),
    "gaze_eye_widths": ("x", "y"),
    "action_units": PROXIES,
}


def flat(mesh: dict | None) -> dict[str, float | str | None]:
    """A face record's `mesh` (None: the mesh was off) as one value per column (None when
    empty)."""
    out: dict[str, float | str | None] = dict.fromkeys(COLUMNS)
    if not mesh:
        return out
    for column, (key, sub, _) in NUMBERS.items():
        value = mesh.get(key)
        if sub is not None:
            value = None if value is None else value.get(sub)
        out[column] = None if value is None else float(value)
    out["mesh_reason"] = mesh.get("reason")
    return out


def cells(mesh: dict | None) -> list[str]:
    """The CSV cells of a face record's `mesh`, in `COLUMNS` order ('' when empty)."""
    values = flat(mesh)
    out = [
        "" if values[c] is None else f"{values[c]:.{digits}f}"
        for c, (_, _, digits) in NUMBERS.items()
    ]
    return [*out, values["mesh_reason"] or ""]


def nested(row: dict[str, Any]) -> dict | None:
    """A flat row's measure columns (CSV text or numbers) back as a record's `mesh`; None
    when the row has no mesh (every column empty, or none there: a timeline before them)."""

    def number(column: str) -> float | None:
        value = row.get(column)
        return None if value in ("", None) else float(value)

    presence = number("mesh_presence")
    if presence is None and not row.get("mesh_reason"):
        return None  # no mesh (a face too small for it still has its reason)
    out: dict[str, Any] = {"presence": presence}
    for key in dict.fromkeys(k for k, _, _ in NUMBERS.values() if k != "presence"):
        columns = [c for c, (k, _, _) in NUMBERS.items() if k == key]
        values = [number(c) for c in columns]
        if key not in GROUPS:
            out[key] = values[0]
        else:
            out[key] = None if None in values else dict(zip(GROUPS[key], values, strict=True))
    out["reason"] = row.get("mesh_reason") or None
    return out


def measures_of(mesh: dict | None) -> tuple[FaceMeasures | None, float | None]:
    """A record's `mesh` as the pipeline's FaceMeasures and presence (None, None without)."""
    if not mesh:
        return None, None
    pose = mesh.get("head_pose_deg")
    eyes = mesh.get("eye_openness")
    gaze = mesh.get("gaze_eye_widths")
    return (
        FaceMeasures(
            None if pose is None else HeadPose(pose["yaw"], pose["pitch"], pose["roll"]),
            None if eyes is None else (eyes["right"], eyes["left"]),
            mesh.get("mouth_opening"),
            None if gaze is None else (gaze["x"], gaze["y"]),
            mesh.get("reason"),
        ),
        mesh.get("presence"),
    )
