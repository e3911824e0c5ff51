"""fer_desktop: real-time happy / neutral / sad face reading on the desktop, fully offline.

For notebooks: `fer_desktop.read_timeline(path)`, `fer_desktop.read_study(folder)` and
`fer_desktop.analyze_file(path, ...)` return pandas DataFrames (see fer_desktop.api);
`fer_desktop.Settings` holds every setting.
"""

from fer_desktop._version import __version__

__all__ = ["Settings", "__version__", "analyze_file", "read_study", "read_timeline"]


def __getattr__(name: str):
    """The API, imported when first used (so `import fer_desktop` stays light)."""
    if name in ("read_timeline", "read_study", "analyze_file"):
        from fer_desktop import api

        return getattr(api, name)
    if name == "Settings":
        from fer_desktop.settings import Settings

        return Settings
    raise AttributeError(f"module 'fer_desktop' has no attribute {name!r}")
