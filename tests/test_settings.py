"""One settings object: defaults, ranges and the command line all come from Settings."""

import dataclasses
import subprocess
import sys

import pytest

from fer_desktop.cli import build_parser
from fer_desktop.errors import UsageError
from fer_desktop.settings import DEFAULTS, Settings
from tests.conftest import REPO


def test_settings_are_frozen_and_changes_make_a_new_object():
    s = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.smoothing = 0.9
    t = s.replace(smoothing=0.9)
    assert (s.smoothing, t.smoothing) == (DEFAULTS.smoothing, 0.9)
    assert s.key() != t.key() and s.key() == Settings().key()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"smoothing": 1.5}, r"--smoothing must be between 0\.0 and 0\.95"),
        ({"detector_range": "near"}, "--range must be one of auto, short, full"),
        ({"min_face_px": 2.5}, "--min-face must be a whole number"),
        ({"min_confidence": "high"}, "--min-confidence must be a number"),
        ({"calibrate_s": -1}, "--calibrate must be between"),
        ({"model": ""}, "--model must be a non-empty text"),
        ({"smoothnes": 0.2}, "unknown setting 'smoothnes'"),
    ],
)
def test_bad_values_are_one_clear_line_from_any_front_end(values, message):
    with pytest.raises(UsageError, match=message):
        Settings.of(**values)


def test_stored_text_values_are_parsed_by_type():
    s = Settings.parse({"smoothing": "0.8", "min_face_px": "40", "align": "false"})
    assert (s.smoothing, s.min_face_px, s.align) == (0.8, 40, False)


def test_command_line_options_come_from_settings():
    args = build_parser().parse_args(["analyze", "x.mp4", "--out", "o"])
    for f in Settings.command_line():
        assert getattr(args, f.name) == getattr(DEFAULTS, f.name)
    out = subprocess.run(
        [sys.executable, "-m", "fer_desktop", "predict", "x.png", "--smoothing", "2"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "fer-desktop: error: --smoothing must be between 0.0 and 0.95 (got 2.0)"
    )
