from pydantic import Field

from eioku.artifacts.payloads._common import BBox, Confidence, Payload


class ObjectDetectionV1(Payload):
    """One detected object in one frame."""

    label: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    bbox: BBox
    frame_number: int = Field(ge=0)
    track_id: int | None = None
