"""Settings from stored text (QSettings, config files) and changes of them: every value is
checked whichever way it comes in, and a refused change leaves the settings as they were."""

from __future__ import annotations

import dataclasses

import pytest

from fer_desktop.errors import UsageError
from fer_desktop.settings import DEFAULTS, Settings


def test_stored_text_goes_over_the_base_and_keeps_its_other_values():
    base = Settings(smoothing=0.5, model="2class")
    s = Settings.parse({"min_face_px": "40", "align": "no", "detector_range": "full"}, base)
    assert (s.min_face_px, s.align, s.detector_range) == (40, False, "full")
    assert (s.smoothing, s.model) == (0.5, "2class")  # from the base
    assert Settings.parse({}) == DEFAULTS


@pytest.mark.parametrize("text", ["1", "true", "Yes", " on "])
def test_every_way_of_writing_true_is_true(text):
    assert Settings.parse({"align": text}).align is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"smoothing": "lots"}, "--smoothing must be a number"),
        ({"smoothing": "1.5"}, r"--smoothing must be between 0\.0 and 0\.95 \(got 1\.5\)"),
        ({"min_face_px": "40.5"}, "--min-face must be a number"),
        ({"detector_range": "near"}, "--range must be one of auto, short, full"),
    ],
)
def test_bad_stored_text_is_one_line_naming_the_option(values, message):
    with pytest.raises(UsageError, match=message) as caught:
        Settings.parse(values)
    assert "\n" not in str(caught.value)


def test_a_refused_change_leaves_the_settings_as_they_were():
    s = Settings(smoothing=0.3)
    with pytest.raises(UsageError):
        s.replace(smoothing=2.0)
    with pytest.raises(UsageError, match="unknown setting 'smooth'"):
        s.replace(smooth=0.4)
    assert s.smoothing == 0.3 and s == Settings(smoothing=0.3)


def test_a_whole_number_given_as_float_is_kept_as_an_int():
    s = Settings.of(min_face_px=40.0)
    assert s.min_face_px == 40 and isinstance(s.min_face_px, int)
    assert dataclasses.asdict(s) == s.as_dict()
