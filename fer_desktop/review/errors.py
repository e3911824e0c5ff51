"""What goes wrong in review: a recording that cannot be opened or edited, a cancelled export."""

from __future__ import annotations

from fer_desktop.errors import FerDesktopError


class ReviewError(FerDesktopError):
    """A recording cannot be opened for review (no timeline, no video), or a change to it
    makes no sense (merging two faces seen at the same moment)."""


class ExportCancelled(ReviewError):
    """The user stopped a clip's export; its partial file is gone."""
