"""Who owns what a session runs with: a pipeline is the caller's unless the session built it."""

import pytest

from fer_desktop.session import FrameAnalysed, Session, SessionOptions
from fer_desktop.settings import Settings
from fer_desktop.sources import VideoSource


def test_settings_where_the_pipeline_goes_name_from_settings(demo_video):
    with pytest.raises(TypeError, match="from_settings"):
        Session(str(demo_video), Settings())


def test_a_given_pipeline_stays_the_callers(demo_video, pipeline):
    ids = []

    def keep(event) -> None:
        if isinstance(event, FrameAnalysed):
            ids.extend(face.id for face in event.result.faces)

    options = SessionOptions(realtime=False, max_frames=5)
    Session(str(demo_video), pipeline, options, on_event=keep).run()
    assert ids
    with VideoSource(demo_video) as video:
        assert pipeline.process(next(iter(video))).faces  # not closed: it goes on
