"""fer_desktop: real-time happy / neutral / sad face reading on the desktop, fully offline."""

from fer_desktop import _quiet  # noqa: F401  (native libraries' log levels, before they load)

__version__ = "0.1.0"
