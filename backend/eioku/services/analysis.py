"""Queueing analysis: one run and one job per (video, analyzer, profile).

Everything that queues or defers a video's runs does it under a transaction
advisory lock on the video (:func:`lock_video`), so concurrent requests (a
double click, two tabs, a retrying client) and the workers completing runs
of the same video take turns: the second sees the first's runs and returns
them, and a ready run is deferred into one job, never two. Workers take the
lock before they touch a row of the video's runs, so the lock always comes
first and the two cannot deadlock.
"""

from __future__ import annotations

import json
import os
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

_VIDEO_LOCKS = 0x45494F4B  # "EIOK": the first key of the (int, int) advisory locks on videos
# a job that can still run: anything else ended, and what it left unfinished never will be
_LIVE_JOB = ("todo", "doing", "aborting")


def lock_video(uow: UnitOfWork, video_id: uuid.UUID) -> None:
    """Take the video's queueing lock until the transaction ends (re-entrant)."""
    uow.session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(CAST(:v AS text)))"),
                        {"ns": _VIDEO_LOCKS, "v": video_id})


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
    lock_video(uow, video.video_id)
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
    # waiting for another run: what needs none of it is done ahead, meanwhile: what is done
    # whole first, then what is kept as it goes (cut short when its run can start)
    for run in sorted(runs, key=lambda r: ANALYZERS[r.analyzer].prepares == "as it goes"):
        how = ANALYZERS[run.analyzer].prepares
        if how and run.status is RunStatus.QUEUED and (how == "whole" or speculating(settings)):
            waiting = uow.session.execute(text("SELECT job_id IS NULL FROM runs WHERE run_id = :r"),
                                          {"r": run.run_id}).scalar_one()
            if waiting:
                JobQueue(uow.session).defer_prepare(run.run_id, run.analyzer)
    return runs


def speculating(settings: Settings) -> bool:
    """Is work that may be thrown away done ahead (``EIOKU_SPECULATE``)?"""
    return settings.speculate == "on" or (settings.speculate == "auto" and (os.cpu_count() or 1) >= 4)


def _pending_run(uow: UnitOfWork, asset_id: uuid.UUID, analyzer: str, profile: str) -> Run | None:
    """The run already queued or running for this analyzer and profile, if any.
    One whose job has ended (a worker or version that left it "running") is
    failed here instead of returned, so the analysis can be asked for again."""
    rows = uow.session.execute(
        text("SELECT r.run_id, r.job_id, j.status AS job_status, EXISTS (SELECT 1 FROM run_chunks c "
             "  JOIN procrastinate_jobs cj ON cj.id = c.job_id "
             "  WHERE c.run_id = r.run_id AND cj.status::text = ANY(:live)) AS live_chunks "
             "FROM runs r LEFT JOIN procrastinate_jobs j ON j.id = r.job_id "
             "WHERE r.asset_id = :a AND r.analyzer = :n AND r.model_profile = :p "
             "AND r.status IN ('queued', 'running') ORDER BY r.created_at"),
        {"a": asset_id, "n": analyzer, "p": profile, "live": list(_LIVE_JOB)},
    ).all()
    for row in rows:
        if row.job_id is None or row.job_status in _LIVE_JOB or row.live_chunks:
            return uow.runs.get(row.run_id)  # waiting for its dependencies, or its job is alive
        uow.runs.fail(row.run_id, f"its job ({row.job_id}, {row.job_status or 'gone'}) ended "
                                  "without finishing it")
    return None


def defer_ready(uow: UnitOfWork, asset_id: uuid.UUID, settings: Settings | None = None) -> list[uuid.UUID]:
    """Defer queued, not yet deferred runs whose dependencies have completed.
    Frame analyzers ready together go into one frame-pass job (one decode);
    an analyzer that uses another of the same pass gets its results in the pass."""
    settings = settings or get_settings()
    lock_video(uow, asset_id)
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


CANCELLED = "cancelled by the user"


def cancel_analysis(uow: UnitOfWork, video_id: uuid.UUID) -> list[Run]:
    """End the video's analysis now: its queued and running runs fail with
    CANCELLED; their jobs (and chunk jobs) not started are cancelled, running
    ones asked to abort. A worker still busy with one finds its run ended when
    it stores the results, and they are dropped with its transaction."""
    lock_video(uow, video_id)  # no run is deferred or queued meanwhile
    rows = uow.session.execute(text(
        "SELECT r.run_id, r.job_id, ARRAY(SELECT c.job_id FROM run_chunks c WHERE c.run_id = r.run_id "
        "AND c.job_id IS NOT NULL) AS chunk_jobs FROM runs r WHERE r.asset_id = :v "
        "AND r.status IN ('queued', 'running') ORDER BY r.created_at FOR UPDATE OF r"),
        {"v": video_id}).all()
    jobs = sorted({j for r in rows for j in [r.job_id, *r.chunk_jobs] if j is not None})
    for job_id in jobs:
        uow.session.execute(text("SELECT procrastinate_cancel_job_v1(:j, true, false)"), {"j": job_id})
    return [uow.runs.fail(r.run_id, CANCELLED) for r in rows]
