"""Per-person neutral calibration: read each face against its own resting face.

A resting face is not a neutral one: some people look sad at rest, others happy. The method,
in log-probability space:

    baseline     = mean of log p over the person's calibration frames (a few seconds of their
                   resting face, or a saved baseline)
    rest r       = the baseline as probabilities, moved a share SHRINK towards q
    calibrated p = softmax(log p − log r + log q)

where q is what the model says, on average, for a neutral face (the model card's
`neutral_reference`, measured on FER+ neutral faces of PublicTest; uniform when a card has
none). The person's resting face then reads as (nearly) the model's typical neutral face, and
every change from it moves the reading the same way it moves the raw model. The rest is
floored at FLOOR, eight int8 output steps, the reading at one (EPS): a rise counts only as far
as it clears the rest's floor (a rest reading 0 happy made a frown reading 0.12 happy thirty
times its rest, and the frown read happy: issue #28), while a reading under it counts as a
fall, which can only lower that label.

The method turns whatever face the baseline was taken from into "neutral": a smile taken as
the baseline makes every later smile neutral and every calm face sad. So a baseline is taken
only from a stretch of frames that look neutral and steady (`looks_neutral`, `steady`), never
simply from a face's first seconds, and a saved baseline that does not look neutral is
refused (CalibrationError). Each face carries its calibration state (`COLLECTING`,
`NO_BASELINE`, `CALIBRATED`, `SAVED`, or `OFF`); its calibrated values exist only when it is
`CALIBRATED` or `SAVED`, and labels follow the calibrated values then, the raw ones otherwise.
Every change of state is a `Notice` that the session turns into a "calibration" event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fer_desktop.errors import FerDesktopError
from fer_desktop.results import valence

# The int8 model's output step: it says 0 for anything below, so a ratio of two probabilities
# under it means nothing. With 1e-6 here (as before), a turned-head baseline reading P(happy) 0
# made later neutral frames reading 0.004 happy: 15% of them on the Yale turned-head clips,
# none with this floor (benchmarks/calibration_study.py).
EPS = 1.0 / 256
# The rest's floor in the ratio (the reading's is EPS): a rise counts only as far as it clears
# FLOOR, so no label comes from a change the model cannot resolve. At one step (EPS), a rest
# reading P(happy) 0 (Yale subject03's calm face) put a frown reading 0.11 happy at 0.57
# calibrated, and all its frames read happy. Chosen on the Yale photos and clips
# (benchmarks/calibration_study.py): floor in int8 steps -> sad photos read as happy (of 14)
# and read as sad; on the neutral-first clips, the share of sad frames read happy (raw 0.06:
# the frames just after a smile) and read sad: 1 step: 1, 3, 0.21, 0.27; 2: 1, 3, 0.17, 0.27;
# 4: 0, 3, 0.14, 0.20; 8: 0, 2, 0.08, 0.13; 16: 0, 1, 0.07, 0.00. Happy frames stay happy
# as often throughout (0.95). At 8 steps sad frames read happy only just after a smile, as
# raw; the cost: a rise of two steps at the floor (subject06's frown, P(sad) 0.004 -> 0.008)
# no longer makes a label. The reading keeps the one-step floor: a reading under the rest's
# floor is a fall. Floored alike (both at FLOOR), an unchanged sad keeps its share of q, and a
# full smile against a rest that reads 35% happy reads 0.51 happy, 0.37 sad (0.88, 0.10
# here). A ratio bounded instead costs smiles (q reads 6% happy, so a smile needs a large
# ratio): happy frames that stay happy on those clips 0.88, 0.91, 0.94 bounded at 6x, 8x,
# 12x, and at 12x sad frames read happy again (0.20).
FLOOR = 8 / 256
# The rest is moved this share towards q before it is divided out: a rest that reads, say,
# 35% happy (Yale subject06) otherwise leaves a full smile (P(happy) 1.0, the rest 0) only
# 2.8 times its rest's happiness while an unmoved sad keeps its share of q, and the smile
# reads half sad. On the Yale clips that open with the neutral face (calibration_study, at a
# one-step floor), happy frames that stay happy / sad frames read as sad: 0.88 / 0.28 with
# 0, 0.95 / 0.27 with 0.02 to 0.05, 0.95 / 0.13 with 0.1, 0.95 / 0.06 with 0.2.
SHRINK = 0.05

# --- which frames may be a baseline ------------------------------------------------------
# Chosen on the Yale photos (benchmarks/calibration_study.py, `rule` table), 3-class model:
# every subject's `normal` photo reads P(neutral) >= 0.68 and P(sad) <= 0.15, every happy
# photo P(neutral) <= 0.23. The 2-class model has no neutral label: its happy photos read
# P(happy) >= 0.97, 12 of 15 normal photos <= 0.46 (3 read 0.97-0.99: the 2-class model cannot
# tell those subjects' calm face from a smile, and they get no baseline).
NEUTRAL_MIN = 0.60  # 3-class: raw P(neutral) at least this ...
SAD_MAX = 0.20  # ... and raw P(sad) at most this (3 of 14 Yale sad photos read above)
HAPPY_MAX_NO_NEUTRAL = 0.90  # a model without "neutral": raw P(happy) at most this
# Steady: the valence (P(happy) - P(sad)) of the stretch's frames varies little. 3-class, over
# 2 s: a still portrait moving (the built-in demo) varies by 0.19-0.31, a talking, smiling face
# (talking_head_512) by 0.89-1.18. The 2-class model swings by 0.7-1.5 within 2 s even on the
# still portrait, as much as on the talking face: its output cannot tell steady from not, so
# its baselines rest on the per-frame rule alone.
STEADY_SPREAD = 0.45  # max - min of valence over the stretch (3-class)
STEADY_SPREAD_NO_NEUTRAL = 2.0  # a model without "neutral": no limit (valence spans 2)
MAX_GAP_S = 0.5  # a face unseen for longer than this starts its stretch again
WAIT_S = 5.0  # no baseline `seconds` + WAIT_S after collecting began: say so (and go on)

# --- a face's calibration state, as its rows carry it -------------------------------------
OFF = ""  # not calibrating: raw values only
COLLECTING = "collecting"  # waiting for a neutral, steady stretch; raw values
NO_BASELINE = "no-baseline"  # none came within the time limit; raw values, still trying
CALIBRATED = "calibrated"  # read against its own baseline
SAVED = "saved"  # read against the saved baseline (--baseline FILE)
STATES = (OFF, COLLECTING, NO_BASELINE, CALIBRATED, SAVED)


class CalibrationError(FerDesktopError):
    """A baseline file is missing, unreadable or made for other labels."""


@dataclass
class Baseline:
    """Mean log-probabilities of one person's resting face, in label order."""

    labels: list[str]
    log_probs: np.ndarray
    frames: int
    stretch: tuple[float, float] | None = None  # when it was taken (None: a saved one)

    @classmethod
    def of(cls, labels: list[str], probs: np.ndarray) -> Baseline:
        """The baseline of a stack of probability rows (N, labels)."""
        logp = np.log(np.clip(np.asarray(probs, np.float64), EPS, 1.0))
        return cls(list(labels), logp.mean(axis=0), len(logp))

    @property
    def probs(self) -> np.ndarray:
        """The resting face as one probability row (the normalised geometric mean)."""
        p = np.exp(self.log_probs - self.log_probs.max())
        return p / p.sum()

    def save(self, path: Path) -> None:
        record = {
            "format": "fer_desktop baseline",
            "labels": self.labels,
            "log_probs": [round(float(v), 6) for v in self.log_probs],
            "frames": self.frames,
        }
        try:
            Path(path).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CalibrationError(f"cannot write {path}: {exc.strerror or exc}") from exc

    @classmethod
    def load(cls, path: Path, labels: list[str]) -> Baseline:
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
            log_probs = np.asarray(record["log_probs"], float)
            baseline = cls(record["labels"], log_probs, int(record["frames"]))
        except FileNotFoundError as exc:
            raise CalibrationError(f"baseline not found: {path}") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"{path} is not a fer_desktop baseline: {exc}") from exc
        if baseline.labels != list(labels) or len(baseline.log_probs) != len(labels):
            raise CalibrationError(
                f"{path} was made for labels {baseline.labels}, but the model has {labels}"
            )
        baseline.check(str(path))
        return baseline

    def check(self, name: str = "the saved baseline") -> None:
        """Refuse a baseline whose resting face does not look neutral (it would invert)."""
        if not looks_neutral(self.labels, self.probs):
            rest = ", ".join(f"{k} {v:.2f}" for k, v in _rounded(self.labels, self.probs).items())
            raise CalibrationError(
                f"{name}: its resting face does not look neutral ({rest}), so it would turn "
                "that expression into neutral; save one again from a neutral face"
            )


def calibrate(
    probs: np.ndarray,
    baseline: np.ndarray,
    reference: np.ndarray,
    shrink: float = SHRINK,
    floor: float = FLOOR,
) -> np.ndarray:
    """softmax(log p − log r + log q) for one row or a stack of rows, r = the baseline's rest
    moved a share `shrink` towards q; the rest's probabilities below `floor` count as `floor`,
    the reading's below one int8 step (EPS) as EPS."""
    q = np.clip(np.asarray(reference, np.float64), EPS, 1.0)
    rest = np.exp(np.maximum(baseline, np.log(EPS)) - np.max(baseline))
    rest = (1.0 - shrink) * rest / rest.sum() + shrink * q / q.sum()
    z = np.log(np.clip(probs, EPS, 1.0)) - np.log(np.clip(rest, floor, 1.0)) + np.log(q)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def neutral_reference(labels: list[str], card: dict) -> np.ndarray:
    """The model's mean output on neutral faces (its card's), uniform when a card has none."""
    ref = card.get("neutral_reference")
    if not isinstance(ref, list) or len(ref) != len(labels):
        ref = [1.0 / max(len(labels), 1)] * len(labels)  # none without labels
    return np.asarray(ref, np.float64)


def _p(labels: list[str], probs: np.ndarray, label: str) -> float:
    return float(probs[labels.index(label)]) if label in labels else 0.0


def looks_neutral(labels: list[str], probs: np.ndarray) -> bool:
    """Whether one raw reading may belong to a baseline (the thresholds above)."""
    if "neutral" in labels:
        return _p(labels, probs, "neutral") >= NEUTRAL_MIN and _p(labels, probs, "sad") <= SAD_MAX
    return _p(labels, probs, "happy") <= HAPPY_MAX_NO_NEUTRAL


def steady(labels: list[str], rows: list[np.ndarray]) -> bool:
    """Whether a stretch of raw readings holds one expression (its valence varies little)."""
    v = [valence(r, labels) for r in rows]
    limit = STEADY_SPREAD if "neutral" in labels else STEADY_SPREAD_NO_NEUTRAL
    return max(v) - min(v) <= limit


@dataclass(frozen=True)
class Reading:
    """One face's calibration in one frame."""

    probs: np.ndarray | None  # calibrated probabilities, None unless CALIBRATED or SAVED
    state: str = OFF
    switched: bool = False  # the values the label follows changed kind (raw <-> calibrated)


@dataclass(frozen=True)
class Notice:
    """A change of calibration state, for the timeline ("calibration" event) and the user."""

    t: float
    state: str
    face_id: int | None = None
    fields: dict = field(default_factory=dict)
    text: str = ""


@dataclass
class _FaceState:
    seconds: float = 0.0  # length of the neutral stretch wanted; 0: not collecting
    since: float = 0.0  # collecting since
    stretch: list = field(default_factory=list)  # (t, raw probs) of the current stretch
    baseline: Baseline | None = None  # this face's own resting face
    warned: bool = False  # NO_BASELINE was reported
    state: str = OFF


class Calibrator:
    """Each face's calibration, by face id: collecting a neutral stretch, then reading it.

    `seconds` > 0 collects, for every new face, the first `seconds`-long stretch of frames
    that look neutral and steady; `saved` (refused unless it looks neutral itself) serves
    faces without a baseline of their own; `start` collects the faces named anew. A face with
    no baseline `seconds` + WAIT_S after collecting began is reported (NO_BASELINE) and keeps
    collecting.
    """

    def __init__(
        self,
        labels: list[str],
        reference: np.ndarray,
        seconds: float = 0.0,
        saved: Baseline | None = None,
        floor: float = FLOOR,
    ):
        self.labels = list(labels)
        self.reference = np.asarray(reference, np.float64)
        self.seconds = seconds
        self.floor = floor  # see FLOOR (benchmarks/calibration_study.py compares others)
        self._faces: dict[int, _FaceState] = {}
        self._cal_ids: set[int] = set()  # faces whose last reading was calibrated
        self._notices: list[Notice] = []
        if saved is not None:
            saved.check()
        self.saved = saved

    @classmethod
    def for_model(
        cls, labels: list[str], card: dict, seconds: float = 0.0, saved: Baseline | None = None
    ) -> Calibrator:
        return cls(labels, neutral_reference(labels, card), seconds, saved)

    def for_still(self) -> Calibrator:
        """A calibrator of its own for one still image: the saved baseline, if any, and no
        collecting (a resting face needs time)."""
        return Calibrator(self.labels, self.reference, 0.0, self.saved, self.floor)

    def start(self, t: float, seconds: float, ids: list[int]) -> None:
        """Collect these faces' resting face anew: their next neutral `seconds`."""
        for face_id in ids:
            self._faces[face_id] = _FaceState(seconds=seconds, since=t)
            self._note(
                t, COLLECTING, face_id,
                f"face {face_id}: calibrating, waiting for {seconds:g} s of a neutral, steady "
                "face", seconds=seconds,
            )  # fmt: skip

    def read(self, face_id: int, probs: np.ndarray, t: float) -> Reading:
        """This face's calibration state and calibrated probabilities (None without)."""
        face = self._faces.get(face_id)
        if face is None:  # a new face collects quietly: its rows say so (one-frame false
            # detections would otherwise each leave an event)
            if not self.seconds and self.saved is None and face_id not in self._cal_ids:
                return Reading(None)  # nothing to collect, nothing to read against
            face = self._faces[face_id] = _FaceState(seconds=self.seconds, since=t)
        if face.seconds > 0:
            self._collect(face_id, face, probs, t)
        face.state, baseline = self._state(face)
        cal = None
        if baseline is not None:
            cal = calibrate(probs, baseline.log_probs, self.reference, floor=self.floor)
        switched = (face_id in self._cal_ids) != (cal is not None)
        if switched:
            self._cal_ids ^= {face_id}
        return Reading(cal, face.state, switched)

    def _state(self, face: _FaceState) -> tuple[str, Baseline | None]:
        """A face's state and the baseline it is read against (None: raw)."""
        if face.baseline is not None:
            return CALIBRATED, face.baseline
        if self.saved is not None:
            return SAVED, self.saved
        if face.seconds > 0:
            return (NO_BASELINE if face.warned else COLLECTING), None
        return OFF, None

    def _collect(self, face_id: int, face: _FaceState, probs: np.ndarray, t: float) -> None:
        """Grow the face's neutral stretch; a long enough one becomes its baseline."""
        stretch = face.stretch
        if stretch and t - stretch[-1][0] > MAX_GAP_S:
            stretch.clear()
        if not looks_neutral(self.labels, probs):
            stretch.clear()
        else:
            stretch.append((t, np.asarray(probs, np.float64)))
            while len(stretch) > 1 and not steady(self.labels, [p for _, p in stretch]):
                stretch.pop(0)
        if len(stretch) > 1 and stretch[-1][0] - stretch[0][0] >= face.seconds:
            self._calibrated(face_id, face, t)
        elif not face.warned and t - face.since >= face.seconds + WAIT_S:
            face.warned = True
            self._note(
                t, NO_BASELINE, face_id,
                f"face {face_id}: no neutral, steady {face.seconds:g} s in "
                f"{t - face.since:.0f} s: values stay raw; still trying",
                since=round(face.since, 4),
            )  # fmt: skip

    def _calibrated(self, face_id: int, face: _FaceState, t: float) -> None:
        rows = np.stack([p for _, p in face.stretch])
        t0, t1 = face.stretch[0][0], face.stretch[-1][0]
        face.baseline = replace(Baseline.of(self.labels, rows), stretch=(t0, t1))
        face.seconds, face.stretch = 0.0, []
        self._note(
            t, CALIBRATED, face_id,
            f"face {face_id}: calibrated on its neutral face from {t0:.1f} s to {t1:.1f} s",
            baseline_from=round(t0, 4), baseline_to=round(t1, 4), frames=len(rows),
            rest=_rounded(self.labels, face.baseline.probs),
        )  # fmt: skip

    def _note(self, t: float, state: str, face_id: int | None, text: str, **fields) -> None:
        self._notices.append(Notice(t, state, face_id, fields, text))

    def notices(self) -> list[Notice]:
        """The changes of state since the last call (the session drains them every frame)."""
        out, self._notices = self._notices, []
        return out

    def baselines(self) -> dict[int, Baseline]:
        """The faces that have a baseline of their own."""
        return {i: s.baseline for i, s in self._faces.items() if s.baseline is not None}

    def reset(self) -> None:
        """Forget every face's own baseline (a saved one stays); with `seconds` set, each
        face collects anew when next seen."""
        self._faces.clear()


def _rounded(labels: list[str], probs: np.ndarray) -> dict[str, float]:
    return {lab: round(float(p), 4) for lab, p in zip(labels, probs, strict=True)}
