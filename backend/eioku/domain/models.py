"""Plain domain records returned by the store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eioku.domain.enums import ModelProfile, RunStatus, SelectionMode
from eioku.domain.errors import InvalidPolicyError


@dataclass(frozen=True)
class Video:
    video_id: uuid.UUID
    path: str
    filename: str
    content_hash: str | None  # None while a large file registered by path is hashed
    size_bytes: int
    duration_ms: int | None
    recorded_at: datetime | None
    created_at: datetime
    status: str  # registering | registered | unreadable
    error: str | None = None
    missing_since: datetime | None = None  # every file of it went away (library folders)


@dataclass(frozen=True)
class Run:
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
    status: RunStatus
    progress: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    timings: dict[str, Any] = field(default_factory=dict)
    reused_from: uuid.UUID | None = None


@dataclass(frozen=True)
class SelectionPolicy:
    """Which run of an (asset, artifact type) the read paths show (SPEC §4)."""

    mode: SelectionMode = SelectionMode.DEFAULT
    preferred_profile: ModelProfile | None = None
    pinned_run_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if self.mode is SelectionMode.PROFILE and self.preferred_profile is None:
            raise InvalidPolicyError("mode 'profile' needs preferred_profile")
        if self.mode is SelectionMode.PINNED and self.pinned_run_id is None:
            raise InvalidPolicyError("mode 'pinned' needs pinned_run_id")


@dataclass(frozen=True)
class SelectionOverride:
    """A per-request override of the stored policy (R24.5).

    ``profile`` alone means ``mode=profile``. Nothing set means "use the
    stored policy".
    """

    mode: SelectionMode | None = None
    profile: ModelProfile | None = None

    def __post_init__(self) -> None:
        if self.mode is None and self.profile is not None:
            object.__setattr__(self, "mode", SelectionMode.PROFILE)
        if self.mode is SelectionMode.PROFILE and self.profile is None:
            raise InvalidPolicyError("selection=profile needs a profile (fast|balanced|high_quality)")

    @property
    def sql_args(self) -> dict[str, str | None]:
        return {
            "sel_mode": self.mode.value if self.mode else None,
            "sel_profile": self.profile.value if self.profile else None,
        }


NO_OVERRIDE = SelectionOverride()
