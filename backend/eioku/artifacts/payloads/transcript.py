from pydantic import Field

from eioku.artifacts.payloads._common import Confidence, Payload


class Word(Payload):
    word: str
    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)
    confidence: float = Confidence


class TranscriptSegmentV1(Payload):
    """A stretch of speech with its text."""

    text: str = Field(max_length=20_000)
    speaker: str | None = None
    confidence: float = Confidence
    language: str = Field(min_length=1, max_length=20)
    words: list[Word] | None = None
