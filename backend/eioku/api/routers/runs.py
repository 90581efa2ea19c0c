"""Runs, including the external-producer flow (bring your own analyzer)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from eioku.api.deps import UowDep
from eioku.api.schemas import (
    ArtifactBatch,
    Count,
    CreateRun,
    FailRun,
    RunCreated,
    RunList,
    RunOut,
)
from eioku.artifacts.registry import default_registry
from eioku.domain.enums import RunStatus
from eioku.domain.errors import ConflictError, SchemaNotFoundError, ValidationFailedError
from eioku.domain.models import Run
from eioku.services import voices
from eioku.store.corrections import USER
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["runs"])
EXTERNAL = "external:"  # the analyzer name of every run opened through this API


def _external_run(uow: UnitOfWork, run_id: uuid.UUID) -> Run:
    """A run opened by `POST /v1/videos/{id}/runs`; the runs Eioku's own workers
    execute are theirs to finish (409), whatever state they are in."""
    run = uow.runs.get(run_id)
    if not run.analyzer.startswith(EXTERNAL):
        raise ConflictError(f"run {run_id} belongs to Eioku's {run.analyzer} analyzer: only runs "
                            "opened with POST /v1/videos/{id}/runs take artifacts, complete or fail here")
    return run


@router.get("/v1/videos/{video_id}/runs", response_model=RunList)
def list_runs(video_id: uuid.UUID, uow: UowDep) -> RunList:
    """Every run of a video, oldest first, with status and progress."""
    uow.videos.get(video_id)
    return RunList(runs=[RunOut.model_validate(r) for r in uow.runs.list_for_asset(video_id)])


@router.get("/v1/runs/{run_id}", response_model=RunOut)
def get_run(run_id: uuid.UUID, uow: UowDep) -> RunOut:
    """One run."""
    return RunOut.model_validate(uow.runs.get(run_id))


@router.post("/v1/videos/{video_id}/runs", status_code=status.HTTP_201_CREATED,
             response_model=RunCreated)
def create_run(video_id: uuid.UUID, body: CreateRun, uow: UowDep) -> RunCreated:
    """Open a run for an external producer. Post artifacts to it, then complete it;
    nothing is visible before `complete`."""
    video = uow.videos.get(video_id)
    if body.producer.lower() == USER:
        raise ValidationFailedError(f"producer {body.producer!r} is the runs made of people's "
                                    "corrections (POST /v1/videos/{id}/corrections/...)",
                                    field="producer")
    registry = default_registry()
    if body.artifact_type not in registry.types():
        raise SchemaNotFoundError(body.artifact_type, 1)
    run = uow.runs.create(
        asset_id=video.video_id, artifact_type=body.artifact_type, producer=body.producer,
        producer_version=body.producer_version, model_profile=body.model_profile.value,
        input_hash=body.input_hash or video.content_hash, config=body.config,
        status=RunStatus.RUNNING, analyzer=f"{EXTERNAL}{body.producer}",
    )
    uow.commit()
    return RunCreated(run_id=run.run_id, status=run.status.value)


@router.post("/v1/runs/{run_id}/artifacts", status_code=status.HTTP_201_CREATED,
             response_model=Count)
def add_artifacts(run_id: uuid.UUID, body: ArtifactBatch, uow: UowDep) -> Count:
    """Add a batch of artifacts to a running run. Every payload is validated against
    its registered schema first; one bad item -> 422 naming it, nothing written."""
    run = _external_run(uow, run_id)
    ids = uow.artifacts.batch_create(run, [a.model_dump() for a in body.artifacts])
    uow.commit()
    return Count(count=len(ids))


@router.post("/v1/runs/{run_id}/complete", response_model=RunOut)
def complete_run(run_id: uuid.UUID, uow: UowDep) -> RunOut:
    """Mark the run completed: its artifacts become visible."""
    _external_run(uow, run_id)
    run = uow.runs.complete(run_id)
    voices.after_run(uow.session, run.artifact_type)  # speakers into voices, face-voice links
    uow.commit()
    return RunOut.model_validate(run)


@router.post("/v1/runs/{run_id}/fail", response_model=RunOut)
def fail_run(run_id: uuid.UUID, body: FailRun, uow: UowDep) -> RunOut:
    """Mark the run failed with a reason; its artifacts are never shown."""
    _external_run(uow, run_id)
    run = uow.runs.fail(run_id, body.error)
    uow.commit()
    return RunOut.model_validate(run)
