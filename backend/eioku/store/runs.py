"""Runs: one analysis of one asset by one producer/profile, with its lifecycle."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import RUN_TRANSITIONS, RunStatus
from eioku.domain.errors import InvalidTransitionError, RunNotFoundError
from eioku.domain.hashing import config_hash
from eioku.domain.models import Run
from eioku.store import corrections
from eioku.store.projections import ProjectionWriter

_COLUMNS = (
    "run_id, asset_id, analyzer, artifact_type, model_profile, producer, producer_version, "
    "config, config_hash, input_hash, status, progress, created_at, started_at, finished_at, "
    "error, timings, reused_from"
)


def _to_run(row: Any) -> Run:
    data = dict(row._mapping)
    data["status"] = RunStatus(data["status"])
    return Run(**data)


class RunRepository:
    def __init__(self, session: Session, projections: ProjectionWriter | None = None) -> None:
        self.session = session
        self.projections = projections

    def create(
        self,
        *,
        asset_id: uuid.UUID,
        artifact_type: str,
        producer: str,
        producer_version: str,
        model_profile: str,
        input_hash: str,
        config: dict[str, Any] | None = None,
        analyzer: str | None = None,
        status: RunStatus = RunStatus.QUEUED,
        run_id: uuid.UUID | None = None,
    ) -> Run:
        if status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            raise InvalidTransitionError(f"a run starts queued or running, not {status}")
        config = config or {}
        row = self.session.execute(
            text(
                f"INSERT INTO runs (run_id, asset_id, analyzer, artifact_type, model_profile, "
                f"producer, producer_version, config, config_hash, input_hash, status, started_at) "
                f"VALUES (:run_id, :asset_id, :analyzer, :artifact_type, :model_profile, :producer, "
                f":producer_version, CAST(:config AS jsonb), :config_hash, :input_hash, :status, "
                f"CASE WHEN :status = 'running' THEN clock_timestamp() END) RETURNING {_COLUMNS}"
            ),
            {
                "run_id": run_id or uuid.uuid4(),
                "asset_id": asset_id,
                "analyzer": analyzer or producer,
                "artifact_type": artifact_type,
                "model_profile": model_profile,
                "producer": producer,
                "producer_version": producer_version,
                "config": json.dumps(config, sort_keys=True, default=str),
                "config_hash": config_hash(config),
                "input_hash": input_hash,
                "status": status.value,
            },
        ).one()
        return _to_run(row)

    def get(self, run_id: uuid.UUID) -> Run:
        row = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM runs WHERE run_id = :run_id"), {"run_id": run_id}
        ).one_or_none()
        if row is None:
            raise RunNotFoundError(f"no run with id {run_id}")
        return _to_run(row)

    def list_for_asset(self, asset_id: uuid.UUID, artifact_type: str | None = None) -> list[Run]:
        rows = self.session.execute(
            text(
                f"SELECT {_COLUMNS} FROM runs WHERE asset_id = :asset_id "
                "AND (CAST(:artifact_type AS text) IS NULL OR artifact_type = :artifact_type) "
                "ORDER BY created_at, run_id"
            ),
            {"asset_id": asset_id, "artifact_type": artifact_type},
        )
        return [_to_run(r) for r in rows]

    def changed_since(self, since_epoch_s: float) -> list[Run]:
        """Runs still queued or running, and runs that finished since then."""
        rows = self.session.execute(text(
            f"SELECT {_COLUMNS} FROM runs WHERE status IN ('queued', 'running') "
            "OR finished_at >= to_timestamp(:since) ORDER BY created_at, run_id"),
            {"since": since_epoch_s})
        return [_to_run(r) for r in rows]

    def _transition(self, run_id: uuid.UUID, to: RunStatus, sets: str, params: dict[str, Any]) -> Run:
        allowed_from = [s.value for s, targets in RUN_TRANSITIONS.items() if to in targets]
        row = self.session.execute(
            text(
                f"UPDATE runs SET status = :to, {sets} WHERE run_id = :run_id "
                f"AND status = ANY(:allowed) RETURNING {_COLUMNS}"
            ),
            {"to": to.value, "run_id": run_id, "allowed": allowed_from, **params},
        ).one_or_none()
        if row is None:
            current = self.get(run_id).status
            raise InvalidTransitionError(f"run {run_id} is {current}; it cannot become {to}")
        return _to_run(row)

    def start(self, run_id: uuid.UUID) -> Run:
        return self._transition(run_id, RunStatus.RUNNING, "started_at = clock_timestamp()", {})

    def complete(self, run_id: uuid.UUID, timings: dict[str, float] | None = None) -> Run:
        run = self._transition(
            run_id,
            RunStatus.COMPLETED,
            "finished_at = clock_timestamp(), progress = 1, "
            "timings = timings || CAST(:timings AS jsonb)",
            {"timings": json.dumps(timings or {})},
        )
        if self.projections is not None:  # derived data of completed runs (appearances)
            self.projections.refresh_appearances(run.run_id, run.artifact_type)
        if run.producer != corrections.USER:  # a new analysis is shown with its corrections
            corrections.CorrectionStore(self.session, self.projections).rebuild_if_corrected(
                run.asset_id, run.artifact_type)
        return run

    def fail(self, run_id: uuid.UUID, error: str) -> Run:
        return self._transition(
            run_id, RunStatus.FAILED, "finished_at = clock_timestamp(), error = :error",
            {"error": error.replace("\x00", "\\0")[:10_000] or "failed"},
        )

    def cancel(self, run_id: uuid.UUID) -> Run:
        return self._transition(run_id, RunStatus.CANCELED, "finished_at = clock_timestamp()", {})

    def set_progress(self, run_id: uuid.UUID, progress: float) -> None:
        self.session.execute(
            text("UPDATE runs SET progress = :p WHERE run_id = :run_id AND status = 'running'"),
            {"p": min(max(progress, 0.0), 1.0), "run_id": run_id},
        )

    def find_reusable(
        self, *, input_hash: str, producer: str, producer_version: str, config_hash: str,
        artifact_type: str,
    ) -> Run | None:
        """A completed run with identical inputs, whose artifacts can be reused. Runs
        of external producers are never reused: their input hash is only their word."""
        row = self.session.execute(
            text(
                f"SELECT {_COLUMNS} FROM runs WHERE status = 'completed' AND input_hash = :ih "
                "AND analyzer NOT LIKE 'external:%' "
                "AND producer = :p AND producer_version = :pv AND config_hash = :ch "
                "AND artifact_type = :t ORDER BY finished_at DESC LIMIT 1"
            ),
            {"ih": input_hash, "p": producer, "pv": producer_version, "ch": config_hash,
             "t": artifact_type},
        ).one_or_none()
        return _to_run(row) if row else None

    def profiles(self, asset_id: uuid.UUID, artifact_type: str | None) -> list[dict[str, Any]]:
        """Completed runs per (artifact type, profile), with artifact counts."""
        rows = self.session.execute(
            text(
                "SELECT r.artifact_type, r.model_profile, count(*) AS runs, "
                "max(r.finished_at) AS latest_finished_at, "
                "(SELECT count(*) FROM artifacts a WHERE a.run_id = ANY(array_agg(r.run_id))) "
                "AS artifacts "
                "FROM runs r WHERE r.asset_id = :asset_id AND r.status = 'completed' "
                "AND (CAST(:t AS text) IS NULL OR r.artifact_type = :t) "
                "GROUP BY r.artifact_type, r.model_profile ORDER BY 1, 2"
            ),
            {"asset_id": asset_id, "t": artifact_type},
        )
        return [dict(r._mapping) for r in rows]
