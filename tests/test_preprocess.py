"""Face -> model input: property tests over any box, frame size and dtype."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fer_desktop.preprocess import face_to_input, square_crop_box, to_model_input

DTYPES = st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_])


@settings(max_examples=150, deadline=None)
@given(
    h=st.integers(1, 300),
    w=st.integers(1, 300),
    channels=st.sampled_from([None, 1, 3, 4]),
    dtype=DTYPES,
    x=st.floats(-500, 800),
    y=st.floats(-500, 800),
    bw=st.floats(0, 900),
    bh=st.floats(0, 900),
    margin=st.floats(0, 1),
    align=st.booleans(),
    data=st.data(),
)
@pytest.mark.slow
def test_any_box_on_any_frame_gives_48x48_uint8(
    h, w, channels, dtype, x, y, bw, bh, margin, align, data
):
    shape = (h, w) if channels is None else (h, w, channels)
    frame = data.draw(arrays(dtype, shape))
    eyes = ((x, y), (x + bw, y + bh / 3))
    out = face_to_input(frame, (x, y, bw, bh), eyes, margin=margin, align=align)
    assert out.shape == (48, 48) and out.dtype == np.uint8


@settings(max_examples=60, deadline=None)
@given(img=arrays(np.float64, st.tuples(st.integers(1, 120), st.integers(1, 120))))
def test_float_images_with_nan_and_inf_are_handled(img):
    out = to_model_input(img)
    assert out.shape == (48, 48) and out.dtype == np.uint8


def test_48x48_uint8_passes_through_unchanged():
    img = np.random.default_rng(0).integers(0, 256, (48, 48), dtype=np.uint8)
    assert np.array_equal(to_model_input(img), img)


def test_crop_is_centred_on_the_face(grace_hopper_bgr):
    box = (171, 146, 194, 194)
    x, _y, side, _ = square_crop_box(box, 0.25)
    assert side == 194 * 1.5 and x + side / 2 == 171 + 97
    crop = face_to_input(grace_hopper_bgr, box)
    whole = to_model_input(grace_hopper_bgr)
    assert crop.std() > 20 and not np.array_equal(crop, whole)
