"""Errors of the analysis side."""

from eioku.domain.errors import EiokuError


class MediaError(EiokuError):
    """The file cannot be decoded as a video (corrupt, truncated, empty or not a video).
    Retrying will not help."""


class ModelMissingError(EiokuError):
    """A model weight file is missing."""
