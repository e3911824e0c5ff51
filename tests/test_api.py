"""The Python API: timelines as typed DataFrames, analyze_file, and the README's example."""

import re

import pytest

import fer_desktop
from fer_desktop.errors import FerDesktopError, UsageError
from tests.bad_inputs import cut_in_half, mp4
from tests.conftest import REPO

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def analysed(blinking_video, tmp_path_factory):
    path = tmp_path_factory.mktemp("api_out") / "blinking.csv"
    faces = fer_desktop.analyze_file(
        blinking_video, timeline=path, grace_seconds=0.0, reid_seconds=0.0, min_hits=1
    )
    return faces, path


def test_analyze_file_returns_typed_faces_and_read_timeline_gives_the_same(analysed):
    faces, path = analysed
    assert faces.face_id.dtype == "Int64" and faces.frame.dtype == "Int64"
    assert str(faces.t_wall.dtype).startswith("datetime64") and str(faces.t_wall.dt.tz) == "UTC"
    assert faces.valence.dtype == "float64" and faces.p_sad_cal.isna().all()
    assert faces.label.dtype == "string" and faces.cal.dtype == faces.label.dtype
    assert sorted(faces.face_id.unique()) == list(range(1, 16))  # numbers, not '10' < '2'
    assert faces.sort_values("face_id").face_id.iloc[-1] == 15
    assert -1 <= faces.valence.mean() <= 1
    assert faces.attrs["header"]["settings"]["app_version"] == fer_desktop.__version__
    pd.testing.assert_frame_equal(fer_desktop.read_timeline(path), faces)
    frames = fer_desktop.read_timeline(path, rows="frames")
    assert frames.faces.tolist() == [0 if i % 3 == 0 else 1 for i in range(45)]


def test_the_readme_example_runs(analysed, blinking_video, capsys):
    text = (REPO / "README.md").read_text()
    code = re.search(r"<!-- tested: tests/test_api.py -->\n```python\n(.*?)```", text, re.S)
    assert code, "the README's tested example is missing"
    _, path = analysed
    exec(code.group(1), {"timeline_path": path, "video_path": blinking_video})
    printed = capsys.readouterr().out
    assert "mean_valence" in printed and "happy_share" in printed


def test_events_rows(tmp_path, demo_video):
    from fer_desktop.session import AddMarker, Session, SessionOptions
    from fer_desktop.timeline import open_timeline

    timeline = open_timeline(tmp_path / "t.jsonl", "jsonl")
    options = SessionOptions(realtime=False)
    session = Session.from_settings(str(demo_video), fer_desktop.Settings(), options, [timeline])
    session.send(AddMarker("boss #2, start"))  # applied with the first frame
    session.run()
    events = fer_desktop.read_timeline(tmp_path / "t.jsonl", rows="events")
    assert events.event.tolist() == ["marker"] and events.note.tolist() == ["boss #2, start"]


def test_bad_settings_and_paths_are_one_clear_error(blinking_video, tmp_path):
    with pytest.raises(UsageError, match="unknown setting 'smothing'"):
        fer_desktop.analyze_file(blinking_video, smothing=0.8)
    with pytest.raises(UsageError, match=r"smoothing must be between 0\.0 and 0\.95"):
        fer_desktop.analyze_file(blinking_video, smoothing=2)
    with pytest.raises(UsageError, match="rows must be one of"):
        fer_desktop.read_timeline(blinking_video, rows="people")
    with pytest.raises(FerDesktopError, match="no such timeline"):
        fer_desktop.read_timeline(tmp_path / "missing.csv")
    with pytest.raises(FerDesktopError, match="no such file"):
        fer_desktop.analyze_file(tmp_path / "missing.mp4")


def test_without_pandas_the_api_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)
    with pytest.raises(FerDesktopError, match="pip install pandas"):
        fer_desktop.read_timeline(tmp_path / "t.csv")


@pytest.mark.slow
def test_analyze_file_tells_a_truncated_file_and_what_the_cli_records(tmp_path):
    """A faststart MP4 cut in half: its container still claims the whole length."""
    from fer_desktop.sources import DemoSource, VideoSource

    frames = [f.bgr for f in DemoSource(fps=15.0, duration=4.0, realtime=False)]
    cut = cut_in_half(mp4(tmp_path / "fast.mp4", frames, faststart=True))
    with VideoSource(cut) as source:
        fps, duration = source.fps, source.duration
        read = len(list(source)) and source.read_s
    with pytest.warns(UserWarning, match="the file ends early"):
        faces = fer_desktop.analyze_file(cut)
    assert faces.attrs["truncated"] == f"truncated: {read:.1f} s of {duration:.1f} s analysed"
    assert faces.attrs["analysed_s"] == pytest.approx(read, abs=1e-3)
    header = faces.attrs["header"]
    assert header["source_fps"] == fps and header["source_duration_s"] == duration
    assert faces.attrs["path"] is None  # nothing was written, so no file is named
    assert faces.attrs["summary"]["frames"] == faces.frame.nunique() > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fast_cut.mp4"]


def test_analyze_file_of_a_whole_file_is_not_truncated(analysed, blinking_video):
    from fer_desktop.sources import VideoSource

    faces, path = analysed
    assert faces.attrs["truncated"] == "" and faces.attrs["path"] == str(path)
    with VideoSource(blinking_video) as source:
        assert faces.attrs["header"]["source_duration_s"] == source.duration > 0
