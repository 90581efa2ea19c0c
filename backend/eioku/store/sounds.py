"""Sounds and typed segments as read: a video's audio events with the time
each kind of sound takes and the programme's loudness, its typed segments
(intro, credits, black, silence, colour bars), and which search hits happen
while a sound is heard or inside a segment. Everything from the selected
``sounds`` and ``segments`` runs (projections ``audio_events``, ``segments``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.artifacts.payloads.sounds import SEGMENT_TYPES, SOUND_LABELS
from eioku.domain.enums import ArtifactType
from eioku.domain.errors import ValidationFailedError
from eioku.domain.models import NO_OVERRIDE, SelectionOverride

HEARD = tuple(label for label in SOUND_LABELS if label != "programme")  # what spans are of


def sound_label(value: str, field: str = "sound") -> str:
    label = value.strip().lower()
    if label not in HEARD:
        raise ValidationFailedError(f"{field} must be one of {', '.join(HEARD)} (got {value[:50]!r})",
                                    field=field)
    return label


def segment_type(value: str, field: str = "segment") -> str:
    kind = value.strip().lower().replace(" ", "_").replace("color", "colour")
    if kind not in SEGMENT_TYPES:
        raise ValidationFailedError(
            f"{field} must be one of {', '.join(SEGMENT_TYPES)} (got {value[:50]!r})", field=field)
    return kind


def selected_run(session: Session, video_id: uuid.UUID, artifact_type: str,
                 selection: SelectionOverride = NO_OVERRIDE) -> uuid.UUID | None:
    return session.execute(
        text("SELECT eioku_selected_run(:v, :t, :sel_mode, :sel_profile)"),
        {"v": video_id, "t": artifact_type, **selection.sql_args}).scalar_one()


@dataclass(frozen=True)
class Event:
    start_ms: int
    end_ms: int
    label: str
    confidence: float
    loudness_lufs: float | None


@dataclass(frozen=True)
class Programme:
    loudness_lufs: float | None
    loudness_range_lu: float | None
    max_momentary_lufs: float | None
    duration_ms: int


def events(session: Session, run_id: uuid.UUID, label: str | None = None) -> list[Event]:
    rows = session.execute(text(
        "SELECT start_ms, end_ms, label, confidence, loudness_lufs FROM audio_events "
        "WHERE run_id = :r AND label <> 'programme' AND (CAST(:l AS text) IS NULL OR label = :l) "
        "ORDER BY start_ms, end_ms, label"), {"r": run_id, "l": label}).all()
    return [Event(r.start_ms, r.end_ms, r.label, round(r.confidence, 4),
                  None if r.loudness_lufs is None else round(r.loudness_lufs, 2)) for r in rows]


def programme(session: Session, run_id: uuid.UUID) -> Programme | None:
    row = session.execute(text(
        "SELECT a.span_end_ms - a.span_start_ms AS duration_ms, a.payload FROM audio_events p "
        "JOIN artifacts a ON a.artifact_id = p.artifact_id "
        "WHERE p.run_id = :r AND p.label = 'programme' LIMIT 1"), {"r": run_id}).first()
    if row is None:
        return None
    p = row.payload
    return Programme(p.get("loudness_lufs"), p.get("loudness_range_lu"), p.get("max_momentary_lufs"),
                     int(row.duration_ms))


def heard_ms(session: Session, run_id: uuid.UUID) -> dict[str, int]:
    """Time each kind of sound is heard (spans of one label never overlap)."""
    rows = session.execute(text(
        "SELECT label, sum(end_ms - start_ms) AS ms FROM audio_events "
        "WHERE run_id = :r AND label <> 'programme' GROUP BY label"), {"r": run_id}).all()
    return {label: int(dict(rows).get(label, 0) or 0) for label in HEARD}


@dataclass(frozen=True)
class Segment:
    start_ms: int
    end_ms: int
    type: str
    confidence: float
    evidence: str | None
    shared_with: int | None


def segments(session: Session, run_id: uuid.UUID, kind: str | None = None) -> list[Segment]:
    rows = session.execute(text(
        "SELECT p.start_ms, p.end_ms, p.segment_type, p.confidence, a.payload->>'evidence' AS evidence, "
        "(a.payload->>'shared_with')::int AS shared_with FROM segments p "
        "JOIN artifacts a ON a.artifact_id = p.artifact_id "
        "WHERE p.run_id = :r AND (CAST(:k AS text) IS NULL OR p.segment_type = :k) "
        "ORDER BY p.start_ms, p.end_ms, p.segment_type"), {"r": run_id, "k": kind}).all()
    return [Segment(r.start_ms, r.end_ms, r.segment_type, round(r.confidence, 4), r.evidence,
                    r.shared_with) for r in rows]


def during(session: Session, spans: list[tuple[uuid.UUID, int, int]], *, sound: str | None = None,
           segment: str | None = None) -> set[int]:
    """Which of these spans (video, start, end) overlap a ``sound`` being heard
    (audio_events label) or a ``segment`` (its type), under each video's
    selected run: the indexes of those that do."""
    if not spans or (sound is None and segment is None):
        return set(range(len(spans)))
    table, column, value, artifact_type = (
        ("audio_events", "label", sound, ArtifactType.AUDIO_EVENT) if sound is not None
        else ("segments", "segment_type", segment, ArtifactType.SEGMENT))
    rows = session.execute(text(
        "SELECT DISTINCT h.i FROM unnest(CAST(:v AS uuid[]), CAST(:s AS bigint[]), "
        "CAST(:e AS bigint[])) WITH ORDINALITY AS h(v, s, e, i) "
        "JOIN selected_runs sr ON sr.asset_id = h.v AND sr.artifact_type = :t "
        f"JOIN {table} p ON p.run_id = sr.run_id AND p.asset_id = h.v AND p.{column} = :value "
        "AND p.start_ms < GREATEST(h.e, h.s + 1) AND p.end_ms > h.s"),
        {"v": [str(v) for v, _, _ in spans], "s": [s for _, s, _ in spans],
         "e": [e for _, _, e in spans], "t": artifact_type, "value": value}).all()
    keep = {int(r.i) - 1 for r in rows}
    if sound is not None and segment is not None:
        keep &= during(session, spans, segment=segment)
    return keep
