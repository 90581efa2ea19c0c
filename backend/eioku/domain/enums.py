"""Closed vocabularies shared by every layer."""

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED)


# Allowed lifecycle moves: queued -> running -> completed | failed; any
# unfinished run may be canceled, and a queued run may fail (e.g. bad input).
RUN_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELED}),
    RunStatus.RUNNING: frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED}),
    RunStatus.COMPLETED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.CANCELED: frozenset(),
}


class SelectionMode(StrEnum):
    DEFAULT = "default"
    LATEST = "latest"
    PINNED = "pinned"
    PROFILE = "profile"
    BEST_QUALITY = "best_quality"


class ModelProfile(StrEnum):
    FAST = "fast"
    BALANCED = "balanced"
    HIGH_QUALITY = "high_quality"

    @property
    def quality_rank(self) -> int:
        """Higher is better; used by the ``best_quality`` selection mode."""
        return {"fast": 0, "balanced": 1, "high_quality": 2}[self.value]


class ArtifactType(StrEnum):
    SCENE = "scene"
    TRANSCRIPT_SEGMENT = "transcript.segment"
    OBJECT_DETECTION = "object.detection"
    FACE_DETECTION = "face.detection"
    PLACE_CLASSIFICATION = "place.classification"
    OCR_TEXT = "ocr.text"
    VIDEO_METADATA = "video.metadata"
    VIDEO_QUALITY = "video.quality"
    TEXT_EMBEDDING = "text.embedding"
    IMAGE_EMBEDDING = "image.embedding"
    SPEAKER_TURN = "speaker.turn"
    CHAPTER = "chapter"
    ENTITY_MENTION = "entity.mention"
    TEXT_LANGUAGE = "text.language"
    BOOKMARK = "bookmark"  # marked by people: runs of producer user (store/bookmarks.py)
    AUDIO_EVENT = "audio.event"
    SEGMENT = "segment"


class JumpKind(StrEnum):
    """Navigation targets, each backed by one projection table."""

    SCENE = "scene"
    TRANSCRIPT = "transcript"
    OBJECT = "object"
    FACE = "face"
    PLACE = "place"
    OCR = "ocr"
    SPEAKER = "speaker"
    CHAPTER = "chapter"
    ENTITY = "entity"
    LANGUAGE = "language"
    BOOKMARK = "bookmark"
    SOUND = "sound"
    SEGMENT = "segment"


class Direction(StrEnum):
    NEXT = "next"
    PREV = "prev"


class Granularity(StrEnum):
    """What a jump over sampled detections (objects, faces, places) lands on."""

    APPEARANCE = "appearance"  # detections of one label merged in time (default)
    DETECTION = "detection"  # every sampled detection


class FindSource(StrEnum):
    TRANSCRIPT = "transcript"
    OCR = "ocr"
    BOOKMARK = "bookmark"
    ALL = "all"
