"""Queueing analysis: one run and one job per (video, analyzer, profile)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from sqlalchemy import text

from eioku.config import Settings, get_settings
from eioku.domain.enums import RunStatus
from eioku.domain.errors import MediaUnreadableError
from eioku.domain.models import Run, Video
from eioku.services.pipeline import ANALYZERS, AnalyzerSpec, resolve
from eioku.store.jobs import JobQueue
from eioku.store.uow import UnitOfWork


def queue_analysis(
    uow: UnitOfWork, video: Video, profile: str, analyzers: Iterable[str] | None = None,
    settings: Settings | None = None,
) -> list[Run]:
    """Create (or find pending) runs for the chosen analyzers and defer the
    jobs whose dependencies are met; the rest follow when those complete."""
    settings = settings or get_settings()
    specs = resolve(analyzers, settings.analyzers, settings)
    if video.status == "unreadable":
        raise MediaUnreadableError(video.error or f"{video.filename} cannot be read")
    if video.status == "registering":  # queued once its content hash is known
        request = {"profile": profile, "analyzers": list(analyzers) if analyzers else None}
        uow.session.execute(text(
            "UPDATE videos SET pending_analysis = jsonb_build_object('requests', "
            "COALESCE(pending_analysis -> 'requests', '[]'::jsonb) || jsonb_build_array(CAST(:r AS jsonb))) "
            "WHERE video_id = :v"), {"r": json.dumps(request), "v": video.video_id})
        return []
    runs = []
    for spec in specs:
        pending = _pending_run(uow, video.video_id, spec.name, profile)
        if pending is None:
            producer, config = spec.plan(profile, settings)
            pending = uow.runs.create(
                asset_id=video.video_id, artifact_type=spec.artifact_type, producer=producer,
                producer_version=spec.version, model_profile=profile, input_hash=video.content_hash,
                config=config, analyzer=spec.name, status=RunStatus.QUEUED)
        runs.append(pending)
    defer_ready(uow, video.video_id, settings)
    return runs


def _pending_run(uow: UnitOfWork, asset_id: uuid.UUID, analyzer: str, profile: str) -> Run | None:
    run_id = uow.session.execute(
        text("SELECT run_id FROM runs WHERE asset_id = :a AND analyzer = :n AND model_profile = :p "
             "AND status IN ('queued', 'running') ORDER BY created_at LIMIT 1"),
        {"a": asset_id, "n": analyzer, "p": profile},
    ).scalar_one_or_none()
    return uow.runs.get(run_id) if run_id else None


def defer_ready(uow: UnitOfWork, asset_id: uuid.UUID, settings: Settings | None = None) -> list[uuid.UUID]:
    """Defer queued, not yet deferred runs whose dependencies have completed.
    Frame analyzers ready together go into one frame-pass job (one decode);
    an analyzer that uses another of the same pass gets its results in the pass."""
    settings = settings or get_settings()
    rows = uow.session.execute(
        text("SELECT run_id, analyzer, model_profile FROM runs WHERE asset_id = :a "
             "AND status = 'queued' AND job_id IS NULL ORDER BY created_at"), {"a": asset_id},
    ).all()
    deferred, group = [], []
    for run_id, analyzer, profile in rows:
        spec = ANALYZERS.get(analyzer)
        if spec is None:
            continue
        if settings.frame_pass and spec.frame_pass and _dependencies_met(uow, asset_id, spec, profile,
                                                                         only_hard=True):
            group.append((run_id, spec))
        elif _dependencies_met(uow, asset_id, spec, profile) \
                and JobQueue(uow.session).defer_run(run_id, asset_id, analyzer, profile) is not None:
            deferred.append(run_id)
    ids = [r for r, _ in group]
    ready = [r for r, spec in group if not _pending_uses(uow, asset_id, spec, exclude=ids)]
    if ready:
        JobQueue(uow.session).defer_pass(ready)
        deferred += ready
    return deferred


def _pending_uses(uow: UnitOfWork, asset_id: uuid.UUID, spec: AnalyzerSpec,
                  exclude: list[uuid.UUID]) -> bool:
    """Is a run this analyzer uses still pending outside the pass being formed?"""
    if not spec.uses:
        return False
    return bool(uow.session.execute(
        text("SELECT EXISTS (SELECT 1 FROM runs WHERE asset_id = :a AND analyzer = ANY(:n) "
             "AND status IN ('queued', 'running') AND NOT run_id = ANY(:x))"),
        {"a": asset_id, "n": list(spec.uses), "x": exclude}).scalar_one())


def _dependencies_met(uow: UnitOfWork, asset_id: uuid.UUID, spec: AnalyzerSpec, profile: str,
                      only_hard: bool = False) -> bool:
    """Hard dependencies have completed, and no optional input is still pending."""
    for dep in spec.depends_on:
        done = uow.session.execute(
            text("SELECT EXISTS (SELECT 1 FROM runs WHERE asset_id = :a AND analyzer = :n "
                 "AND status = 'completed')"), {"a": asset_id, "n": dep},
        ).scalar_one()
        if not done:
            return False
    if spec.uses and not only_hard:
        pending = uow.session.execute(
            text("SELECT EXISTS (SELECT 1 FROM runs WHERE asset_id = :a AND analyzer = ANY(:n) "
                 "AND status IN ('queued', 'running'))"), {"a": asset_id, "n": list(spec.uses)},
        ).scalar_one()
        if pending:
            return False
    return True
