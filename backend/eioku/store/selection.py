"""Selection policies: which run of an (asset, artifact type) every read shows.

The rule itself is one SQL function, ``eioku_selected_run`` (migration 0001),
so all read paths share it. This manager stores and validates policies, and
keeps what depends on a selection true in the same transaction: object, face
and place appearances end at the cuts of the selected scene run, so a change
of that run re-merges them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType, ModelProfile, RunStatus, SelectionMode
from eioku.domain.errors import InvalidPolicyError, RunNotFoundError
from eioku.domain.models import NO_OVERRIDE, Run, SelectionOverride, SelectionPolicy
from eioku.store.corrections import CorrectionStore
from eioku.store.projections import ProjectionWriter
from eioku.store.runs import _COLUMNS as RUN_COLUMNS
from eioku.store.runs import RunRepository

_RUN_FIELDS = [c.strip() for c in RUN_COLUMNS.split(",")]


@dataclass(frozen=True)
class Selected:
    """The run an artifact type of a video shows, and the stored policy that picked it."""

    artifact_type: str
    policy: SelectionPolicy
    run: Run


def _policy(mode: str, preferred_profile: str | None, pinned_run_id: uuid.UUID | None
            ) -> SelectionPolicy:
    """A stored policy row as a policy."""
    selection_mode = SelectionMode(mode)
    if selection_mode is SelectionMode.PINNED and pinned_run_id is None:
        # the pinned run was deleted (FK ON DELETE SET NULL): nothing is pinned any more
        return SelectionPolicy()
    profile = ModelProfile(preferred_profile) if preferred_profile else None
    return SelectionPolicy(selection_mode, profile, pinned_run_id)


class SelectionPolicyManager:
    def __init__(self, session: Session, projections: ProjectionWriter | None = None) -> None:
        self.session = session
        self.projections = projections or ProjectionWriter(session)

    @staticmethod
    def get_default_policy() -> SelectionPolicy:
        return SelectionPolicy()

    def get_policy(self, asset_id: uuid.UUID, artifact_type: str) -> SelectionPolicy:
        row = self.session.execute(
            text("SELECT mode, preferred_profile, pinned_run_id FROM artifact_selections "
                 "WHERE asset_id = :a AND artifact_type = :t"),
            {"a": asset_id, "t": artifact_type},
        ).one_or_none()
        if row is None:
            return self.get_default_policy()
        return _policy(row.mode, row.preferred_profile, row.pinned_run_id)

    def selected(self, asset_id: uuid.UUID) -> list[Selected]:
        """Every artifact type of this video that shows a run, with that run and
        the stored policy, in one query (what ``resolve_run``, ``get_policy`` and
        ``RunRepository.get`` give per type), ordered by type. The runs come
        from ``selected_runs``, which triggers keep equal to ``eioku_selected_run``."""
        rows = self.session.execute(
            text(f"SELECT s.artifact_type AS selected_type, p.mode AS sel_mode, "
                 f"p.preferred_profile AS sel_profile, p.pinned_run_id AS sel_pinned, "
                 f"{', '.join('r.' + c for c in _RUN_FIELDS)} "
                 "FROM selected_runs s JOIN runs r ON r.run_id = s.run_id "
                 "LEFT JOIN artifact_selections p ON p.asset_id = s.asset_id "
                 "AND p.artifact_type = s.artifact_type WHERE s.asset_id = :a"),
            {"a": asset_id},
        ).all()
        out = []
        for row in rows:
            policy = (self.get_default_policy() if row.sel_mode is None
                      else _policy(row.sel_mode, row.sel_profile, row.sel_pinned))
            run: dict[str, Any] = {c: row._mapping[c] for c in _RUN_FIELDS}
            run["status"] = RunStatus(run["status"])
            out.append(Selected(row.selected_type, policy, Run(**run)))
        return sorted(out, key=lambda s: s.artifact_type)  # Python's order, not the collation's

    def set_policy(
        self, asset_id: uuid.UUID, artifact_type: str, policy: SelectionPolicy
    ) -> SelectionPolicy:
        if policy.mode is SelectionMode.PINNED:
            self._check_pinnable(asset_id, artifact_type, policy.pinned_run_id)
        before = self.resolve_run(asset_id, artifact_type)
        self._store(asset_id, artifact_type, policy)
        # corrections are applied to the run the policy picks now
        CorrectionStore(self.session, self.projections).rebuild_if_corrected(asset_id, artifact_type)
        if artifact_type == ArtifactType.SCENE and self.resolve_run(asset_id, artifact_type) != before:
            self.projections.cuts_changed(asset_id)
        return policy

    def _store(self, asset_id: uuid.UUID, artifact_type: str, policy: SelectionPolicy) -> None:
        if policy.mode is SelectionMode.DEFAULT:
            self.session.execute(
                text("DELETE FROM artifact_selections WHERE asset_id = :a AND artifact_type = :t"),
                {"a": asset_id, "t": artifact_type},
            )
            return
        self.session.execute(
            text(
                "INSERT INTO artifact_selections (asset_id, artifact_type, mode, preferred_profile, "
                "pinned_run_id, updated_at) VALUES (:a, :t, :m, :p, :r, now()) "
                "ON CONFLICT (asset_id, artifact_type) DO UPDATE SET mode = EXCLUDED.mode, "
                "preferred_profile = EXCLUDED.preferred_profile, "
                "pinned_run_id = EXCLUDED.pinned_run_id, updated_at = now()"
            ),
            {
                "a": asset_id, "t": artifact_type, "m": policy.mode.value,
                "p": policy.preferred_profile.value if policy.preferred_profile else None,
                "r": policy.pinned_run_id if policy.mode is SelectionMode.PINNED else None,
            },
        )

    def _check_pinnable(
        self, asset_id: uuid.UUID, artifact_type: str, run_id: uuid.UUID | None
    ) -> None:
        assert run_id is not None  # SelectionPolicy guarantees it for PINNED
        try:
            run = RunRepository(self.session).get(run_id)
        except RunNotFoundError:
            raise InvalidPolicyError(f"cannot pin run {run_id}: it does not exist") from None
        if run.asset_id != asset_id or run.artifact_type != artifact_type:
            raise InvalidPolicyError(
                f"cannot pin run {run_id}: it analysed {run.artifact_type} of video "
                f"{run.asset_id}, not {artifact_type} of video {asset_id}"
            )
        if run.status is not RunStatus.COMPLETED:
            raise InvalidPolicyError(f"cannot pin run {run_id}: it is {run.status}, not completed")

    def resolve_run(
        self, asset_id: uuid.UUID, artifact_type: str, selection: SelectionOverride = NO_OVERRIDE
    ) -> uuid.UUID | None:
        """The run whose artifacts the read paths show right now (None: no run)."""
        return self.session.execute(
            text("SELECT eioku_selected_run(:a, :t, :sel_mode, :sel_profile)"),
            {"a": asset_id, "t": artifact_type, **selection.sql_args},
        ).scalar_one()
