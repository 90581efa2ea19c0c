from pydantic import Field

from eioku.artifacts.payloads._common import Confidence, LabelScore, Payload


class PlaceClassificationV1(Payload):
    """What kind of place a frame shows, with runner-up labels."""

    label: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    alternatives: list[LabelScore] = Field(default_factory=list)
    frame_number: int = Field(ge=0)
