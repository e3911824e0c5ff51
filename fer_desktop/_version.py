"""The app version: in every timeline header, index row and `--version`."""

__version__ = "0.1.0"
