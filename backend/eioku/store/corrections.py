"""Corrections and the user runs made of them (migration 0020).

A correction is a row of ``corrections``: what the machine said (``origin``),
what a person made of it (``value``), who and when, and when it was undone.
The corrections of a (video, artifact type) that are in force — the newest
not undone per ``target_key`` — are applied to the machine run the stored
policy picks (``eioku_machine_run``) and written as one completed run of
producer ``user`` whose config names that base run. ``eioku_selected_run``
shows that run instead of its base, so every read path serves the corrected
view. It is derived data, like a projection: :meth:`CorrectionStore.rebuild`
makes it again whenever the corrections or the base run change.

How a correction meets a base run:

- ``segment`` (transcript line): the base's lines whose middle lies within
  the line first corrected (``origin`` start..end), or that are that very
  artifact, give way to the corrected line. Another analysis cuts its lines
  elsewhere; the line the person fixed still replaces what was said there.
- ``remove_label`` / ``rename_label``: every detection of that label
  (case-insensitive) is left out, or copied under the new name.

Copied artifacts get ids derived from the user run and the artifact they
copy (``md5(run || artifact)``), corrected lines from the user run and the
correction, so an id in the corrected view leads back to what it came from.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType, RunStatus
from eioku.store.projections import PROJECTIONS, ProjectionWriter

USER = "user"  # producer (and analyzer) of the runs made of corrections
USER_VERSION = "1"
SEGMENT, REMOVE_LABEL, RENAME_LABEL = "segment", "remove_label", "rename_label"
LABEL_TYPES = (ArtifactType.OBJECT_DETECTION.value, ArtifactType.PLACE_CLASSIFICATION.value)
SEGMENT_TYPES = (ArtifactType.TRANSCRIPT_SEGMENT.value,)
TRANSCRIPT = ArtifactType.TRANSCRIPT_SEGMENT.value
# a corrected line also replaces the machine line's vector for search by meaning: the
# text.embedding user run is made of the transcript's corrections
EMBEDDING = ArtifactType.TEXT_EMBEDDING.value
CORRECTED_BY = {EMBEDDING: TRANSCRIPT}

_COLUMNS = ("correction_id, asset_id, artifact_type, kind, target_key, origin, value, author, "
            "created_at, undone_at, undone_by")


@dataclass(frozen=True)
class Correction:
    correction_id: uuid.UUID
    asset_id: uuid.UUID
    artifact_type: str
    kind: str
    target_key: str
    origin: dict[str, Any]
    value: dict[str, Any]
    author: str
    created_at: datetime
    undone_at: datetime | None
    undone_by: str | None


def derived_id(run_id: uuid.UUID, source_id: uuid.UUID) -> uuid.UUID:
    """The id, in a user run, of what ``source_id`` (an artifact or a correction) became
    there: the same as SQL's ``md5(run::text || source::text)::uuid``."""
    return uuid.UUID(hashlib.md5(f"{run_id}{source_id}".encode()).hexdigest())


def _correction(row: Any) -> Correction:
    return Correction(**row._mapping)


# the base run's artifacts of the corrected type, each changed by the label rules or left
# out by a corrected line, copied into the user run
_COPY_SQL = """
INSERT INTO artifacts (artifact_id, asset_id, artifact_type, schema_version, span_start_ms,
                       span_end_ms, payload, producer, producer_version, model_profile,
                       config_hash, input_hash, run_id)
SELECT md5(CAST(:user_run AS text) || a.artifact_id::text)::uuid, a.asset_id, a.artifact_type,
       a.schema_version, a.span_start_ms, a.span_end_ms,
       CASE WHEN rn.to_label IS NULL THEN a.payload
            ELSE jsonb_set(a.payload, '{label}', to_jsonb(rn.to_label)) END,
       u.producer, u.producer_version, u.model_profile, u.config_hash, u.input_hash, u.run_id
FROM artifacts a
JOIN runs u ON u.run_id = :user_run
LEFT JOIN jsonb_to_recordset(CAST(:renames AS jsonb)) AS rn(label text, to_label text)
       ON rn.label = lower(a.payload->>'label')
WHERE a.run_id = :base AND a.artifact_type = :artifact_type
  AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(CAST(:removes AS jsonb)) AS rm(label text)
                  WHERE rm.label = lower(COALESCE(rn.to_label, a.payload->>'label'))
                     OR rm.label = lower(a.payload->>'label'))
  AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset(CAST(:lines AS jsonb))
                          AS c(artifact_id uuid, start_ms bigint, end_ms bigint)
                  WHERE (a.artifact_type <> 'text.embedding' OR a.payload->>'source' = 'transcript')
                    AND (c.artifact_id = a.artifact_id
                         OR c.artifact_id::text = a.payload->>'source_artifact_id'
                         OR (a.span_start_ms + a.span_end_ms) / 2.0 BETWEEN c.start_ms AND c.end_ms))
"""

_LINE_SQL = """
INSERT INTO artifacts (artifact_id, asset_id, artifact_type, schema_version, span_start_ms,
                       span_end_ms, payload, producer, producer_version, model_profile,
                       config_hash, input_hash, run_id)
SELECT :artifact_id, u.asset_id, u.artifact_type, :schema_version, :start_ms, :end_ms,
       CAST(:payload AS jsonb), u.producer, u.producer_version, u.model_profile, u.config_hash,
       u.input_hash, u.run_id
FROM runs u WHERE u.run_id = :user_run
"""


class CorrectionStore:
    def __init__(self, session: Session, projections: ProjectionWriter | None = None) -> None:
        self.session = session
        self.projections = projections or ProjectionWriter(session)

    # ---- the corrections ----------------------------------------------------
    def add(self, *, asset_id: uuid.UUID, artifact_type: str, kind: str, target_key: str,
            origin: dict[str, Any], value: dict[str, Any], author: str) -> Correction:
        row = self.session.execute(text(
            f"INSERT INTO corrections (correction_id, asset_id, artifact_type, kind, target_key, "
            f"origin, value, author) VALUES (:id, :a, :t, :kind, :key, CAST(:origin AS jsonb), "
            f"CAST(:value AS jsonb), :author) RETURNING {_COLUMNS}"),
            {"id": uuid.uuid4(), "a": asset_id, "t": artifact_type, "kind": kind, "key": target_key,
             "origin": json.dumps(origin), "value": json.dumps(value), "author": author}).one()
        return _correction(row)

    def get(self, correction_id: uuid.UUID) -> Correction | None:
        row = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM corrections WHERE correction_id = :id"),
            {"id": correction_id}).one_or_none()
        return _correction(row) if row else None

    def for_video(self, asset_id: uuid.UUID) -> list[Correction]:
        """Every correction of a video, undone ones too, oldest first."""
        rows = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM corrections WHERE asset_id = :a "
                 "ORDER BY created_at, correction_id"), {"a": asset_id})
        return [_correction(r) for r in rows]

    def in_force(self, asset_id: uuid.UUID, artifact_type: str) -> list[Correction]:
        """The newest correction not undone of each thing corrected: undoing one
        brings back the one before it, or the machine's."""
        rows = self.session.execute(text(
            f"SELECT DISTINCT ON (target_key) {_COLUMNS} FROM corrections "
            "WHERE asset_id = :a AND artifact_type = :t AND undone_at IS NULL "
            "ORDER BY target_key, created_at DESC, correction_id DESC"),
            {"a": asset_id, "t": artifact_type})
        return sorted((_correction(r) for r in rows), key=lambda c: (c.created_at, c.correction_id))

    def undo(self, correction_id: uuid.UUID, by: str) -> Correction | None:
        """Mark it undone; None when it was undone already."""
        row = self.session.execute(text(
            f"UPDATE corrections SET undone_at = clock_timestamp(), undone_by = :by "
            f"WHERE correction_id = :id AND undone_at IS NULL RETURNING {_COLUMNS}"),
            {"id": correction_id, "by": by}).one_or_none()
        return _correction(row) if row else None

    # ---- the user run ---------------------------------------------------------
    def user_runs(self, asset_id: uuid.UUID, artifact_type: str) -> list[Any]:
        return list(self.session.execute(text(
            "SELECT run_id, status, config FROM runs WHERE asset_id = :a AND artifact_type = :t "
            "AND producer = :user ORDER BY created_at, run_id"),
            {"a": asset_id, "t": artifact_type, "user": USER}))

    def machine_run(self, asset_id: uuid.UUID, artifact_type: str) -> uuid.UUID | None:
        """The run the stored policy picks, corrections aside."""
        return self.session.execute(text("SELECT eioku_machine_run(:a, :t)"),  # type: ignore[no-any-return]
                                    {"a": asset_id, "t": artifact_type}).scalar_one()

    def rebuild_if_corrected(self, asset_id: uuid.UUID, artifact_type: str) -> None:
        """After a machine run of this (video, type) completed or the policy changed:
        the corrections, if any, applied to what is picked now."""
        if self.session.execute(text(
                "SELECT EXISTS (SELECT 1 FROM corrections WHERE asset_id = :a AND artifact_type = :t)"),
                {"a": asset_id, "t": CORRECTED_BY.get(artifact_type, artifact_type)}).scalar_one():
            self.rebuild(asset_id, artifact_type)

    def rebuild_all(self, asset_id: uuid.UUID, artifact_type: str) -> uuid.UUID | None:
        """Rebuild what the corrections of ``artifact_type`` shape: its user run, and for
        transcript lines the text embeddings' (when the video has embeddings)."""
        run_id = self.rebuild(asset_id, artifact_type)
        for derived, source in CORRECTED_BY.items():
            if source == artifact_type:
                self.rebuild(asset_id, derived)
        return run_id

    def rebuild(self, asset_id: uuid.UUID, artifact_type: str) -> uuid.UUID | None:
        """Make the user run of the corrections in force over the machine run the
        stored policy picks (kept when it is that already); the run's id, or None
        when there is nothing to correct (no correction in force, or no machine run).

        One rebuild of a (video, type) at a time, to the end of its transaction: a
        correction saved while a worker completes a run is in the one made last,
        whose statements see what the other committed."""
        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                             {"k": f"eioku.corrections:{asset_id}:{artifact_type}"})
        source = CORRECTED_BY.get(artifact_type)
        corrections = self.in_force(asset_id, source or artifact_type)
        if source is not None:
            corrections = [c for c in corrections if c.kind == SEGMENT]
        base = self.machine_run(asset_id, artifact_type) if corrections else None
        ids = [str(c.correction_id) for c in corrections]
        existing = self.user_runs(asset_id, artifact_type)
        if base in {r.run_id for r in existing}:
            return base  # a user run pinned by the policy is shown as it is
        for run in existing:
            if (base is not None and run.status == RunStatus.COMPLETED
                    and run.config.get("base_run_id") == str(base)
                    and run.config.get("corrections") == ids and len(existing) == 1):
                return run.run_id  # type: ignore[no-any-return]
        self._delete_runs([r.run_id for r in existing])
        if base is None:
            return None
        return self._write(asset_id, artifact_type, base, corrections)

    def _delete_runs(self, run_ids: list[uuid.UUID]) -> None:
        if not run_ids:
            return
        for projection in PROJECTIONS:  # derived rows have no foreign key: they go first
            for table in filter(None, (projection.table, projection.appearances)):
                self.session.execute(text(f"DELETE FROM {table} WHERE run_id = ANY(:ids)"),
                                     {"ids": run_ids})
        self.session.execute(text("DELETE FROM runs WHERE run_id = ANY(:ids)"), {"ids": run_ids})

    def _write(self, asset_id: uuid.UUID, artifact_type: str, base: uuid.UUID,
               corrections: list[Correction]) -> uuid.UUID:
        from eioku.store.runs import RunRepository  # runs.py calls back into this module

        runs = RunRepository(self.session, self.projections)
        base_run = runs.get(base)
        run = runs.create(
            asset_id=asset_id, artifact_type=artifact_type, producer=USER, analyzer=USER,
            producer_version=USER_VERSION, model_profile=base_run.model_profile,
            input_hash=base_run.input_hash, status=RunStatus.RUNNING,
            config={"base_run_id": str(base), "corrections": [str(c.correction_id) for c in corrections],
                    "authors": sorted({c.author for c in corrections})})
        lines = [c for c in corrections if c.kind == SEGMENT]
        self.session.execute(text(_COPY_SQL), {
            "user_run": str(run.run_id), "base": base, "artifact_type": artifact_type,
            "renames": json.dumps([{"label": c.target_key, "to_label": c.value["to"]}
                                   for c in corrections if c.kind == RENAME_LABEL]),
            "removes": json.dumps([{"label": c.target_key}
                                   for c in corrections if c.kind == REMOVE_LABEL]),
            "lines": json.dumps([{"artifact_id": c.origin["artifact_id"],
                                  "start_ms": c.origin["start_ms"], "end_ms": c.origin["end_ms"]}
                                 for c in lines]),
        })
        if artifact_type == EMBEDDING:
            model = self.session.execute(text(
                "SELECT payload->>'model' FROM artifacts WHERE run_id = :base "
                "AND artifact_type = :t AND payload->>'source' = 'transcript' LIMIT 1"),
                {"base": base, "t": EMBEDDING}).scalar_one_or_none()
            # a line's vector where it was embedded by the model of the machine's vectors
            vectors = [c for c in lines if c.value.get("vector") and c.value.get("model") == model]
            if vectors:
                self.session.execute(text(_LINE_SQL), [{
                    "artifact_id": derived_id(run.run_id, c.correction_id), "user_run": run.run_id,
                    "schema_version": 1, "start_ms": c.value["start_ms"], "end_ms": c.value["end_ms"],
                    "payload": json.dumps({"source": "transcript", "text": c.value["text"][:4000],
                                           "model": model, "vector": c.value["vector"],
                                           "source_artifact_id": c.origin["artifact_id"]}),
                } for c in vectors])
        elif lines:
            self.session.execute(text(_LINE_SQL), [{
                "artifact_id": derived_id(run.run_id, c.correction_id), "user_run": run.run_id,
                "schema_version": c.origin.get("schema_version", 1),
                "start_ms": c.value["start_ms"], "end_ms": c.value["end_ms"],
                "payload": json.dumps(corrected_payload(c.origin.get("payload", {}), c.value["text"])),
            } for c in lines])
        self.projections.project_run(run.run_id, {artifact_type})
        runs.complete(run.run_id)
        return run.run_id


def corrected_payload(machine: dict[str, Any], new_text: str) -> dict[str, Any]:
    """A transcript line's payload with a person's text: their word is certain, and
    the machine's word timings no longer fit it."""
    payload = {k: v for k, v in machine.items() if k != "words"}
    payload.setdefault("language", "und")
    return {**payload, "text": new_text, "confidence": 1.0}
