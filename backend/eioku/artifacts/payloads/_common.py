"""Small value types shared by several payloads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Confidence = Field(ge=0.0, le=1.0, allow_inf_nan=False)


class Payload(BaseModel):
    """Base for payload schemas: strict about unknown fields, finite numbers."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class BBox(Payload):
    """Box in pixels of the analysed frame: top-left corner, width, height."""

    x: float = Field(ge=0)
    y: float = Field(ge=0)
    w: float = Field(ge=0)
    h: float = Field(ge=0)


class Point(Payload):
    x: float
    y: float


class LabelScore(Payload):
    label: str = Field(min_length=1, max_length=200)
    confidence: float = Confidence
