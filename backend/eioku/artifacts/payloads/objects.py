from pydantic import Field

from eioku.artifacts.payloads._common import BBox, Confidence, Payload


class ObjectDetectionV1(Payload):
    """One detected object in one frame."""

    label: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    bbox: BBox
    frame_number: int = Field(ge=0)
    track_id: int | None = None


class ObjectFrame(Payload):
    """One raw detection an object was made of: when, how sure, where."""

    time_ms: int = Field(ge=0)
    frame_number: int = Field(ge=0)
    confidence: float = Confidence
    bbox: BBox


class ObjectDetectionV2(Payload):
    """One object through a shot (a track): its best detection (label,
    confidence, bbox, frame_number), how many samples saw it, and every raw
    detection it was made of (provenance)."""

    label: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    bbox: BBox
    frame_number: int = Field(ge=0)
    track_id: int | None = None
    samples: int = Field(ge=1)
    frames: list[ObjectFrame] = Field(default_factory=list, max_length=100_000)
