"""fer_desktop: real-time happy / neutral / sad face reading on the desktop, fully offline."""

__version__ = "0.1.0"
