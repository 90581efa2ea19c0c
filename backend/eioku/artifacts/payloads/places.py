from pydantic import Field

from eioku.artifacts.payloads._common import Confidence, LabelScore, Payload


class PlaceClassificationV1(Payload):
    """What kind of place a frame shows, with runner-up labels."""

    label: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    alternatives: list[LabelScore] = Field(default_factory=list)
    frame_number: int = Field(ge=0)


class PlaceFrame(Payload):
    """One sampled frame of the shot: when, and what the model saw in it."""

    frame_number: int = Field(ge=0)
    time_ms: int = Field(ge=0)
    label: str = Field(min_length=1, max_length=200)  # the frame's own best place
    classes: list[LabelScore] = Field(default_factory=list, max_length=10)  # the model's top classes


class PlaceClassificationV2(Payload):
    """What kind of place a *shot* shows: a label of the place vocabulary
    (street, beach, kitchen, … see docs/models.md), or ``indoor``/``outdoor``
    when only that is clear, or ``unknown``; its indoor/outdoor side; the other
    places it could be; and the frames it was read from."""

    label: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    io: str = Field(pattern=r"^(indoor|outdoor|unknown)$")
    alternatives: list[LabelScore] = Field(default_factory=list)
    frames: list[PlaceFrame] = Field(default_factory=list, max_length=10_000)
    frame_number: int = Field(ge=0)  # the shot's first sampled frame
