"""The MediaPipe face model files: where they live, how to fetch and verify them.

mediapipe >= 0.10.30 ships no face model, so we take the two detectors and the face-mesh and
iris models out of the official mediapipe 0.10.21 wheel on PyPI and check them against the
sha256 values recorded here. They are third-party weights (Apache-2.0): they are never
committed to git.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fer_desktop.errors import FerDesktopError

WHEEL_REQUIREMENT = "mediapipe==0.10.21"
WHEEL_PLATFORM = "manylinux_2_28_x86_64"
WHEEL_PYTHON = "3.11"
FETCH_COMMAND = "fer-desktop models fetch"
LICENSE_NAME = "LICENSE-mediapipe.txt"


@dataclass(frozen=True)
class DetectorModel:
    """One model file inside the mediapipe wheel, under mediapipe/modules/<module>/."""

    range: str  # the name it is found by: 'short', 'full', 'face_mesh', 'iris'
    filename: str
    sha256: str
    size: int
    module: str = "face_detection"

    @property
    def member(self) -> str:
        return f"mediapipe/modules/{self.module}/{self.filename}"

    @property
    def kind(self) -> str:
        return "face detector" if self.module == "face_detection" else "face mesh"


DETECTOR_MODELS: dict[str, DetectorModel] = {
    "short": DetectorModel(
        "short",
        "face_detection_short_range.tflite",
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        229_714,
    ),
    "full": DetectorModel(
        "full",
        "face_detection_full_range_sparse.tflite",
        "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
        676_746,
    ),
}

# The face mesh (468 3D points from a 192x192 crop) and the iris model (eye contour and iris
# from a 64x64 eye crop), read by mesh.py.
MESH_MODELS: dict[str, DetectorModel] = {
    "face_mesh": DetectorModel(
        "face_mesh",
        "face_landmark.tflite",
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
        1_242_398,
        "face_landmark",
    ),
    "iris": DetectorModel(
        "iris",
        "iris_landmark.tflite",
        "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
        2_640_568,
        "iris_landmark",
    ),
}
ALL_MODELS = {**DETECTOR_MODELS, **MESH_MODELS}


class DetectorModelError(FerDesktopError):
    """A face model file is missing or does not match its recorded hash."""


def _repo_models_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "models" / "detector"


def _user_data_dir() -> Path:
    """The per-user data folder (platformdirs: ~/.local/share, AppData, Application Support)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("fer_desktop", appauthor=False)) / "detector"


def candidate_dirs() -> list[Path]:
    """Folders searched for the detector files, first match wins."""
    dirs = []
    if env := os.environ.get("FER_DESKTOP_DETECTOR_DIR"):
        dirs.append(Path(env))
    dirs += [_repo_models_dir(), _user_data_dir()]
    return dirs


def default_install_dir() -> Path:
    """Where `fetch` writes: $FER_DESKTOP_DETECTOR_DIR, else models/detector in a source tree."""
    if env := os.environ.get("FER_DESKTOP_DETECTOR_DIR"):
        return Path(env)
    repo_models = _repo_models_dir().parent
    return _repo_models_dir() if repo_models.is_dir() else _user_data_dir()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, model: DetectorModel) -> None:
    """Raise DetectorModelError unless `path` holds exactly `model`."""
    if not path.is_file():
        raise DetectorModelError(f"face model missing: {path}. Run: {FETCH_COMMAND}")
    actual = sha256_of(path)
    if actual != model.sha256:
        raise DetectorModelError(
            f"face model {path} is corrupt (sha256 {actual[:12]}…, expected "
            f"{model.sha256[:12]}…). Run: {FETCH_COMMAND} --force"
        )


def find(range_: str = "short", check: bool = True) -> Path:
    """Path of the verified model `range_`: a detector ('short', 'full') or a mesh model
    ('face_mesh', 'iris')."""
    model = ALL_MODELS[range_]
    for folder in candidate_dirs():
        path = folder / model.filename
        if path.exists():
            if check:
                verify(path, model)
            return path
    searched = ", ".join(str(d) for d in candidate_dirs())
    raise DetectorModelError(
        f"{model.kind} model {model.filename} not found (searched {searched}). Run: {FETCH_COMMAND}"
    )


def download_wheel(dest: Path) -> Path:
    """Download the mediapipe 0.10.21 wheel from PyPI with pip; return its path."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        WHEEL_REQUIREMENT,
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        WHEEL_PLATFORM,
        "--python-version",
        WHEEL_PYTHON,
        "--dest",
        str(dest),
        "--quiet",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("mediapipe-0.10.21-*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise DetectorModelError(f"could not download {WHEEL_REQUIREMENT} from PyPI: {tail[0]}")
    return wheels[0]


def extract_from_wheel(wheel: Path, dest: Path) -> list[Path]:
    """Extract and verify every face model (and the licence) from a mediapipe wheel."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DetectorModelError(f"{wheel} is not a readable wheel: {exc}") from exc
    with archive:
        names = set(archive.namelist())
        for model in ALL_MODELS.values():
            if model.member not in names:
                raise DetectorModelError(f"{wheel.name} holds no {model.member}")
            data = archive.read(model.member)
            if hashlib.sha256(data).hexdigest() != model.sha256:
                raise DetectorModelError(f"{model.member} in {wheel.name} fails its sha256 check")
            target = dest / model.filename
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(target)
            written.append(target)
        licence = next((n for n in names if n.endswith(".dist-info/LICENSE")), None)
        if licence:
            (dest / LICENSE_NAME).write_bytes(archive.read(licence))
    (dest / "NOTICE.txt").write_text(
        "These files come unmodified from the official mediapipe 0.10.21 wheel on PyPI\n"
        "(mediapipe/modules/face_detection/, face_landmark/ and iris_landmark/).\n"
        f"Copyright Google LLC, Apache License 2.0, see {LICENSE_NAME}.\n"
        "They are not part of fer_desktop's git repository.\n"
    )
    return written


def fetch(dest: Path | None = None, wheel: Path | None = None, force: bool = False) -> list[Path]:
    """Install every face model into `dest`, from `wheel` or from PyPI."""
    dest = dest or default_install_dir()
    if not force:
        try:
            paths = [dest / m.filename for m in ALL_MODELS.values()]
            for path, model in zip(paths, ALL_MODELS.values(), strict=True):
                verify(path, model)
            return paths
        except DetectorModelError:
            pass
    if wheel is not None:
        return extract_from_wheel(wheel, dest)
    tmp = Path(tempfile.mkdtemp(prefix="fer_desktop_wheel_"))
    try:
        return extract_from_wheel(download_wheel(tmp), dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
