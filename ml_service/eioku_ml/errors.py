"""Errors of the analysis side."""

from eioku.domain.errors import EiokuError


class MediaError(EiokuError):
    """The file cannot be decoded as a video (corrupt, truncated, empty or not a video).
    Retrying will not help."""


class ModelMissingError(EiokuError):
    """A model weight file is missing."""


class TransientAnalysisError(EiokuError):
    """The analysis ran out of something that may be there on a retry (memory, a
    device): the job is retried with backoff; after the last attempt the run fails."""
