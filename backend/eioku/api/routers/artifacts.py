"""Artifacts, profiles and selection policies of a video."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from eioku.api.deps import SelectionDep, UowDep
from eioku.api.schemas import (
    ArtifactOut,
    ArtifactPage,
    ArtifactProvenance,
    ProfileList,
    ProfileOut,
    RunOut,
    SelectionIn,
    SelectionOut,
)
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.artifacts.registry import default_registry
from eioku.domain.errors import SchemaNotFoundError, ValidationFailedError
from eioku.domain.models import SelectionPolicy

router = APIRouter(tags=["artifacts"])
Ms = Annotated[int | None, Query(ge=0, le=MAX_SPAN_MS)]


def _known_type(artifact_type: str) -> str:
    if artifact_type not in default_registry().types():
        raise SchemaNotFoundError(artifact_type, 1)
    return artifact_type


def _parse_cursor(cursor: str) -> tuple[int, uuid.UUID]:
    try:
        start, artifact_id = cursor.split(":", 1)
        return int(start), uuid.UUID(artifact_id)
    except ValueError:
        raise ValidationFailedError("cursor is not one this API returned", field="cursor") from None


@router.get("/v1/videos/{video_id}/artifacts", response_model=ArtifactPage)
def list_artifacts(
    video_id: uuid.UUID,
    uow: UowDep,
    selection: SelectionDep,
    type: Annotated[str | None, Query(max_length=100, description="Artifact type.")] = None,
    from_ms: Ms = None,
    to_ms: Ms = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> ArtifactPage:
    """Artifacts of the selected run(s) overlapping [from_ms, to_ms), by start time.
    Page with `next_cursor`."""
    uow.videos.get(video_id)
    artifact_type = _known_type(type) if type else None
    after = _parse_cursor(cursor) if cursor else None
    lo = -1 if from_ms is None else from_ms  # -1: zero-length artifacts at 0 are included
    hi = MAX_SPAN_MS + 1 if to_ms is None else to_ms
    rows = uow.artifacts.get_by_span(video_id, artifact_type, lo, hi, selection=selection,
                                     after=after, limit=limit + 1)
    page = rows[:limit]
    next_cursor = (f"{page[-1].span_start_ms}:{page[-1].artifact_id}"
                   if len(rows) > limit else None)
    return ArtifactPage(artifacts=[ArtifactOut.model_validate(a) for a in page],
                        next_cursor=next_cursor)


@router.get("/v1/artifacts/{artifact_id}", response_model=ArtifactProvenance)
def get_artifact(artifact_id: uuid.UUID, uow: UowDep) -> ArtifactProvenance:
    """One artifact with full provenance: producer, version, config, input hash and its run."""
    artifact = uow.artifacts.get_by_id(artifact_id)
    run = uow.runs.get(artifact.run_id)
    return ArtifactProvenance(**artifact.model_dump(), run=RunOut.model_validate(run))


@router.get("/v1/videos/{video_id}/profiles", response_model=ProfileList)
def list_profiles(
    video_id: uuid.UUID, uow: UowDep,
    type: Annotated[str | None, Query(max_length=100)] = None,
) -> ProfileList:
    """Which model profiles have completed runs for this video, per artifact type."""
    uow.videos.get(video_id)
    rows = uow.runs.profiles(video_id, _known_type(type) if type else None)
    return ProfileList(profiles=[ProfileOut(**r) for r in rows])


def _selection_out(uow, video_id: uuid.UUID, artifact_type: str) -> SelectionOut:  # type: ignore[no-untyped-def]
    policy = uow.selections.get_policy(video_id, artifact_type)
    return SelectionOut(
        asset_id=video_id, artifact_type=artifact_type, mode=policy.mode,
        preferred_profile=policy.preferred_profile, pinned_run_id=policy.pinned_run_id,
        selected_run_id=uow.selections.resolve_run(video_id, artifact_type))


@router.get("/v1/videos/{video_id}/selection/{artifact_type}", response_model=SelectionOut)
def get_selection(video_id: uuid.UUID, artifact_type: str, uow: UowDep) -> SelectionOut:
    """The stored selection policy (mode `default` when none is stored) and the run it picks."""
    uow.videos.get(video_id)
    return _selection_out(uow, video_id, _known_type(artifact_type))


@router.put("/v1/videos/{video_id}/selection/{artifact_type}", response_model=SelectionOut)
def put_selection(
    video_id: uuid.UUID, artifact_type: str, body: SelectionIn, uow: UowDep
) -> SelectionOut:
    """Set the selection policy. `profile` needs preferred_profile; `pinned` needs
    pinned_run_id of a completed run of this video and type (else 422)."""
    uow.videos.get(video_id)
    _known_type(artifact_type)
    policy = SelectionPolicy(body.mode, body.preferred_profile, body.pinned_run_id)
    uow.selections.set_policy(video_id, artifact_type, policy)
    uow.commit()
    return _selection_out(uow, video_id, artifact_type)
