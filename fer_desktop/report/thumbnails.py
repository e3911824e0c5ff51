"""Small pictures of each face, cut from the video, for the report."""

from __future__ import annotations

import base64
from pathlib import Path

from fer_desktop.recording import Recording


def face_thumbnails(rec: Recording, size: int = 64) -> dict[int, str]:
    """face id -> a small JPEG (data URL) of that face, cut from the video at its most
    confident detection; empty when the video is not where the timeline says."""
    header = rec.header
    video = header.get("source_path") or header.get("source")
    if not video or not Path(video).is_file():
        return {}
    import cv2

    from fer_desktop.sources import SourceError, VideoSource

    best: dict[int, dict] = {}
    for row in rec.faces:
        fid = int(row["face_id"])
        if fid not in best or row.get("score", 0) > best[fid].get("score", 0):
            best[fid] = row
    out = {}
    try:
        source = VideoSource(Path(video))
    except SourceError:
        return {}
    frames = iter(source)
    try:
        for fid, row in sorted(best.items(), key=lambda item: item[1]["t_source"]):
            # `frame` counts the analysed frames (every Nth); the video's own is at t_source
            source.seek(round(row.get("source_t", row["t_source"]) * source.fps))
            picture = next(frames, None)
            if picture is None:
                break  # past the end: so are the later ones
            x, y, w, h = (round(v) for v in row["box"])
            crop = picture.bgr[max(y, 0) : y + h, max(x, 0) : x + w]
            if crop.size:
                _ok, jpg = cv2.imencode(".jpg", cv2.resize(crop, (size, size)))
                out[fid] = "data:image/jpeg;base64," + base64.b64encode(jpg.tobytes()).decode()
    except SourceError:
        pass  # a file that cannot seek: the faces found so far keep their pictures
    finally:
        source.close()
    return out
