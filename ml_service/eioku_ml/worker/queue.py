"""The procrastinate app: the analysis task and stalled-job recovery.

Nothing is built at import time: :func:`make_app` is called by each worker
process at start-up with its own engine and analyzer cache.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid

import procrastinate
from eioku.db.engine import make_engine, make_session_factory
from eioku.domain.errors import DatabaseUnavailableError
from eioku.store.compilations import COMPILATION_TASK
from eioku.store.jobs import ANALYZE_TASK, CHUNK_TASK, FRAME_PASS_TASK, PREPARE_TASK
from eioku.store.playback import PLAYBACK_TASK
from procrastinate import RetryStrategy
from procrastinate.jobs import Status
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.errors import TransientAnalysisError
from eioku_ml.worker.chunks import execute_chunk
from eioku_ml.worker.compilation import execute_compilation
from eioku_ml.worker.execute import (
    AnalyzerCache,
    Attempt,
    execute_pass,
    execute_prepare,
    execute_run,
    fail_runs_of_job,
)
from eioku_ml.worker.playback import execute_playback
from eioku_ml.worker.warm import Warmer

log = logging.getLogger(__name__)

# transient trouble (database restarts, network blips) is retried with
# exponential backoff; bad input and analyzer errors fail the run instead
RETRY = RetryStrategy(max_attempts=4, exponential_wait=2,
                      retry_exceptions={OperationalError, DatabaseUnavailableError,
                                        TransientAnalysisError})


def stalled_after_s() -> float:
    """Seconds without a heartbeat before a worker's job is requeued
    (EIOKU_STALLED_AFTER_S, default 30)."""
    return float(os.environ.get("EIOKU_STALLED_AFTER_S", "30"))


def make_app(url: str, cache: AnalyzerCache | None = None, warm: bool = False) -> procrastinate.App:
    """``warm``: load the models of waiting runs while this process has no job (warm.py)."""
    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    cache = cache or AnalyzerCache()
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    warmer = Warmer(factory, cache).start() if warm else None
    app.eioku_warmer = warmer  # type: ignore[attr-defined]  # stopped as the process ends (daemon.py)

    def job() -> contextlib.AbstractContextManager[None]:
        return warmer.job() if warmer is not None else contextlib.nullcontext()

    def attempt(context: procrastinate.JobContext) -> Attempt:
        return Attempt(context.job.attempts, RETRY.max_attempts or 1)

    @app.task(name=ANALYZE_TASK, retry=RETRY, pass_context=True)
    def analyze_run(context: procrastinate.JobContext, run_id: str) -> str:
        with job():
            outcome = execute_run(factory, uuid.UUID(run_id), cache, attempt(context))
        log.info("run %s: %s (%d artifacts)", run_id, outcome.status, outcome.artifacts)
        return outcome.status

    @app.task(name=PREPARE_TASK, retry=RETRY)
    def prepare_run(run_id: str) -> str:
        with job():
            outcome = execute_prepare(factory, uuid.UUID(run_id), cache)
        log.info("run %s ahead: %s", run_id, outcome)
        return outcome

    @app.task(name=FRAME_PASS_TASK, retry=RETRY, pass_context=True)
    def frame_pass(context: procrastinate.JobContext, run_ids: list[str]) -> str:
        with job():
            outcomes = execute_pass(factory, [uuid.UUID(r) for r in run_ids], cache, attempt(context))
        summary = ", ".join(f"{o.run_id}: {o.status}" for o in outcomes)
        log.info("frame pass of %d runs: %s", len(run_ids), summary)
        return summary

    @app.task(name=CHUNK_TASK, retry=RETRY, pass_context=True)
    def analyze_chunk(context: procrastinate.JobContext, run_ids: list[str], chunk: int) -> str:
        with job():
            outcomes = execute_chunk(factory, [uuid.UUID(r) for r in run_ids], chunk, cache,
                                     attempt(context))
        summary = ", ".join(f"{o.run_id}: {o.status}" for o in outcomes)
        log.info("chunk %d of %d runs: %s", chunk, len(run_ids), summary)
        return summary

    @app.task(name=PLAYBACK_TASK, retry=RETRY, pass_context=True)
    def prepare_playback(context: procrastinate.JobContext, video_id: str, audio_track: int) -> str:
        with job():
            return execute_playback(factory, uuid.UUID(video_id), audio_track, context.job.id)

    @app.task(name=COMPILATION_TASK, retry=RETRY)
    def compile_moments(compilation_id: str) -> str:
        with job():
            return execute_compilation(factory, uuid.UUID(compilation_id))

    @app.periodic(cron="* * * * *", periodic_id="retry-stalled")
    @app.task(name="eioku.retry_stalled", queueing_lock="eioku.retry_stalled")
    async def retry_stalled(timestamp: int) -> int:
        return await retry_stalled_jobs(app, factory=factory)

    return app


# one recovery at a time across workers: after a restart every worker recovers
# at once, and two that listed the same stalled job could both requeue it, the
# second after a third worker had claimed it again (it would then run twice)
RECOVERY_LOCK = 0x45494F4B_52435652  # "EIOK" "RCVR"


async def retry_stalled_jobs(app: procrastinate.App, seconds: float | None = None,
                             factory: sessionmaker[Session] | None = None) -> int:
    """Requeue jobs whose worker stopped sending heartbeats (killed, crashed,
    machine lost). Their runs were never completed, so nothing is duplicated.
    A job whose worker died on each of its attempts (a file that makes the
    process run out of memory, say) is given up: its unfinished runs fail with
    the reason, never left "running". Workers take turns (an advisory lock):
    each lists the stalled jobs only after the one before has requeued them."""
    async with app.connector.pool.connection() as conn:  # type: ignore[attr-defined]
        await conn.execute("SELECT pg_advisory_lock(%s)", (RECOVERY_LOCK,))
        try:
            return await _retry_stalled(app, seconds, factory)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (RECOVERY_LOCK,))


async def _retry_stalled(app: procrastinate.App, seconds: float | None,
                         factory: sessionmaker[Session] | None) -> int:
    stalled = await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=seconds if seconds is not None else stalled_after_s())
    for job in stalled:
        if job.attempts + 1 >= (RETRY.max_attempts or 1) and factory is not None and job.id:
            log.warning("job %s (%s): its worker died %d times; giving up", job.id, job.task_name,
                        job.attempts + 1)
            await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            fail_runs_of_job(factory, job.id, f"the worker running this analysis died "
                             f"{job.attempts + 1} times (killed, or out of memory?)")
            continue
        log.warning("requeueing stalled job %s (%s)", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(stalled)
