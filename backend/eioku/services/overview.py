"""A video at a glance (Azure Video Indexer's insights panel): its chapters,
the people on screen and the voices heard with their screen and talk time, the
names and terms said or shown, its sounds, typed segments and languages.

Everything comes from the runs the selection policies pick, like every other
read path. Types other stages may or may not have produced (``entity.mention``,
``text.language``, ``audio.event``, ``segment``) are read by artifact type from
their selected runs, so a section is simply empty until its stage has run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType
from eioku.domain.models import NO_OVERRIDE, SelectionOverride
from eioku.store.speakers import selected_speakers_run, talk_time
from eioku.store.uow import UnitOfWork

TOP_NAMES = 12
# entity.mention types that are names (the rest, "term", are key terms)
NAME_TYPES = ("person", "org", "place", "date", "amount")


@dataclass
class Overview:
    video_id: uuid.UUID
    duration_ms: int | None
    chapters: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    speakers: list[dict[str, Any]] = field(default_factory=list)
    names: list[dict[str, Any]] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    sounds: list[dict[str, Any]] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    languages: list[dict[str, Any]] = field(default_factory=list)
    loudness_lufs: float | None = None  # the whole programme's (EBU R128), when measured


def _selected(artifact_type: str) -> str:
    return f"(SELECT eioku_selected_run(:v, '{artifact_type}', :sel_mode, :sel_profile))"


def chapters(session: Session, video_id: uuid.UUID,
             selection: SelectionOverride = NO_OVERRIDE) -> list[dict[str, Any]]:
    """The selected chapters run's chapters in order: span, title, key phrases."""
    rows = session.execute(text(
        "SELECT a.artifact_id, a.span_start_ms, a.span_end_ms, a.payload FROM artifacts a "
        f"WHERE a.asset_id = :v AND a.run_id = {_selected(ArtifactType.CHAPTER)} "
        "AND a.artifact_type = 'chapter' ORDER BY a.span_start_ms, a.artifact_id"),
        {"v": video_id, **selection.sql_args}).all()
    return [{"artifact_id": str(r.artifact_id), "start_ms": r.span_start_ms, "end_ms": r.span_end_ms,
             "title": r.payload["title"], "key_phrases": r.payload.get("key_phrases", []),
             "title_source": r.payload.get("title_source", "speech")} for r in rows]


def _people(session: Session, video_id: uuid.UUID, args: dict[str, Any],
            voices: dict[str, int]) -> list[dict[str, Any]]:
    """People on screen, the most screen time first, with their linked voices' talk time."""
    rows = session.execute(text(
        "SELECT p.cluster_id, fi.name, sum(p.end_ms - p.start_ms) AS screen_ms, "
        "count(*) AS appearances, min(p.start_ms) AS first_ms, "
        "ARRAY(SELECT COALESCE(v.merged_into, v.voice_id) FROM voices v "
        "      WHERE v.person_id = p.cluster_id) AS voice_ids "
        "FROM face_appearances p LEFT JOIN face_identities fi ON fi.identity_id = p.cluster_id "
        f"WHERE p.run_id = {_selected(ArtifactType.FACE_DETECTION)} "
        "GROUP BY p.cluster_id, fi.name ORDER BY screen_ms DESC, p.cluster_id LIMIT 50"), args).all()
    out = []
    for r in rows:
        talk = sum(voices.get(v, 0) for v in r.voice_ids or [])
        out.append({"person_id": r.cluster_id, "name": r.name, "screen_ms": int(r.screen_ms),
                    "appearances": int(r.appearances), "first_ms": int(r.first_ms),
                    "talk_ms": talk or None})
    return out


def _by_type(session: Session, artifact_type: str, select: str, group: str, order: str,
             args: dict[str, Any], limit: int = 50) -> list[Any]:
    return list(session.execute(text(
        f"SELECT {select} FROM artifacts a WHERE a.asset_id = :v AND a.artifact_type = '{artifact_type}' "
        f"AND a.run_id = {_selected(artifact_type)} GROUP BY {group} ORDER BY {order} LIMIT {limit}"),
        args).all())


def video_overview(uow: UnitOfWork, video_id: uuid.UUID,
                   selection: SelectionOverride = NO_OVERRIDE) -> Overview:
    video = uow.videos.get(video_id)
    session = uow.session
    args = {"v": video_id, **selection.sql_args}
    out = Overview(video_id, video.duration_ms, chapters=chapters(session, video_id, selection))
    run_id = selected_speakers_run(session, video_id, selection)
    times = talk_time(session, run_id) if run_id else []
    total = sum(t.talk_ms for t in times)
    out.speakers = [{"speaker": t.speaker, "name": t.name, "voice_id": t.voice_id,
                     "talk_ms": t.talk_ms, "turns": t.turns, "first_ms": t.first_ms,
                     "share": round(t.talk_ms / total, 4) if total else 0.0} for t in times]
    out.people = _people(session, video_id, args,
                         {t.voice_id: t.talk_ms for t in times if t.voice_id})
    mentions = _by_type(
        session, "entity.mention", "a.payload->>'name' AS name, a.payload->>'type' AS type, "
        "count(*) AS mentions, min(a.span_start_ms) AS first_ms", "1, 2",
        "mentions DESC, first_ms, name", args, limit=200)
    out.names = [{"name": r.name, "type": r.type, "mentions": r.mentions, "first_ms": r.first_ms}
                 for r in mentions if r.type in NAME_TYPES][:TOP_NAMES]
    out.terms = [{"name": r.name, "mentions": r.mentions, "first_ms": r.first_ms}
                 for r in mentions if r.type == "term"][:TOP_NAMES]
    sounds = _by_type(
        session, "audio.event", "a.payload->>'label' AS label, count(*) AS spans, "
        "sum(a.span_end_ms - a.span_start_ms) AS total_ms, min(a.span_start_ms) AS first_ms, "
        "avg((a.payload->>'loudness_lufs')::float8) AS loudness", "1", "total_ms DESC, label", args)
    out.sounds = [{"label": r.label, "spans": r.spans, "total_ms": int(r.total_ms),
                   "first_ms": r.first_ms,
                   "loudness_lufs": None if r.loudness is None else round(r.loudness, 1)}
                  for r in sounds if r.label != "programme"]
    whole = [r.loudness for r in sounds if r.label == "programme" and r.loudness is not None]
    out.loudness_lufs = round(whole[0], 1) if whole else None
    segments = _by_type(
        session, "segment", "a.payload->>'type' AS type, a.span_start_ms, a.span_end_ms",
        "a.artifact_id", "a.span_start_ms", args)
    out.segments = [{"type": r.type, "start_ms": r.span_start_ms, "end_ms": r.span_end_ms}
                    for r in segments]
    languages = _by_type(
        session, "text.language", "a.payload->>'language' AS language, a.payload->>'source' AS source, "
        "count(*) AS lines, sum(a.span_end_ms - a.span_start_ms) AS total_ms", "1, 2",
        "lines DESC, language", args)
    out.languages = [{"language": r.language, "source": r.source, "lines": r.lines,
                      "total_ms": int(r.total_ms)} for r in languages if r.language != "und"]
    return out
