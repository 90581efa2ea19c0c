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
from eioku.domain.models import SelectionPolicy
from eioku.services.artifacts import artifact_page, known_type

router = APIRouter(tags=["artifacts"])
Ms = Annotated[int | None, Query(ge=0, le=MAX_SPAN_MS)]


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
    page, next_cursor = artifact_page(uow, video_id, type, from_ms=from_ms, to_ms=to_ms,
                                      selection=selection, limit=limit, cursor=cursor)
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
    rows = uow.runs.profiles(video_id, known_type(type) if type else None)
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
    return _selection_out(uow, video_id, known_type(artifact_type))


@router.put("/v1/videos/{video_id}/selection/{artifact_type}", response_model=SelectionOut)
def put_selection(
    video_id: uuid.UUID, artifact_type: str, body: SelectionIn, uow: UowDep
) -> SelectionOut:
    """Set the selection policy. `profile` needs preferred_profile; `pinned` needs
    pinned_run_id of a completed run of this video and type (else 422)."""
    uow.videos.get(video_id)
    known_type(artifact_type)
    policy = SelectionPolicy(body.mode, body.preferred_profile, body.pinned_run_id)
    uow.selections.set_policy(video_id, artifact_type, policy)
    uow.commit()
    return _selection_out(uow, video_id, artifact_type)
