"""The base of every error fer_desktop reports to the user as one clear line.

A leaf module. Each user-facing error (a missing model, an unreadable source, an unwritable
folder, a bad option) derives from `FerDesktopError`; the front ends print its message in one
line. Any other exception is a bug and is shown with its traceback.
"""


class FerDesktopError(Exception):
    """A problem the user can fix; the message says what and, where it can, how."""


class UsageError(FerDesktopError, ValueError):
    """An option or command that cannot be carried out as given."""
