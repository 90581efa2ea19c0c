"""Deferring analysis jobs into procrastinate's queue, inside our transaction.

Calling procrastinate's own SQL function from the unit of work means the
job row and its ``runs`` row commit (or roll back) together: no reconciler.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

ANALYSIS_QUEUE = "analysis"
ANALYZE_TASK = "eioku.analyze_run"
FRAME_PASS_TASK = "eioku.frame_pass"
FRAME_PASS_QUEUE = f"{ANALYSIS_QUEUE}.frames"
CHUNK_TASK = "eioku.analyze_chunk"
PREPARE_TASK = "eioku.prepare_run"
TO_THE_END = 2**62  # the end of a video's last chunk: whatever the file holds

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :qlock, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))"
).bindparams(priority=0)
# work done ahead (prepare jobs) goes after every job that ends a run
PREPARE_PRIORITY = -1


def plan_chunks(duration_ms: int, chunk_s: float) -> list[tuple[int, int]]:
    """[start, end) ranges of equal length, none longer than ``chunk_s``, for a
    video longer than that (a video up to a quarter longer stays whole: a tiny
    last chunk would cost more than it saves). Empty: analyse it whole."""
    size = int(chunk_s * 1000)
    if size <= 0 or duration_ms <= size * 1.25:
        return []
    count = -(-duration_ms // size)
    step = -(-duration_ms // count)
    return [(i * step, TO_THE_END if i == count - 1 else (i + 1) * step) for i in range(count)]


def queue_for(analyzer: str) -> str:
    """One queue per analyzer, so a worker can serve only some (``--analyzers``)."""
    return f"{ANALYSIS_QUEUE}.{analyzer}"


class JobQueue:
    def __init__(self, session: Session) -> None:
        self.session = session

    def defer_run(self, run_id: uuid.UUID, asset_id: uuid.UUID, analyzer: str, profile: str) -> int | None:
        """Queue the job that executes ``run_id``. Returns the job id, or None
        when an identical job (same video, analyzer, profile) is already waiting."""
        params = {
            "queue": queue_for(analyzer), "task": ANALYZE_TASK,
            "lock": f"{asset_id}:{analyzer}",
            "qlock": f"{asset_id}:{analyzer}:{profile}",
            "args": json.dumps({"run_id": str(run_id)}),
        }
        savepoint = self.session.begin_nested()
        try:
            job_id = self.session.execute(_DEFER, params).scalar_one()
        except IntegrityError:  # the queueing lock: one pending job per (video, analyzer, profile)
            savepoint.rollback()
            return None
        savepoint.commit()
        self.session.execute(text("UPDATE runs SET job_id = :j WHERE run_id = :r"),
                             {"j": job_id, "r": run_id})
        return int(job_id)

    def defer_prepare(self, run_id: uuid.UUID, analyzer: str) -> int | None:
        """Queue the job that does, ahead, the part of a waiting run that needs
        none of what it waits for (``AnalyzerSpec.prepares``); None when one is
        already waiting for this run."""
        savepoint = self.session.begin_nested()
        try:
            job_id = self.session.execute(_DEFER, {
                "queue": queue_for(analyzer), "task": PREPARE_TASK, "lock": None,
                "qlock": f"prepare:{run_id}", "args": json.dumps({"run_id": str(run_id)}),
                "priority": PREPARE_PRIORITY,
            }).scalar_one()
        except IntegrityError:
            savepoint.rollback()
            return None
        savepoint.commit()
        return int(job_id)

    def defer_pass(self, run_ids: list[uuid.UUID]) -> int:
        """Queue one frame-pass job executing ``run_ids`` (frame analyzers of one
        video) with a single decode; each run records the job."""
        job_id = self.session.execute(_DEFER, {
            "queue": FRAME_PASS_QUEUE, "task": FRAME_PASS_TASK, "lock": None, "qlock": None,
            "args": json.dumps({"run_ids": [str(r) for r in run_ids]}),
        }).scalar_one()
        self.session.execute(text("UPDATE runs SET job_id = :j WHERE run_id = ANY(:r)"),
                             {"j": job_id, "r": list(run_ids)})
        return int(job_id)

    def defer_chunks(self, run_ids: list[uuid.UUID], ranges: list[tuple[int, int]], queue: str) -> list[int]:
        """Split runs into chunks: one job per range (executing every run over
        it), and a ``run_chunks`` row per run and range to hold what it finds."""
        jobs = []
        for chunk, (start, end) in enumerate(ranges):
            job_id = int(self.session.execute(_DEFER, {
                "queue": queue, "task": CHUNK_TASK, "lock": None, "qlock": None,
                "args": json.dumps({"run_ids": [str(r) for r in run_ids], "chunk": chunk}),
            }).scalar_one())
            self.session.execute(text(
                "INSERT INTO run_chunks (run_id, chunk, start_ms, end_ms, job_id) "
                "SELECT r, :c, :s, :e, :j FROM unnest(CAST(:runs AS uuid[])) AS r "
                "ON CONFLICT (run_id, chunk) DO NOTHING"),
                {"c": chunk, "s": start, "e": end, "j": job_id, "runs": list(run_ids)})
            jobs.append(job_id)
        return jobs
