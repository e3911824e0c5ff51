"""Per-person calibration measured on Yale faces (../shared/faces/yale): photos and photo clips.

Photos: each subject's `normal` photo is their baseline (their resting face). Their happy and
sad photos are then read with and without calibration (a sad photo read as happy is the worst
result: issue #28), and so are their side-lit neutral photos (`leftlight`, `rightlight`),
which should stay neutral. `rule` counts the photos of
each kind that the baseline rule (calibration.looks_neutral) accepts.

Clips: per subject, a video of their photos, each held for a while, opening with their
neutral face, a smile, a frown or a turned head (the neutral photo warped in perspective, as
if turned about 35 degrees), then neutral, happy, sad, neutral, happy, sad. Each clip is
analysed once (detector, crop, model); its faces are then replayed through the tracker five
ways: raw; the calibration as it was (the first `seconds` of each face, whatever it shows,
its old arithmetic); the first `seconds` with today's arithmetic (FLOOR, shrink); the first
neutral, steady stretch with probabilities floored at one int8 step (before issue #28); and
today's calibration (that stretch, FLOOR). Counted on the frames after the opening photo, by
the label the app reports: happy frames that stay happy, sad frames read as sad or happy,
neutral frames read as sad or happy, and the share of frames that had calibrated values.
Posers' clips (`posers=True`): subjects 06-15, each their neutral face for 2 s, then their sad
and happy photos for 1 s each, counted after the neutral face.

Run it: `python -m benchmarks.calibration_study [3class|2class]`; tests/test_calibration.py
runs parts of it.
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from fer_desktop.calibration import (
    CALIBRATED,
    COLLECTING,
    EPS,
    FLOOR,
    OFF,
    Baseline,
    Calibrator,
    Reading,
    calibrate,
    looks_neutral,
    neutral_reference,
)
from fer_desktop.classifier import MoodModel
from fer_desktop.detector import FaceDetector
from fer_desktop.pipeline import Pipeline, tracker_options
from fer_desktop.preprocess import face_to_input
from fer_desktop.settings import Settings
from fer_desktop.sources import VideoSource
from fer_desktop.tracking import Tracker

YALE = Path(__file__).resolve().parent.parent.parent / "shared" / "faces" / "yale"
FPS = 10.0
OPENINGS = ("normal", "happy", "sad", "turned")  # what each clip opens with
OPENING_NAMES = {
    "normal": "neutral",
    "happy": "smile",
    "sad": "frown",
    "turned": "turned head",
    "posed": "posers: neutral 2 s, sad, happy 1 s",
}
REST = [("normal", 3.0), ("happy", 2.0), ("sad", 2.0), ("normal", 2.0), ("happy", 2.0),
        ("sad", 2.0)]  # fmt: skip
OPENING_S = 2.0
CALIBRATE_S = 2.0
# The posers' clips: each subject's neutral face, then their sad and happy photos, as a poser
# would hold them; subjects 06-15 (the ten with a sad photo after subject05).
POSER = [("normal", 2.0), ("sad", 1.0), ("happy", 1.0)]
POSERS = [f"subject{i:02d}" for i in range(6, 16)]


def turned(img: np.ndarray, k: float = 0.45) -> np.ndarray:
    """The photo warped as if the head turned (one side narrower and shorter)."""
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32(
        [[0, 0], [w * (1 - k / 2), h * k * 0.15], [w * (1 - k / 2), h * (1 - k * 0.15)], [0, h]]
    )
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def photos() -> dict[str, dict[str, np.ndarray]]:
    """subject -> kind (happy, sad, normal, leftlight, rightlight, turned) -> BGR photo."""
    out: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for path in sorted(YALE.glob("*/yale_subject*.png")):
        subject, kind = path.stem.split("_")[1:3]
        out[subject][kind] = cv2.imread(str(path))
    for faces in out.values():
        if "normal" in faces:
            faces["turned"] = turned(faces["normal"])
    return dict(out)


def crops() -> dict[str, dict[str, np.ndarray]]:
    """subject -> photo kind -> 48x48 face."""
    out: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    with FaceDetector("short", min_confidence=0.3) as detector:
        for subject, kinds in photos().items():
            for kind, img in kinds.items():
                found = detector.detect(img, None)
                if found:
                    d = max(found, key=lambda d: d.box[2] * d.box[3])
                    out[subject][kind] = face_to_input(img, d.box, d.eyes)
    return out


def study(model_name: str = "3class", floor: float = FLOOR) -> dict:
    """Recall of happy and sad photos, sad photos called happy, and side-lit neutrals called
    sad, raw vs calibrated (with this `floor`); and per photo kind, how many the baseline rule
    accepts (`rule`)."""
    model = MoodModel(model_name)
    labels = model.labels
    reference = neutral_reference(labels, model.card.raw)
    counts = {k: defaultdict(int) for k in ("raw", "calibrated")}
    n: dict[str, int] = defaultdict(int)
    rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for faces in crops().values():
        for kind, face in faces.items():
            rule[kind][0] += looks_neutral(labels, model.predict(face[None])[0])
            rule[kind][1] += 1
        if "normal" not in faces:
            continue
        baseline = Baseline.of(labels, model.predict(faces["normal"][None])).log_probs
        for kind, face in faces.items():
            if kind not in ("happy", "sad", "leftlight", "rightlight"):
                continue  # the baseline itself, and the sleepy, wink and turned faces
            raw = model.predict(face[None])[0]
            read = {"raw": raw, "calibrated": calibrate(raw, baseline, reference, floor=floor)}
            truth = kind if kind in ("happy", "sad") else "side-lit neutral"
            n[truth] += 1
            for how, probs in read.items():
                label = labels[int(np.argmax(probs))]
                if truth == "side-lit neutral":
                    counts[how][truth] += label == "sad"
                else:
                    counts[how][truth] += label == truth
                    counts[how]["sad read as happy"] += truth == "sad" and label == "happy"
    return {
        "model": model_name,
        "n": dict(n),
        **{k: dict(v) for k, v in counts.items()},
        "rule": {k: tuple(v) for k, v in rule.items()},
    }


def table(result: dict) -> str:
    n = result["n"]
    lines = [
        f"Yale, {result['model']} model: each subject's normal photo is their baseline",
        "| reading | happy read as happy | sad read as sad | sad read as happy "
        "| side-lit neutral read as sad |",
        "|---|---|---|---|---|",
    ]
    for how in ("raw", "calibrated"):
        c = result[how]
        lines.append(
            f"| {how} | {c.get('happy', 0)} of {n.get('happy', 0)} | {c.get('sad', 0)} of "
            f"{n.get('sad', 0)} | {c.get('sad read as happy', 0)} of {n.get('sad', 0)} | "
            f"{c.get('side-lit neutral', 0)} of {n.get('side-lit neutral', 0)} |"
        )
    kinds = ("normal", "leftlight", "rightlight", "turned", "sad", "happy")
    rule = result["rule"]
    lines += [
        "",
        f"Photos the baseline rule accepts as neutral-looking ({result['model']} model)",
        "| " + " | ".join(kinds) + " |",
        "|" + "---|" * len(kinds),
        "| " + " | ".join(f"{rule[k][0]} of {rule[k][1]}" for k in kinds if k in rule) + " |",
    ]
    return "\n".join(lines)


# --- photo clips ---------------------------------------------------------------------------
def plan_of(opening: str) -> list[tuple[str, float]]:
    """(photo kind, seconds) of a clip that opens with `opening`, then REST."""
    return [(opening, OPENING_S), *REST]


def segments(plan: list[tuple[str, float]]) -> list[tuple[str, float, float]]:
    """(photo kind, start, end) of each photo of a clip."""
    out, t = [], 0.0
    for kind, seconds in plan:
        out.append((kind, t, t + seconds))
        t += seconds
    return out


def write_clip(path: Path, faces: dict[str, np.ndarray], plan: list[tuple[str, float]]) -> Path:
    """An MJPG AVI of one subject's photos, each held for its segment, at FPS."""
    h, w = faces["normal"].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    for kind, t0, t1 in segments(plan):
        for _ in range(round((t1 - t0) * FPS)):
            writer.write(faces[kind])
    writer.release()
    return path


def truth_at(plan: list[tuple[str, float]], t: float) -> str:
    """What the photo on screen at `t` shows: neutral, happy, sad (or the opening)."""
    for kind, t0, t1 in segments(plan):
        if t0 <= t + 1e-6 < t1:
            return {"normal": "neutral", "turned": "turned"}.get(kind, kind)
    return "neutral"


@dataclass
class Recorded:
    """One clip's faces, frame by frame, as the detector and the model saw them."""

    t: list[float]
    boxes: list[list]
    scores: list[list[float]]
    probs: list[np.ndarray]


def record(pipeline: Pipeline, path: Path) -> Recorded:
    """Detect and classify every frame of a clip (no tracking: `replay` does that)."""
    rec = Recorded([], [], [], [])
    pipeline.reset(restart_ids=True)  # as `analyze` does for each video
    with VideoSource(path) as source:
        for frame in source:
            dets = pipeline.detect(frame).detections
            rec.t.append(frame.t_source)
            rec.boxes.append([d.box for d in dets])
            rec.scores.append([d.score for d in dets])
            rec.probs.append(pipeline.model.predict(pipeline.crops(frame.bgr, dets)))
    return rec


class FirstSeconds(Calibrator):
    """Each face's first `seconds`, whatever they show, as its baseline; smoothing carried on
    across the switch to calibrated values. `old_math`: the calibration before (probabilities
    floored at 1e-6, no shrink towards q), as it was shipped."""

    def __init__(self, *args, old_math: bool = True):
        super().__init__(*args)
        self.old_math = old_math
        self._old: dict[int, _Old] = {}

    def read(self, face_id: int, probs: np.ndarray, t: float) -> Reading:
        face = self._old.setdefault(face_id, _Old(t + self.seconds))
        if t < face.until:
            face.rest.append(probs)
            return Reading(None, COLLECTING)
        if not self.old_math:
            baseline = Baseline.of(self.labels, np.stack(face.rest)).log_probs
            return Reading(calibrate(probs, baseline, self.reference), CALIBRATED)
        z = _log(probs) - _log(np.stack(face.rest)).mean(axis=0) + _log(self.reference)
        e = np.exp(z - z.max())
        return Reading((e / e.sum()).astype(np.float32), CALIBRATED)


def _log(p: np.ndarray) -> np.ndarray:
    return np.log(np.clip(p, 1e-6, 1.0))


@dataclass
class _Old:
    until: float
    rest: list = field(default_factory=list)


def replay(rec: Recorded, labels: list[str], calibrator: Calibrator | None) -> list[tuple]:
    """(t, label, state) of each face row, tracked with the app's default settings."""
    tracker = Tracker(labels, calibrator=calibrator, **tracker_options(Settings()))
    rows = []
    for t, boxes, scores, probs in zip(rec.t, rec.boxes, rec.scores, rec.probs, strict=True):
        for face in tracker.update(boxes, scores, probs, t):
            rows.append((t, face.label, face.cal_state))
    return rows


MODES = ("raw", "first seconds, old math (before)", "first seconds, new math",
         "neutral stretch, 1-step floor", "neutral stretch (now)")  # fmt: skip


def _calibrator(mode: str, labels: list[str], card: dict) -> Calibrator | None:
    reference = neutral_reference(labels, card)
    if mode == "raw":
        return None
    if mode.startswith("first"):
        return FirstSeconds(labels, reference, CALIBRATE_S, old_math="old" in mode)
    return Calibrator(labels, reference, CALIBRATE_S, floor=EPS if "1-step" in mode else FLOOR)


def score(rows: list[tuple], plan: list[tuple[str, float]], skip_s: float) -> dict[str, int]:
    """Counts over the frames after the first `skip_s` seconds."""
    c: dict[str, int] = defaultdict(int)
    for t, label, state in rows:
        if t < skip_s:
            continue
        truth = truth_at(plan, t)
        c[f"n_{truth}"] += 1
        c[f"{truth}->{label}"] += 1
        c["calibrated"] += state not in (OFF, COLLECTING, "no-baseline")
        c["frames"] += 1
    return c


def clip_study(
    model_name: str = "3class", subjects: list[str] | None = None, posers: bool = False
) -> dict:
    """mode -> opening -> summed counts over the subjects' clips (and per subject); with
    `posers`, the POSER clips of the POSERS instead (opening "posed"), counted after their
    neutral face."""
    pipeline = Pipeline(Settings.of(model=model_name))
    labels, card = pipeline.labels, pipeline.model.card.raw
    plans = {"posed": POSER} if posers else {o: plan_of(o) for o in OPENINGS}
    skip_s = POSER[0][1] if posers else OPENING_S
    wanted = subjects or (POSERS if posers else None)
    out: dict = {m: {o: defaultdict(int) for o in plans} for m in MODES}
    per_subject: dict = defaultdict(dict)
    with tempfile.TemporaryDirectory() as tmp:
        for subject, faces in photos().items():
            if wanted and subject not in wanted:
                continue
            if not {"normal", "happy", "sad"} <= set(faces):
                continue
            for opening, plan in plans.items():
                rec = record(pipeline, write_clip(Path(tmp) / "clip.avi", faces, plan))
                for mode in MODES:
                    rows = replay(rec, labels, _calibrator(mode, labels, card))
                    c = score(rows, plan, skip_s)
                    per_subject[subject][(mode, opening)] = c
                    for k, v in c.items():
                        out[mode][opening][k] += v
    pipeline.close()
    return {"model": model_name, "totals": out, "subjects": dict(per_subject)}


def _share(c: dict, num: str, den: str) -> str:
    return f"{c.get(num, 0) / c[den]:.2f}" if c.get(den) else "–"


def clip_table(result: dict) -> str:
    lines = [
        f"Yale photo clips, {result['model']} model, --calibrate {CALIBRATE_S:g}: frames after "
        "the opening photo, by the label reported (default smoothing, hysteresis)",
        "| opens with | calibration | happy stays happy | sad read as sad | sad read as happy "
        "| neutral read as sad | neutral read as happy | frames calibrated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for opening, by_mode in ((o, {m: result["totals"][m][o] for m in MODES})
                             for o in result["totals"][MODES[0]]):  # fmt: skip
        for mode, c in by_mode.items():
            lines.append(
                f"| {OPENING_NAMES[opening]} | {mode} | {_share(c, 'happy->happy', 'n_happy')} "
                f"| {_share(c, 'sad->sad', 'n_sad')} | {_share(c, 'sad->happy', 'n_sad')} "
                f"| {_share(c, 'neutral->sad', 'n_neutral')} "
                f"| {_share(c, 'neutral->happy', 'n_neutral')} | "
                f"{_share(c, 'calibrated', 'frames')} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    from benchmarks.common import machine

    if not YALE.exists():
        sys.exit("needs ../shared/faces/yale")
    print(machine(), "\n")
    for name in sys.argv[1:] or ["3class", "2class"]:
        print(table(study(name)), "\n")
        print(clip_table(clip_study(name)), "\n")
        print(clip_table(clip_study(name, posers=True)), "\n")
