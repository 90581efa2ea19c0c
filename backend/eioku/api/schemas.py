"""Request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from eioku.artifacts.envelope import MAX_SPAN_MS, ArtifactEnvelope
from eioku.domain.enums import ModelProfile, SelectionMode

MAX_BATCH = 50_000


class VideoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    video_id: uuid.UUID
    path: str
    filename: str
    content_hash: str | None = Field(description="sha256 of the file; null while `registering`")
    size_bytes: int
    duration_ms: int | None
    recorded_at: datetime | None
    created_at: datetime
    status: str = Field(description="registering | registered | unreadable")
    error: str | None = Field(default=None, description="why the file could not be read (`unreadable`)")
    missing_since: datetime | None = Field(default=None, description=(
        "set when every file of the video went away from its library folder: kept, with its "
        "analysis, until purged (EIOKU_MISSING_GRACE_S)"))


class VideoPage(BaseModel):
    videos: list[VideoOut]
    total: int
    limit: int
    offset: int


class RegisterVideo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=4096, description="Absolute path inside a media root.")
    analyze: bool = Field(default=False, description="Queue the analysis pipeline for the video.")
    profile: ModelProfile = ModelProfile.FAST
    analyzers: list[str] | None = Field(default=None, max_length=20,
                                        description="Analyzers to run (default: all).")


class VideoRegistered(BaseModel):
    video_id: uuid.UUID
    status: str
    created: bool = Field(description="False when the same content was already registered.")
    run_ids: list[uuid.UUID]


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    run_id: uuid.UUID
    asset_id: uuid.UUID
    analyzer: str
    artifact_type: str
    model_profile: str
    producer: str
    producer_version: str
    config: dict[str, Any]
    config_hash: str
    input_hash: str
    status: str
    progress: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    timings: dict[str, Any]
    reused_from: uuid.UUID | None


class RunList(BaseModel):
    runs: list[RunOut]


class CreateRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    artifact_type: str = Field(min_length=1, max_length=100)
    producer: str = Field(min_length=1, max_length=200)
    producer_version: str = Field(min_length=1, max_length=100)
    model_profile: ModelProfile = ModelProfile.FAST
    config: dict[str, Any] = Field(default_factory=dict)
    input_hash: str | None = Field(default=None, max_length=200,
                                   description="Defaults to the video's content hash.")


class RunCreated(BaseModel):
    run_id: uuid.UUID
    status: str


class ArtifactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    span_start_ms: int = Field(ge=0, le=MAX_SPAN_MS)
    span_end_ms: int = Field(ge=0, le=MAX_SPAN_MS)
    schema_version: int = Field(default=1, ge=1, le=1000)
    payload: dict[str, Any]


class ArtifactBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    artifacts: list[ArtifactIn] = Field(min_length=1, max_length=MAX_BATCH)


class Count(BaseModel):
    count: int


class FailRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: str = Field(min_length=1, max_length=10_000)


class ArtifactOut(ArtifactEnvelope):
    """An artifact as stored: the full envelope and its payload."""

    model_config = ConfigDict(from_attributes=True, frozen=True)


class ArtifactProvenance(ArtifactOut):
    run: RunOut


class ArtifactPage(BaseModel):
    artifacts: list[ArtifactOut]
    next_cursor: str | None


class Span(BaseModel):
    start_ms: int
    end_ms: int


class JumpOut(BaseModel):
    jump_to: Span
    artifact_ids: list[uuid.UUID]
    kind: str
    label: str | None = None
    labels: list[str] = Field(
        default_factory=list,
        description="labels (or face cluster ids) of the hits; for objects, faces and places a "
                    "hit is an appearance: detections of one label merged in time")
    video_id: uuid.UUID


class FindMatchOut(BaseModel):
    jump_to: Span
    artifact_id: uuid.UUID
    source: str
    snippet: str


class FindOut(BaseModel):
    matches: list[FindMatchOut]


class ProfileOut(BaseModel):
    artifact_type: str
    model_profile: str
    runs: int
    artifacts: int
    latest_finished_at: datetime | None


class ProfileList(BaseModel):
    profiles: list[ProfileOut]


class SelectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: SelectionMode
    preferred_profile: ModelProfile | None = None
    pinned_run_id: uuid.UUID | None = None


class SelectionOut(SelectionIn):
    asset_id: uuid.UUID
    artifact_type: str
    selected_run_id: uuid.UUID | None = Field(
        description="The run every read path shows under this policy right now.")


class Health(BaseModel):
    status: str
    database: str
    semantic_search: str | None = Field(
        default=None, description="hnsw (pgvector index) or exact (scan without pgvector)")


class AppearanceOut(BaseModel):
    label: str = Field(description="object label, or face cluster id (person-N)")
    start_ms: int
    end_ms: int
    confidence: float = Field(description="the best detection's confidence")
    detections: int


class AppearancesOut(BaseModel):
    kind: str
    appearances: list[AppearanceOut]
