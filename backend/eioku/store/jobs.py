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

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, :lock, :qlock, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))"
)


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
