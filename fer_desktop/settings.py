"""The analysis settings: one frozen, validated object, the only home of defaults and ranges.

Everything that changes what the app reports lives here: the command line's options, the
window's saved preferences, the `analyze` resume key and the timeline header are all made
from this class. A change makes a new object (`settings.replace(smoothing=0.8)`); nothing
mutates a shared one. Bad values raise `UsageError` with one line naming the setting.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from fer_desktop.classifier import DEFAULT_MODEL
from fer_desktop.errors import UsageError
from fer_desktop.preprocess import DEFAULT_ALIGN, DEFAULT_MARGIN

DETECTOR_RANGES = ("auto", "short", "full")
MESH_MODES = ("off", "face", "eyes")


def _setting(default: Any, help: str, *, lo=None, hi=None, choices=None, flag=None, metavar=None):
    """A field with its help, range or choices, and its command-line flag (None: not one)."""
    meta = {"help": help, "lo": lo, "hi": hi, "choices": choices, "flag": flag, "metavar": metavar}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """What the pipeline does to each frame; recorded in every timeline header."""

    model: str = _setting(
        DEFAULT_MODEL,
        "3class (happy/neutral/sad, default), 2class (happy/sad), 8class (eight "
        "expressions, when installed), a .tflite path with its .json card beside it, or none "
        "(no expression read: faces and measures only)",
        flag="--model",
    )
    detector_range: str = _setting(
        "auto",
        "face detector: auto (default: near faces every frame, and a search for far and small "
        "faces once a second, kept up where it finds some), short (near the camera only) or "
        "full (far only)",
        choices=DETECTOR_RANGES,
        flag="--range",
    )
    detector_tiles: int = _setting(
        0,
        "rows of overlapping tiles for small faces in crowds and large frames. With auto, the "
        "tiles of its search (default 0: two rows from 720 px up); with short or full, every "
        "tile on every frame, at a few times the cost (0 or 1: off)",
        lo=0,
        hi=8,
        flag="--tiles",
        metavar="ROWS",
    )
    min_confidence: float = _setting(
        0.5, "detector score a face needs (0-1)", lo=0.0, hi=1.0, flag="--min-confidence"
    )
    min_face_px: int = _setting(
        0, "ignore faces smaller than this many pixels", lo=0, hi=4096, flag="--min-face",
        metavar="PX",
    )  # fmt: skip
    mesh: str = _setting(
        "off",
        "face mesh: off (default), face (head pose, eye openness, mouth; the detector then runs "
        "on every tenth frame and whenever a face is lost) or eyes (face, and gaze from the "
        "iris model)",
        choices=MESH_MODES,
        flag="--mesh",
    )
    smoothing: float = _setting(
        0.6,
        "0 = none, 0.95 = very smooth: weight of the previous value in the moving average "
        "(video and camera only)",
        lo=0.0,
        hi=0.95,
        flag="--smoothing",
    )
    hysteresis: float = _setting(
        0.1, "how far a new label must lead the current one to take over", lo=0.0, hi=1.0
    )
    grace_seconds: float = _setting(
        1.0, "seconds a face may go unseen before it leaves the view", lo=0.0, hi=60.0
    )
    reid_seconds: float = _setting(
        5.0,
        "seconds a face that left is remembered: back at about the same place and size "
        "within that time, it keeps its id",
        lo=0.0,
        hi=3600.0,
    )
    min_hits: int = _setting(
        2, "frames a new face must be seen in before it is reported", lo=1, hi=30
    )
    margin: float = _setting(
        DEFAULT_MARGIN, "margin around the face box in the crop", lo=0.0, hi=1.0
    )
    align: bool = _setting(DEFAULT_ALIGN, "rotate the crop so the eyes are level")
    calibrate_s: float = _setting(
        0.0,
        "read each face against its own resting face: its first SECONDS-long stretch of "
        "neutral, steady frames (none within SECONDS + 5 s: raw values, and it keeps trying); "
        "labels follow the calibrated values, the timeline keeps both",
        lo=0.0,
        hi=600.0,
        flag="--calibrate",
        metavar="SECONDS",
    )
    baseline: str | None = _setting(
        None,
        "a saved resting-face baseline (live --save-baseline) for faces without their own",
        flag="--baseline",
        metavar="FILE",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            meta = f.metadata
            name = meta["flag"] or f.name
            if f.type == "bool":
                if not isinstance(value, bool):
                    raise UsageError(f"{name} must be true or false (got {value!r})")
                continue
            if f.name == "baseline":
                if value is not None and not isinstance(value, str):
                    object.__setattr__(self, f.name, str(value))  # a Path is fine
                continue
            if f.type in ("int", "float"):
                kind = int if f.type == "int" else float
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise UsageError(f"{name} must be a number (got {value!r})")
                if kind is int and value != int(value):
                    raise UsageError(f"{name} must be a whole number (got {value!r})")
                if not meta["lo"] <= value <= meta["hi"]:
                    raise UsageError(
                        f"{name} must be between {meta['lo']} and {meta['hi']} (got {value})"
                    )
                object.__setattr__(self, f.name, kind(value))
            elif not isinstance(value, str) or not value:
                raise UsageError(f"{name} must be a non-empty text (got {value!r})")
            elif meta["choices"] and value not in meta["choices"]:
                raise UsageError(f"{name} must be one of {', '.join(meta['choices'])}")

        if self.model == "none" and (self.calibrate_s or self.baseline):
            raise UsageError("--calibrate and --baseline read expressions: not with --model none")

    @classmethod
    def of(cls, **values: Any) -> Settings:
        """Settings from keyword values, naming any unknown one (the API's entry point)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise UsageError(
                f"unknown setting {unknown[0]!r}: known settings are {', '.join(sorted(known))}"
            )
        return cls(**values)

    @classmethod
    def parse(cls, values: dict[str, Any], base: Settings | None = None) -> Settings:
        """Settings from stored or typed-in values (text, as QSettings and config files may
        give them), converted to each field's type, over `base` (default: the defaults)."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        typed = {}
        for name, value in values.items():
            f = fields.get(name)
            if f is None or not isinstance(value, str):
                typed[name] = value  # unknown names are named by `of`
            elif f.type == "bool":
                typed[name] = value.strip().lower() in ("1", "true", "yes", "on")
            elif f.type in ("int", "float"):
                try:
                    typed[name] = (int if f.type == "int" else float)(value)
                except ValueError:
                    raise UsageError(f"{f.metadata['flag'] or name} must be a number") from None
            else:
                typed[name] = value
        return (base or cls()).replace(**typed)

    def replace(self, **changes: Any) -> Settings:
        """A new object with these changes, validated; this one stays as it was."""
        return type(self).of(**{**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def key(self, **more: Any) -> str:
        """A short hash of these settings (and `more`): what `analyze` resumes by."""
        text = json.dumps({**self.as_dict(), **more}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def command_line(cls) -> list[dataclasses.Field]:
        """The fields that are command-line options, in order."""
        return [f for f in dataclasses.fields(cls) if f.metadata["flag"]]


DEFAULTS = Settings()
