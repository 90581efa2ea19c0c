from pydantic import Field

from eioku.artifacts.payloads._common import Confidence, Payload


class SpeakerTurnV1(Payload):
    """One speaker talking, from the artifact's span start to its end. ``speaker``
    is a label of this video's run ("Speaker 1", ... by first appearance);
    ``overlap``: another speaker talks during part of this span (overlapping
    speech is given to every speaker heard, each turn marked)."""

    speaker: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    overlap: bool = False
