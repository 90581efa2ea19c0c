from pydantic import Field

from eioku.artifacts.payloads._common import Confidence, Payload


class SpeakerTurnV1(Payload):
    """One speaker talking, from the artifact's span start to its end. ``speaker``
    is a label of this video's run ("Speaker 1", ... by first appearance);
    ``overlap``: another speaker talks during part of this span (overlapping
    speech is given to every speaker heard, each turn marked); ``embedding``:
    the turn's own voice, not given for overlapping speech."""

    speaker: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
    overlap: bool = False
    # the turn's voice (unit mean of its ECAPA-TDNN window embeddings; speakers
    # version 2 on): what matches a speaker into a voice across videos
    embedding: list[float] | None = Field(default=None, min_length=1, max_length=1024)
