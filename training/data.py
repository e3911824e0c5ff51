"""Loading FER2013 (npz, Kaggle csv or image folders) and building the happy/sad tasks.

Every image goes through `fer_desktop.preprocess.to_model_input`, the same function the app
uses on live crops.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fer_desktop.detector_models import sha256_of as file_sha256
from fer_desktop.preprocess import to_model_input

DEFAULT_NPZ = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fer2013.npz"
# sha256 of the fer2013.npz every shipped model was trained on (the cards' data.sha256).
KNOWN_SHA256 = "12f1b30052d3fee78871e3fdac0b122a3ad2efdf8d01a95475952dde13fb9cb7"
FER_CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
HAPPY, SAD, NEUTRAL = 3, 4, 6
FERPLUS_COLUMNS = [
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
    "unknown",
    "NF",
]
TASK_LABELS = {
    "2class": ["happy", "sad"],
    "3class": ["happy", "neutral", "sad"],
    "8class": ["neutral", "happy", "surprise", "sad", "anger", "disgust", "fear", "contempt"],
}
TASK_LABELS["8class_majority"] = TASK_LABELS["8class"]  # the same eight, labelled otherwise
USAGES = ("Training", "PublicTest", "PrivateTest")
EMOTIONS = FERPLUS_COLUMNS[:8]  # the network's eight outputs, in this order
# Each task's labels as FER+ emotions: its head is these columns of the 8-way network.
TASK_EMOTIONS = {
    "2class": ("happiness", "sadness"),
    "3class": ("happiness", "neutral", "sadness"),
    "8class": tuple(EMOTIONS),
}
TASK_EMOTIONS["8class_majority"] = TASK_EMOTIONS["8class"]
SHIPPED_TASKS = ("3class", "2class", "8class")  # the models/ files, by task
TASK_COLUMNS = {name: [EMOTIONS.index(c) for c in cols] for name, cols in TASK_EMOTIONS.items()}


class DatasetError(RuntimeError):
    """The dataset is missing or malformed."""


@dataclass
class FerData:
    """FER2013 images with their usage and, when known, the FER+ votes."""

    pixels: np.ndarray  # (N, 48, 48) uint8
    label: np.ndarray  # (N,) int, FER2013 7-class code
    usage: np.ndarray  # (N,) str, Training / PublicTest / PrivateTest
    votes: np.ndarray | None  # (N, 10) int FER+ votes, -1 rows unknown
    source: str
    sha256: str


def load(path: Path | None = None, expect_sha256: str | None = None) -> FerData:
    """Load FER2013 from an .npz, a Kaggle fer2013.csv or a train/ test/ image-folder tree.

    With `expect_sha256`, a file with another checksum is refused (DatasetError, one line)."""
    path = Path(path) if path else DEFAULT_NPZ
    if not path.exists():
        raise DatasetError(f"dataset not found: {path} (give --data PATH: .npz, .csv or folder)")
    if expect_sha256 and path.is_file():
        got = file_sha256(path)
        if got != expect_sha256:
            raise DatasetError(
                f"{path} has sha256 {got[:16]}..., not the expected {expect_sha256[:16]}... "
                "(a changed or damaged copy); give --data PATH to train on another file on purpose"
            )
    if path.is_dir():
        return _load_folders(path)
    if path.suffix == ".npz":
        return _load_npz(path)
    if path.suffix == ".csv":
        return _load_csv(path)
    raise DatasetError(f"unsupported dataset {path}: expected .npz, .csv or an image folder")


def _load_npz(path: Path) -> FerData:
    try:
        with np.load(path, allow_pickle=False) as d:
            pixels, label, usage = d["pixels"], d["label"], d["usage"]
            votes = d["ferplus_votes"] if "ferplus_votes" in d.files else None
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(f"{path} is not a FER2013 npz (pixels, label, usage): {exc}") from exc
    if pixels.ndim != 3 or pixels.shape[1:] != (48, 48) or len(label) != len(pixels):
        raise DatasetError(f"{path}: pixels must be (N, 48, 48), got {pixels.shape}")
    return FerData(
        pixels.astype(np.uint8),
        label.astype(np.int64),
        usage.astype(str),
        votes,
        str(path),
        file_sha256(path),
    )


def _load_csv(path: Path) -> FerData:
    pixels, labels, usages = [], [], []
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"emotion", "pixels", "Usage"} - set(reader.fieldnames or [])
            if missing:
                raise DatasetError(f"{path}: missing columns {sorted(missing)}")
            for n, row in enumerate(reader, start=2):
                values = np.array(row["pixels"].split(), dtype=np.uint8)
                if values.size != 48 * 48:
                    raise DatasetError(f"{path}:{n}: expected 2304 pixels, got {values.size}")
                pixels.append(values.reshape(48, 48))
                labels.append(int(row["emotion"]))
                usages.append(row["Usage"])
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetError(f"{path} is not a readable fer2013.csv: {exc}") from exc
    if not pixels:
        raise DatasetError(f"{path} holds no images")
    return FerData(
        np.stack(pixels), np.array(labels), np.array(usages), None, str(path), file_sha256(path)
    )


def _load_folders(root: Path) -> FerData:
    """Kaggle layout: train/<class>/*.jpg and test/<class>/*.jpg.

    test/ is reported as PrivateTest; a fixed 10% of train/ stands in for PublicTest.
    """
    import cv2

    pixels, labels, usages, digest = [], [], [], hashlib.sha256()
    for split in ("train", "test"):
        for class_dir in sorted((root / split).glob("*")):
            name = class_dir.name.lower()
            if not class_dir.is_dir() or name not in FER_CLASSES:
                continue
            for f in sorted(class_dir.iterdir()):
                img = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
                if img is None:
                    continue
                pixels.append(to_model_input(img))
                labels.append(FER_CLASSES.index(name))
                usages.append("Training" if split == "train" else "PrivateTest")
                digest.update(f.name.encode())
    if not pixels:
        raise DatasetError(f"{root}: no images under train/<class>/ or test/<class>/")
    usage = np.array(usages, dtype="<U11")
    train_idx = np.flatnonzero(usage == "Training")
    rng = np.random.default_rng(0)
    usage[rng.choice(train_idx, size=len(train_idx) // 10, replace=False)] = "PublicTest"
    return FerData(np.stack(pixels), np.array(labels), usage, None, str(root), digest.hexdigest())


def duplicates_of_training(data: FerData) -> np.ndarray:
    """True for every test image whose pixels exactly equal some Training image."""
    train_hashes = {p.tobytes() for p in data.pixels[data.usage == "Training"]}
    is_test = data.usage != "Training"
    return np.array(
        [t and p.tobytes() in train_hashes for p, t in zip(data.pixels, is_test, strict=True)]
    )


@dataclass
class Task:
    """One classification task over FER2013: images, hard labels and soft targets."""

    name: str
    labels: list[str]
    x: np.ndarray  # (N, 48, 48) uint8
    y: np.ndarray  # (N,) int
    soft: np.ndarray  # (N, C) float32 targets
    usage: np.ndarray  # (N,) str
    duplicate: np.ndarray  # (N,) bool: test image with a pixel copy in Training

    def subset(self, usage: str, dedup: bool) -> tuple[np.ndarray, np.ndarray]:
        keep = self.usage == usage
        if dedup:
            keep &= ~self.duplicate
        return self.x[keep], self.y[keep]


def make_task(data: FerData, name: str) -> Task:
    """'2class': FER2013 Happy vs Sad. '3class': FER+ majority happy / neutral / sad.
    '8class': FER+ majority over the eight emotions. A FER+ task keeps an image when its top
    vote is unique, is one of the task's emotions and beats "not a face".
    '8class_majority': the public FER+ CNN's validation labels (`strict_majority`)."""
    dup = duplicates_of_training(data)
    if name == "8class_majority":
        keep, y = strict_majority(data)
        soft = np.eye(len(EMOTIONS), dtype=np.float32)[y]
    elif name == "2class":
        keep = np.isin(data.label, (HAPPY, SAD))
        y = (data.label[keep] == SAD).astype(np.int64)
        soft = np.eye(2, dtype=np.float32)[y]
    elif name in ("3class", "8class"):
        if data.votes is None:
            raise DatasetError(f"the {name[0]}-class task needs FER+ votes: use fer2013.npz")
        votes = data.votes.astype(np.float32)
        cols = [EMOTIONS.index(c) for c in TASK_EMOTIONS[name]]
        emotion = votes[:, :8]
        top = emotion.max(axis=1)
        majority = emotion.argmax(axis=1)
        unique_top = (emotion == top[:, None]).sum(axis=1) == 1
        in_task = np.isin(majority, cols)
        not_face = votes[:, 9] >= top
        keep = (data.votes[:, 0] >= 0) & unique_top & in_task & ~not_face & (top > 0)
        y = np.array([cols.index(m) for m in majority[keep]], dtype=np.int64)
        chosen = votes[keep][:, cols]
        soft = chosen / chosen.sum(axis=1, keepdims=True)
    else:
        raise ValueError(f"unknown task {name!r}; choose 2class, 3class or 8class")
    return Task(
        name,
        TASK_LABELS[name],
        data.pixels[keep],
        y,
        soft.astype(np.float32),
        data.usage[keep],
        dup[keep],
    )


def strict_majority(data: FerData, min_votes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The FER+ authors' "majority" labels, which the public FER+ CNN (vicksam/fer-model)
    validates on: single votes dropped, then an image is kept when one emotion holds more
    than half of all remaining votes (unknown and not-a-face counted). Returns the mask of
    kept images and their emotion (index into EMOTIONS). On fer2013.npz it keeps 3,199
    PublicTest images, the count that repository's notebook prints."""
    if data.votes is None:
        raise DatasetError("the FER+ majority labels need FER+ votes: use fer2013.npz")
    votes = data.votes.astype(np.float32)
    votes[votes < min_votes] = 0.0
    top = votes.argmax(axis=1)
    keep = (data.votes[:, 0] >= 0) & (top < len(EMOTIONS))
    keep &= votes.max(axis=1) > 0.5 * votes.sum(axis=1)
    return keep, top[keep].astype(np.int64)


@dataclass
class VoteTargets:
    """Images with usable FER+ votes and their vote distribution over the eight emotions."""

    x: np.ndarray  # (N, 48, 48) uint8
    soft: np.ndarray  # (N, 8) float32, rows sum to 1
    usage: np.ndarray  # (N,) str


def vote_targets(data: FerData, min_votes: int = 2, rule: str = "votes") -> VoteTargets:
    """FER+ vote distributions over the eight emotions, cleaned as the FER+ authors do.

    A count below `min_votes` (a single rater) is treated as an outlier and dropped. Rule
    "votes" keeps every remaining emotion; images are left out when they have no FER+ row,
    or when "unknown" or "not a face" gets at least as many votes as the top emotion, or
    when no emotion keeps a vote. Rule "top_votes" is the FER+ authors' "probability
    distribution" cleaning, which the public FER+ CNN trained on (`top_votes`).
    """
    if data.votes is None:
        raise DatasetError("training on FER+ votes needs fer2013.npz (it holds the votes)")
    votes = data.votes.astype(np.float32)
    votes[votes < min_votes] = 0.0
    if rule == "top_votes":
        votes = np.array([top_votes(row) for row in votes], dtype=np.float32)
    elif rule != "votes":
        raise ValueError(f"unknown target rule {rule!r}; choose votes or top_votes")
    emotion = votes[:, :8]
    top = emotion.max(axis=1)
    keep = (data.votes[:, 0] >= 0) & (top > 0) & (votes[:, 8] < top) & (votes[:, 9] < top)
    soft = emotion[keep] / emotion[keep].sum(axis=1, keepdims=True)
    return VoteTargets(data.pixels[keep], soft.astype(np.float32), data.usage[keep])


def top_votes(counts: np.ndarray) -> np.ndarray:
    """One image's ten FER+ counts (single votes already dropped) reduced as the FER+
    authors' "probability distribution" mode does: the largest counts are kept, largest
    first and ties together, until they hold 75% of the votes or three are kept; unknown or
    not-a-face ends the taking (and is not kept after an emotion). All zeros (the image is
    dropped) when the kept counts hold at most half the votes or more than three tie."""
    left, kept = counts.astype(np.float64), np.zeros(len(counts))
    total, n = left.sum(), 0
    while kept.sum() < 0.75 * total and n < 3:
        peak = left.max()
        ties = np.flatnonzero(left == peak)
        other = ties[ties >= 8]
        if other.size:  # unknown or not-a-face ties with the peak: it ends the taking
            ties = ties[ties < other[0]]
            if not kept.any() and not ties.size:
                ties = other[:1]  # it is the largest of all: the image is dropped below
        kept[ties], left[ties] = peak, 0.0
        n += len(ties)
        if other.size:
            break
    if kept.sum() <= 0.5 * total or n > 3:
        return np.zeros_like(kept)
    return kept


def subsample(task: Task, per_usage: int, seed: int = 0) -> Task:
    """A small task for the quick mode: at most `per_usage` images of each usage."""
    rng = np.random.default_rng(seed)
    idx = np.concatenate(
        [rng.permutation(np.flatnonzero(task.usage == u))[:per_usage] for u in USAGES]
    )
    idx.sort()
    return Task(
        task.name,
        task.labels,
        task.x[idx],
        task.y[idx],
        task.soft[idx],
        task.usage[idx],
        task.duplicate[idx],
    )


def subsample_votes(votes: VoteTargets, per_usage: int, seed: int = 0) -> VoteTargets:
    """A small vote set for the quick mode: at most `per_usage` images of each usage."""
    rng = np.random.default_rng(seed)
    idx = np.sort(
        np.concatenate(
            [rng.permutation(np.flatnonzero(votes.usage == u))[:per_usage] for u in USAGES]
        )
    )
    return VoteTargets(votes.x[idx], votes.soft[idx], votes.usage[idx])
