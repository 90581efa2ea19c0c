from pydantic import Field

from eioku.artifacts.payloads._common import BBox, Confidence, Payload


class FaceDetectionV1(Payload):
    """One detected face in one frame, with the identity cluster it joined."""

    confidence: float = Confidence
    bbox: BBox
    cluster_id: str = Field(min_length=1, max_length=100)
    frame_number: int = Field(ge=0)
    embedding_ref: str | None = None
