"""A recording read back is what the session produced: the same frames and faces, from CSV
and JSONL, and the figures the report, review and the index show are one computation."""

import numpy as np
import pytest

from fer_desktop.batch import file_session
from fer_desktop.batch.collector import Collector
from fer_desktop.recording import read_recording, recording_of
from fer_desktop.review import open_recording
from fer_desktop.session_messages import AddMarker
from fer_desktop.sources import VideoSource
from fer_desktop.timeline import MemoryTimeline, open_timeline
from tests.conftest import copy_recording


@pytest.fixture(scope="module")
def written(demo_video, pipeline, tmp_path_factory):
    """The demo clip analysed once into a CSV and a JSONL timeline, with the results the
    session produced kept in memory beside them."""
    folder = tmp_path_factory.mktemp("recording")
    collector = Collector()
    timelines = [open_timeline(folder / f"demo.{fmt}", fmt) for fmt in ("csv", "jsonl")]
    pipeline.reset(restart_ids=True)
    file_session(VideoSource(demo_video), pipeline, 1, [collector, *timelines]).run()
    return collector.results, [t.path for t in timelines]


@pytest.mark.parametrize("fmt", [0, 1], ids=["csv", "jsonl"])
def test_a_recording_reads_back_the_frames_and_faces_the_session_produced(written, fmt):
    produced, paths = written
    rec = read_recording(paths[fmt])
    read = rec.frame_results()
    assert len(read) == len(produced) == 45 and rec.closing is not None
    assert sum(len(f.faces) for f in produced) > 40  # the demo face, nearly every frame
    for a, b in zip(read, produced, strict=True):
        assert (a.index, a.t_wall, a.labels) == (b.index, b.t_wall, b.labels)
        assert a.t_source == pytest.approx(b.t_source, abs=1e-4)
        assert [f.id for f in a.faces] == [f.id for f in b.faces]
        for fa, fb in zip(a.faces, b.faces, strict=True):
            assert (fa.label, fa.cal_state) == (fb.label, fb.cal_state)
            assert fa.valence == pytest.approx(fb.valence, abs=1e-4)
            assert np.allclose(fa.box, fb.box, atol=0.05)
            assert np.allclose(fa.smooth, fb.smooth, atol=1e-4)
            assert np.allclose(fa.probs, fb.probs, atol=1e-4)


def test_csv_and_jsonl_give_the_same_recording_and_figures(written):
    _produced, (csv_path, jsonl_path) = written
    csv_rec, jsonl_rec = read_recording(csv_path), read_recording(jsonl_path)
    assert csv_rec.labels == jsonl_rec.labels == ["happy", "neutral", "sad"]
    assert len(csv_rec.faces) == len(jsonl_rec.faces)
    a, b = csv_rec.summary.figures(), jsonl_rec.summary.figures()
    assert a["faces"] == b["faces"] == 1 and a["share"].keys() == {"happy", "neutral", "sad"}
    assert a["face_seconds"] == pytest.approx(b["face_seconds"], abs=0.01)
    assert a["mean_valence"] == pytest.approx(b["mean_valence"], abs=1e-3)
    assert csv_rec.summary is csv_rec.summary  # computed once, kept


def test_review_figures_are_the_reports_and_its_markers_are_held_once(recorded_demo, tmp_path):
    """Review's segment figures come from the same Recording the report reads; its markers
    live in one place and reach the sidecar (and so the report) when saved."""
    timeline = copy_recording(recorded_demo, tmp_path)
    review = open_recording(timeline)
    end = float(review.times[-1])
    (person,) = review.summary(0.0, end)
    (face,) = read_recording(timeline).shown.summary.faces
    assert person["mean_valence"] == pytest.approx(face.mean_valence, abs=1e-3)
    assert person["strongest_valence"] in (
        pytest.approx(face.happiest[1], abs=1e-3),
        pytest.approx(face.saddest[1], abs=1e-3),
    )
    review.markers.append(review.marker_at(10, "lap 2"))
    review.save()
    assert review.sidecar.markers is None  # saved, still held once: in `markers`
    again = read_recording(timeline)
    assert [m.note for m in again.placed_markers()] == [m.note for m in review.markers]
    assert [m["note"] for m in again.shown.markers][-1] == "lap 2"


def test_a_session_hands_over_the_recording_its_file_reads_back(face_video, pipeline, tmp_path):
    """A real clip analysed once into a CSV, a JSONL and a memory-only timeline: the
    recording each writer kept is the one read back from its file, figures included."""
    writers = [open_timeline(tmp_path / f"t.{fmt}", fmt, keep=True) for fmt in ("csv", "jsonl")]
    memory = MemoryTimeline()
    pipeline.reset(restart_ids=True)
    session = file_session(VideoSource(face_video, every=2), pipeline, 2, [*writers, memory])
    session.send(AddMarker('take 1, "wide"\r\n<b>{x}</b>', "window", None))
    session.run()
    for writer in writers:
        kept, read = recording_of(writer), read_recording(writer.path, edits=False)
        assert kept == read and kept.path == writer.path
        assert len(kept.frames) == 100 and len(kept.faces) > 90 and kept.closing is not None
        assert kept.summary.figures() == read.summary.figures()
        assert [m["note"] for m in kept.markers] == ['take 1, "wide"\r\n<b>{x}</b>']
    in_memory = recording_of(memory)
    assert in_memory.path is None and len(in_memory.faces) == len(kept.faces)
    assert [f["probs"] for f in in_memory.faces] == [f["probs"] for f in kept.faces]
