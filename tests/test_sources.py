"""Frame sources on real files written by the tests."""

import cv2
import numpy as np
import pytest

from fer_desktop.sources import (
    DemoSource,
    FolderSource,
    ImageSource,
    SourceError,
    VideoSource,
    open_source,
    read_image,
)


def test_demo_shows_a_real_moving_face():
    demo = DemoSource(fps=10, duration=1.0, realtime=False)
    frames = list(demo)
    assert len(frames) == 10
    assert frames[0].bgr.shape == (480, 640, 3)
    assert [f.t_source for f in frames] == pytest.approx([i / 10 for i in range(10)])
    assert not np.array_equal(frames[0].bgr, frames[5].bgr)  # it moves


def test_video_is_read_frame_by_frame_with_timestamps(demo_video):
    with VideoSource(demo_video) as src:
        frames = list(src)
        assert src.fps == pytest.approx(15.0)
    assert len(frames) == 45
    assert frames[-1].t_source == pytest.approx(44 / 15, abs=0.01)
    with VideoSource(demo_video, every=5) as src:
        assert [f.index for f in src] == list(range(0, 45, 5))


@pytest.mark.parametrize("kind", ["gray", "rgba", "u16", "palette"])
def test_image_kinds_become_bgr_uint8(tmp_path, astronaut_bgr, kind):
    from PIL import Image

    path = tmp_path / f"{kind}.png"
    if kind == "gray":
        cv2.imwrite(str(path), cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY))
    elif kind == "rgba":
        cv2.imwrite(str(path), cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2BGRA))
    elif kind == "u16":
        cv2.imwrite(str(path), astronaut_bgr.astype(np.uint16) * 257)
    else:
        Image.fromarray(astronaut_bgr[:, :, ::-1]).convert("P").save(path)
    img = read_image(path)
    assert img.dtype == np.uint8 and img.shape == (512, 512, 3)
    assert abs(float(img.mean()) - float(astronaut_bgr.mean())) < 12


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_text("hello, not an image"), "not a readable image"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: None, "no such file"),
    ],
)
def test_bad_images_raise_one_clear_line(tmp_path, make, message):
    path = tmp_path / "bad.jpg"
    make(path)
    with pytest.raises(SourceError, match=message) as err:
        read_image(path)
    assert "\n" not in str(err.value)


def test_truncated_video_and_zero_frame_video(tmp_path, demo_video):
    cut = tmp_path / "cut.avi"
    cut.write_bytes(demo_video.read_bytes()[:5000])
    try:
        frames = list(VideoSource(cut))
        assert len(frames) < 45
    except SourceError as exc:
        assert "not a video" in str(exc)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty file"):
        VideoSource(empty)


def test_folder_source_skips_unreadable_files(tmp_path, astronaut_bgr):
    cv2.imwrite(str(tmp_path / "a.png"), astronaut_bgr)
    (tmp_path / "b.jpg").write_text("junk")
    cv2.imwrite(str(tmp_path / "c.jpg"), astronaut_bgr)
    src = FolderSource(tmp_path)
    assert [f.index for f in src] == [0, 1]
    assert [p.name for p, _ in src.skipped] == ["b.jpg"]


def test_open_source_dispatches(tmp_path, astronaut_png, demo_video):
    assert isinstance(open_source(str(astronaut_png)), ImageSource)
    assert isinstance(open_source(str(demo_video)), VideoSource)
    assert isinstance(open_source("demo"), DemoSource)
    with pytest.raises(SourceError, match="camera 97"):
        open_source("camera:97")
