from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

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
    # English of speech in another language (EIOKU_TRANSLATE runs only): absent when
    # there is none, so the payload of a run without it is what it always was
    translation: str | None = Field(default=None, min_length=1, max_length=20_000)

    @model_serializer(mode="wrap")
    def _without_empty_translation(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped = handler(self)
        if dumped.get("translation") is None:
            dumped.pop("translation", None)
        return dumped
