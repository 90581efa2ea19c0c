"""The artifact envelope: provenance and time span around a typed payload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_SPAN_MS = 10 * 24 * 3600 * 1000  # ten days: longer than any video we accept


class _Span(BaseModel):
    span_start_ms: int = Field(ge=0, le=MAX_SPAN_MS)
    span_end_ms: int = Field(ge=0, le=MAX_SPAN_MS)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.span_start_ms > self.span_end_ms:
            raise ValueError(
                f"span_start_ms ({self.span_start_ms}) must be <= span_end_ms ({self.span_end_ms})"
            )
        return self


class NewArtifact(_Span):
    """What a producer hands the store; provenance comes from its run."""

    model_config = ConfigDict(extra="forbid")

    artifact_type: str = Field(min_length=1, max_length=100)
    schema_version: int = Field(default=1, ge=1)
    payload: dict[str, Any]


class ArtifactEnvelope(_Span):
    """A stored artifact, every field present (SPEC R1.1)."""

    model_config = ConfigDict(frozen=True)

    artifact_id: uuid.UUID
    asset_id: uuid.UUID
    artifact_type: str
    schema_version: int
    payload: dict[str, Any]
    producer: str
    producer_version: str
    model_profile: str
    config_hash: str
    input_hash: str
    run_id: uuid.UUID
    created_at: datetime



ENVELOPE_FIELDS: tuple[str, ...] = (
    "artifact_id", "asset_id", "artifact_type", "schema_version", "span_start_ms",
    "span_end_ms", "payload", "producer", "producer_version", "model_profile",
    "config_hash", "input_hash", "run_id", "created_at",
)  # fmt: skip
