from typing import Any

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from eioku.artifacts.payloads._common import Confidence, Payload, Point


class OcrTextV1(Payload):
    """Text read off the picture, with the polygon it was found in."""

    text: str = Field(max_length=20_000)
    confidence: float = Confidence
    polygon: list[Point]
    language: str = Field(min_length=1, max_length=20)
    frame_number: int = Field(ge=0)
    # which engine read the line ("rapidocr", "easyocr", "tesseract"), recorded when the run
    # merges two (EIOKU_OCR_LANGUAGES); language is then Tesseract's code ("rus", "ell+grc")
    engine: str | None = Field(default=None, max_length=40)

    @model_serializer(mode="wrap")
    def _without_engine_when_one(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A single-engine run's payload stays as it always was (no ``engine: null``)."""
        data = handler(self)
        if data.get("engine") is None:
            data.pop("engine", None)
        return data
