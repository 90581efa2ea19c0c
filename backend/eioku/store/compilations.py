"""Compilations: MP4s made of moments by a worker (migration 0027).

A row says what to make (the moments, with their files), where it stands
(queued, running, ready, failed; progress) and, when ready, the file under
``<data dir>/compilations``. Asking defers a job on the ``compilations``
queue in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

COMPILATION_QUEUE = "compilations"
COMPILATION_TASK = "eioku.compile_moments"
_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, NULL, NULL, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))")
# queued or running, but its job has ended (its worker died for good): failed
_STATE = ("CASE WHEN c.state IN ('queued', 'running') AND c.job_id IS NOT NULL AND NOT EXISTS "
          "(SELECT 1 FROM procrastinate_jobs j WHERE j.id = c.job_id AND j.status IN ('todo', 'doing')) "
          "THEN 'failed' ELSE c.state END")
_COLUMNS = (f"c.compilation_id, c.title, c.moments, {_STATE} AS state, c.progress, c.error, "
            "c.file_name, c.size_bytes, c.duration_ms, c.copied, c.encoded, c.created_at, c.updated_at")


@dataclass(frozen=True)
class Compilation:
    compilation_id: uuid.UUID
    title: str
    moments: list[dict[str, Any]]
    state: str
    progress: float
    error: str | None
    file_name: str | None
    size_bytes: int | None
    duration_ms: int | None
    copied: int | None
    encoded: int | None
    created_at: datetime
    updated_at: datetime


class CompilationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, title: str, moments: list[dict[str, Any]]) -> Compilation:
        cid = uuid.uuid4()
        job_id = self.session.execute(_DEFER, {
            "queue": COMPILATION_QUEUE, "task": COMPILATION_TASK,
            "args": json.dumps({"compilation_id": str(cid)})}).scalar_one()
        self.session.execute(text(
            "INSERT INTO compilations (compilation_id, title, moments, state, job_id) "
            "VALUES (:id, :title, CAST(:moments AS jsonb), 'queued', :job)"),
            {"id": cid, "title": title, "moments": json.dumps(moments), "job": job_id})
        found = self.get(cid)
        assert found is not None
        return found

    def get(self, compilation_id: uuid.UUID) -> Compilation | None:
        row = self.session.execute(text(
            f"SELECT {_COLUMNS} FROM compilations c WHERE compilation_id = :id"),
            {"id": compilation_id}).one_or_none()
        return Compilation(**row._mapping) if row else None

    def start(self, compilation_id: uuid.UUID) -> Compilation | None:
        self.session.execute(text(
            "UPDATE compilations SET state = 'running', progress = 0, error = NULL, "
            "updated_at = clock_timestamp() WHERE compilation_id = :id"), {"id": compilation_id})
        return self.get(compilation_id)

    def set_progress(self, compilation_id: uuid.UUID, progress: float) -> None:
        self.session.execute(text(
            "UPDATE compilations SET progress = :p, updated_at = clock_timestamp() "
            "WHERE compilation_id = :id AND state = 'running'"),
            {"id": compilation_id, "p": max(0.0, min(1.0, progress))})

    def finish(self, compilation_id: uuid.UUID, *, file_name: str, size_bytes: int, duration_ms: int,
               copied: int, encoded: int) -> bool:
        return self.session.execute(text(  # type: ignore[attr-defined, no-any-return]
            "UPDATE compilations SET state = 'ready', progress = 1, file_name = :f, size_bytes = :s, "
            "duration_ms = :d, copied = :c, encoded = :e, updated_at = clock_timestamp() "
            "WHERE compilation_id = :id"),
            {"id": compilation_id, "f": file_name, "s": size_bytes, "d": duration_ms, "c": copied,
             "e": encoded}).rowcount > 0

    def delete(self, compilation_id: uuid.UUID) -> Compilation | None:
        found = self.get(compilation_id)
        if found is not None:
            self.session.execute(text("DELETE FROM compilations WHERE compilation_id = :id"),
                                 {"id": compilation_id})
        return found

    def fail(self, compilation_id: uuid.UUID, error: str) -> None:
        self.session.execute(text(
            "UPDATE compilations SET state = 'failed', error = :e, updated_at = clock_timestamp() "
            "WHERE compilation_id = :id"), {"id": compilation_id, "e": error[:2000] or "failed"})
