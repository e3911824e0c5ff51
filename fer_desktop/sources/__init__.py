"""Frame sources: camera, video file, image, folder of images and the built-in demo.

Each source is an iterable of `Frame`s (index, source time in seconds, BGR image) with a
`close()`. Nothing here keeps more than the frame in hand: video files are decoded one frame
at a time, and the camera reader keeps only the newest frame.

One idea per module:
- `frames`: a frame, a source, its clock and its error;
- `images`: an image file, or a folder of them;
- `video`: a video file;
- `camera`: a camera;
- `demo`: the built-in demo face;
- `opening`: a source from what the user typed.
"""

from fer_desktop.sources.camera import CameraSource, camera_id
from fer_desktop.sources.demo import DemoSource, demo_portrait
from fer_desktop.sources.frames import SYSTEM_CLOCK, Clock, Frame, FrameSource, SourceError
from fer_desktop.sources.images import IMAGE_SUFFIXES, FolderSource, ImageSource, read_image
from fer_desktop.sources.opening import open_source
from fer_desktop.sources.video import VideoSource

__all__ = [
    "IMAGE_SUFFIXES",
    "SYSTEM_CLOCK",
    "CameraSource",
    "Clock",
    "DemoSource",
    "FolderSource",
    "Frame",
    "FrameSource",
    "ImageSource",
    "SourceError",
    "VideoSource",
    "camera_id",
    "demo_portrait",
    "open_source",
    "read_image",
]
