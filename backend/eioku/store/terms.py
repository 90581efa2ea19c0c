"""Names and terms, and languages, as read from their projections.

``entity_mentions`` (migration 0025) holds every mention of a person,
organisation, place, date, amount or key term the entities analyzer found;
``text_languages`` the language of each OCR line and transcript segment.
The library-wide list reads the selected run of every video
(``selected_runs``), so it changes when a run is re-run or selected, with
nothing derived to rebuild.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType
from eioku.domain.models import NO_OVERRIDE, SelectionOverride

ENTITY_TYPES = ("person", "org", "place", "date", "amount", "term")
MAX_LIMIT = 500


@dataclass(frozen=True)
class Term:
    name: str  # as shown: the most common spelling of its mentions
    label: str  # lower-case: what jump?kind=entity&label= and search's entity= match
    type: str
    mentions: int
    videos: int
    first_ms: int | None = None  # in one video: its first mention


def _like(q: str) -> str:
    return "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def library_terms(session: Session, *, type_: str | None = None, q: str | None = None,
                  limit: int = 50, offset: int = 0) -> tuple[list[Term], int]:
    """Names and terms across the library's selected entities runs, most
    mentioned first (then by name); and how many there are in all."""
    where, params = ["sr.artifact_type = :t"], {"t": ArtifactType.ENTITY_MENTION,
                                                 "limit": limit, "offset": offset}
    if type_:
        where.append("p.entity_type = :type")
        params["type"] = type_
    if q:
        where.append("p.label LIKE :q")
        params["q"] = _like(q)
    rows = session.execute(text(
        "SELECT p.entity_type, p.label, mode() WITHIN GROUP (ORDER BY p.name) AS name, "
        "count(*) AS mentions, count(DISTINCT p.asset_id) AS videos, count(*) OVER () AS total "
        "FROM selected_runs sr JOIN entity_mentions p ON p.run_id = sr.run_id "
        f"WHERE {' AND '.join(where)} GROUP BY p.entity_type, p.label "
        "ORDER BY mentions DESC, videos DESC, p.label, p.entity_type LIMIT :limit OFFSET :offset"),
        params).all()
    total = int(rows[0].total) if rows else _count(session, where, params) if offset else 0
    return [Term(r.name, r.label, r.entity_type, int(r.mentions), int(r.videos)) for r in rows], total


def _count(session: Session, where: list[str], params: dict[str, object]) -> int:
    return int(session.execute(text(
        "SELECT count(*) FROM (SELECT 1 FROM selected_runs sr JOIN entity_mentions p "
        f"ON p.run_id = sr.run_id WHERE {' AND '.join(where)} GROUP BY p.entity_type, p.label) x"),
        params).scalar_one())


def selected_run(session: Session, video_id: uuid.UUID, artifact_type: str,
                 selection: SelectionOverride = NO_OVERRIDE) -> uuid.UUID | None:
    return session.execute(
        text("SELECT eioku_selected_run(:v, :t, :sel_mode, :sel_profile)"),
        {"v": video_id, "t": artifact_type, **selection.sql_args}).scalar_one()


def video_terms(session: Session, run_id: uuid.UUID, *, type_: str | None = None,
                limit: int = 100) -> list[Term]:
    """One entities run's names and terms, most mentioned first, with the first mention."""
    extra = "AND p.entity_type = :type " if type_ else ""
    rows = session.execute(text(
        "SELECT p.entity_type, p.label, mode() WITHIN GROUP (ORDER BY p.name) AS name, "
        "count(*) AS mentions, min(p.start_ms) AS first_ms FROM entity_mentions p "
        f"WHERE p.run_id = :r {extra}GROUP BY p.entity_type, p.label "
        "ORDER BY mentions DESC, first_ms, p.label LIMIT :limit"),
        {"r": run_id, "type": type_, "limit": limit}).all()
    return [Term(r.name, r.label, r.entity_type, int(r.mentions), 1, int(r.first_ms)) for r in rows]


@dataclass(frozen=True)
class LanguageShare:
    language: str  # ISO 639-1, or "und"
    source: str  # transcript | ocr
    items: int  # lines or segments
    duration_ms: int  # their time (segments: speech time; lines: time on screen)
    share: float  # of this source's items


def video_languages(session: Session, run_id: uuid.UUID) -> list[LanguageShare]:
    """A languages run's languages per source, most frequent first."""
    rows = session.execute(text(
        "SELECT p.source, p.language, count(*) AS items, sum(p.end_ms - p.start_ms) AS ms, "
        "count(*)::float8 / sum(count(*)) OVER (PARTITION BY p.source) AS share "
        "FROM text_languages p WHERE p.run_id = :r GROUP BY p.source, p.language "
        "ORDER BY p.source DESC, items DESC, p.language"), {"r": run_id}).all()
    return [LanguageShare(r.language, r.source, int(r.items), int(r.ms), round(float(r.share), 4))
            for r in rows]


def languages_of(session: Session, artifact_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The language of these OCR lines / transcript segments (any languages run
    selected for their video); those without one are left out."""
    if not artifact_ids:
        return {}
    rows = session.execute(text(
        "SELECT DISTINCT ON (p.of_artifact_id) p.of_artifact_id, p.language FROM text_languages p "
        "JOIN selected_runs sr ON sr.run_id = p.run_id "
        "WHERE p.of_artifact_id = ANY(CAST(:ids AS uuid[])) ORDER BY p.of_artifact_id"),
        {"ids": [str(a) for a in artifact_ids]}).all()
    return {r.of_artifact_id: r.language for r in rows}


def mentions_in(session: Session, video_ids: list[uuid.UUID], label: str) -> set[uuid.UUID]:
    """Which transcript segments / OCR lines of these videos mention ``label``
    (a lower-case name), under each video's selected entities run."""
    rows = session.execute(text(
        "SELECT DISTINCT (a.payload->>'of_artifact_id')::uuid FROM selected_runs sr "
        "JOIN entity_mentions p ON p.run_id = sr.run_id "
        "JOIN artifacts a ON a.artifact_id = p.artifact_id "
        "WHERE sr.artifact_type = :t AND sr.asset_id = ANY(CAST(:v AS uuid[])) AND p.label = :label"),
        {"t": ArtifactType.ENTITY_MENTION, "v": [str(v) for v in video_ids],
         "label": label.lower()}).all()
    return {r[0] for r in rows if r[0] is not None}


def spoken_language(session: Session, video_id: uuid.UUID,
                    selection: SelectionOverride = NO_OVERRIDE) -> str | None:
    """The language the selected transcript run heard most (by speech time)."""
    run_id = selected_run(session, video_id, ArtifactType.TRANSCRIPT_SEGMENT, selection)
    if run_id is None:
        return None
    return session.execute(text(
        "SELECT a.payload->>'language' FROM artifacts a WHERE a.run_id = :r AND a.asset_id = :v "
        "AND a.artifact_type = :t GROUP BY 1 ORDER BY sum(a.span_end_ms - a.span_start_ms) DESC, 1 "
        "LIMIT 1"), {"r": run_id, "v": video_id, "t": ArtifactType.TRANSCRIPT_SEGMENT}).scalar()


@dataclass(frozen=True)
class SpanMention:
    index: int  # of the span asked about
    label: str
    name: str
    type: str


def mentions_during(session: Session, spans: list[tuple[uuid.UUID, int, int]],
                    label: str | None = None) -> list[SpanMention]:
    """The names and terms mentioned during each of these spans (video, start,
    end), under each video's selected entities run (only ``label``, when given)."""
    if not spans:
        return []
    rows = session.execute(text(
        "SELECT h.i, p.label, p.name, p.entity_type FROM unnest(CAST(:v AS uuid[]), "
        "CAST(:s AS bigint[]), CAST(:e AS bigint[])) WITH ORDINALITY AS h(v, s, e, i) "
        "JOIN selected_runs sr ON sr.asset_id = h.v AND sr.artifact_type = :t "
        "JOIN entity_mentions p ON p.run_id = sr.run_id AND p.asset_id = h.v "
        "AND p.start_ms <= h.e AND p.end_ms >= h.s "
        + ("AND p.label = :label " if label is not None else "") +
        "ORDER BY h.i, p.start_ms"),
        {"v": [str(v) for v, _, _ in spans], "s": [s for _, s, _ in spans],
         "e": [e for _, _, e in spans], "t": ArtifactType.ENTITY_MENTION,
         "label": (label or "").lower()}).all()
    return [SpanMention(int(r.i) - 1, r.label, r.name, r.entity_type) for r in rows]


def languages_during(session: Session, spans: list[tuple[uuid.UUID, str, int, int]]) -> dict[int, str]:
    """The language of each text span (video, source, start, end) — the OCR line
    or transcript segment with that span in the video's selected languages run."""
    if not spans:
        return {}
    rows = session.execute(text(
        "SELECT DISTINCT ON (h.i) h.i, p.language FROM unnest(CAST(:v AS uuid[]), CAST(:src AS text[]), "
        "CAST(:s AS bigint[]), CAST(:e AS bigint[])) WITH ORDINALITY AS h(v, src, s, e, i) "
        "JOIN selected_runs sr ON sr.asset_id = h.v AND sr.artifact_type = :t "
        "JOIN text_languages p ON p.run_id = sr.run_id AND p.asset_id = h.v AND p.source = h.src "
        "AND p.start_ms <= h.e AND p.end_ms >= h.s "
        "ORDER BY h.i, abs(p.start_ms - h.s) + abs(p.end_ms - h.e)"),
        {"v": [str(v) for v, _, _, _ in spans], "src": [s for _, s, _, _ in spans],
         "s": [s for _, _, s, _ in spans], "e": [e for _, _, _, e in spans],
         "t": ArtifactType.TEXT_LANGUAGE}).all()
    return {int(r.i) - 1: r.language for r in rows}
