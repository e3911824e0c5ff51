"""Phone video with a display matrix is read upright everywhere a file is read: analysis (and
the window, through the same source), review, clips and report thumbnails. Each rotated clip
is compared with an upright copy of the same real frames, both written losslessly."""

from __future__ import annotations

import numpy as np
import pytest

from fer_desktop.review import VideoReader
from fer_desktop.sources import VideoSource
from tests.conftest import write_av_video

N_FRAMES = 40
pytestmark = pytest.mark.slow  # four lossless clips written, two analysed


@pytest.fixture(scope="module")
def upright_frames(face_video) -> list[np.ndarray]:
    """The talking head's first frames cut to a portrait 288x512, as a phone held upright
    films them."""
    with VideoSource(face_video) as source:
        frames = [f.bgr for f, _ in zip(source, range(N_FRAMES), strict=False)]
    return [np.ascontiguousarray(f[:, 112:400]) for f in frames]


@pytest.fixture(scope="module")
def clips(upright_frames, tmp_path_factory):
    """rotation -> a clip whose stored pictures need that turn (the display matrix) to be
    upright; rotation 0 is the upright copy."""
    folder = tmp_path_factory.mktemp("rotated")
    out = {}
    for rotation in (0, -90, 90, 180):
        stored = [np.ascontiguousarray(np.rot90(f, -rotation // 90)) for f in upright_frames]
        out[rotation] = write_av_video(folder / f"phone_{rotation}.mp4", stored, rotation=rotation)
    return out


@pytest.mark.parametrize("rotation", [-90, 90, 180])
def test_a_file_is_read_as_its_display_matrix_shows_it(clips, upright_frames, rotation):
    with VideoSource(clips[rotation]) as source:
        assert source.size == (288, 512)
        frames = [f.bgr for f in source]
    assert len(frames) == N_FRAMES
    for got, want in zip(frames, upright_frames, strict=True):
        assert got.shape == want.shape
        assert np.abs(got.astype(int) - want).mean() < 1.0  # lossless but for YUV rounding
    reader = VideoReader(clips[rotation])
    try:
        for i in (0, N_FRAMES - 1, 5):  # a jump back too
            assert np.array_equal(reader.read(i), frames[i])
    finally:
        reader.close()


@pytest.mark.slow
def test_analysis_review_clips_and_thumbnails_of_a_rotated_clip_match_the_upright_copy(
    clips, tmp_path
):
    import av

    import fer_desktop
    from fer_desktop.recording import read_recording
    from fer_desktop.report import face_thumbnails
    from fer_desktop.review import open_recording

    pd = pytest.importorskip("pandas")
    faces = {}
    for rotation in (0, -90):
        path = tmp_path / f"phone_{rotation}.jsonl"
        faces[rotation] = fer_desktop.analyze_file(clips[rotation], timeline=path)
    upright, rotated = faces[0], faces[-90]
    assert upright.face_id.nunique() == 1 and len(upright) >= N_FRAMES - 2
    columns = ["frame", "face_id", "x", "y", "w", "h", "label", "valence"]
    pd.testing.assert_frame_equal(rotated[columns], upright[columns], atol=1.0)

    thumbs = {r: face_thumbnails(read_recording(tmp_path / f"phone_{r}.jsonl")) for r in faces}
    assert thumbs[-90].keys() == thumbs[0].keys() == {1}
    assert thumbs[-90] == thumbs[0]  # the same JPEG bytes: the same upright crop

    rec = open_recording(tmp_path / "phone_-90.jsonl")
    clip = tmp_path / "clip.mp4"
    written = rec.export_clip(0.0, 1.0, clip)
    with av.open(str(clip)) as container:
        first = next(container.decode(video=0))
    assert written > 0 and (first.width, first.height) == (288, 512)
