"""The errors fer_desktop reports as one clear line instead of a traceback."""

from fer_desktop.classifier import ModelError
from fer_desktop.detector_models import DetectorModelError
from fer_desktop.sources import SourceError
from fer_desktop.timeline import TimelineError

KNOWN_ERRORS = (ModelError, DetectorModelError, SourceError, TimelineError, ValueError, OSError)
