"""The head's three axes as the window draws them from the nose tip: the directions, in the
image plane, of the head's own right, up and forward (where the nose points), turned by its
pose (measures.HeadPose, whose conventions they follow exactly: `measures.head_pose` of a
reference face turned by `rotation(pose)` gives the pose back)."""

from __future__ import annotations

import math

import numpy as np

from fer_desktop.measures import HeadPose

NOSE_TIP = 1  # the mesh landmark the axes start from


def rotation(pose: HeadPose) -> np.ndarray:
    """The rotation (3x3, columns: the head's right, down and back) taking the frontal
    reference (x right, y down, facing -z) to a head with this pose, in image axes."""
    yaw, pitch, roll = (math.radians(a) for a in (pose.yaw, pose.pitch, pose.roll))
    forward = np.array(
        [math.cos(pitch) * math.sin(yaw), -math.sin(pitch), -math.cos(pitch) * math.cos(yaw)]
    )
    # the right axis: at angle `roll` in the image, perpendicular to `forward`
    c, s = math.cos(roll), math.sin(roll)
    right = np.array([c, s, -(c * forward[0] + s * forward[1]) / forward[2]])
    right /= np.linalg.norm(right)
    down = np.cross(right, forward)
    return np.column_stack([right, down, -forward])


def axes(pose: HeadPose) -> np.ndarray:
    """(3, 2): the head's right, up and forward unit axes seen in the image (x right, y
    down; orthographic, so an axis pointing at the camera is short)."""
    r = rotation(pose)
    return np.stack([r[:2, 0], -r[:2, 1], -r[:2, 2]])
