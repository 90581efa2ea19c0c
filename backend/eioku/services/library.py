"""The library as the web page shows it: video cards with what analysis
found so far, and one search over everything in every video."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.errors import ValidationFailedError
from eioku.domain.models import Video
from eioku.services.navigation import SNIPPET_OPTIONS, check_query_text, searchable
from eioku.store.projections import FTS_CONFIG, fts_query, spaced_sql, unspaced
from eioku.store.videos import VideoRepository

_TSQUERY = f"websearch_to_tsquery('{FTS_CONFIG}', :q)"


@dataclass(frozen=True)
class Current:
    """The analysis under way: the runs queued since its first, how far, what now."""

    running: list[str]  # analyzers running now
    waiting: list[str]  # analyzers queued
    done: int
    runs: int
    progress: float  # 0..1 over these runs
    elapsed_s: float
    eta_s: float | None  # at the pace so far; None until it says something


@dataclass(frozen=True)
class Card:
    video: Video
    runs: int
    completed: int
    failed: int
    active: int
    progress: float  # 0..1 over all runs
    scenes: int
    people: int
    objects: int  # distinct object labels
    poster_ms: int
    current: Current | None = None


def _selected(artifact_type: str) -> str:
    """The stored policy's run of this video and type (kept in ``selected_runs``)."""
    return (f"(SELECT sr.run_id FROM selected_runs sr WHERE sr.asset_id = v.video_id "
            f"AND sr.artifact_type = '{artifact_type}')")


def cards(session: Session, limit: int, offset: int, *, sort: str = "recorded",
          q: str | None = None, state: str | None = None) -> tuple[list[Card], int]:
    """A page of the library's cards (``VideoRepository.list`` orders and filters)."""
    videos, total = VideoRepository(session).list(limit=limit, offset=offset, sort=sort, q=q,
                                                  state=state)
    return cards_of(session, videos), total


def card(session: Session, video_id: uuid.UUID) -> Card:
    """One video's card (a page updates the card whose runs moved)."""
    return cards_of(session, [VideoRepository(session).get(video_id)])[0]


def _current(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Current]:
    """Per video with runs queued or running: those and every run queued since."""
    rows = session.execute(text(
        "SELECT r.asset_id, "
        "array_agg(DISTINCT r.analyzer) FILTER (WHERE r.status = 'running') AS running, "
        "array_agg(DISTINCT r.analyzer) FILTER (WHERE r.status = 'queued') AS waiting, "
        "count(*) FILTER (WHERE r.status NOT IN ('queued', 'running')) AS done, count(*) AS runs, "
        "avg(CASE WHEN r.status IN ('queued', 'running') THEN r.progress ELSE 1 END) AS progress, "
        "extract(epoch FROM clock_timestamp() - min(r.created_at)) AS elapsed_s "
        "FROM runs r JOIN (SELECT asset_id, min(created_at) AS since FROM runs "
        "  WHERE asset_id = ANY(:ids) AND status IN ('queued', 'running') GROUP BY asset_id) a "
        "ON a.asset_id = r.asset_id AND r.created_at >= a.since GROUP BY r.asset_id"),
        {"ids": ids})
    out = {}
    for r in rows:
        progress, elapsed = float(r.progress), max(0.0, float(r.elapsed_s))
        # too early to say: under 5 % done or 3 s in, a guess would only mislead
        eta = elapsed * (1 - progress) / progress if progress >= 0.05 and elapsed >= 3 else None
        out[r.asset_id] = Current(sorted(r.running or []), sorted(r.waiting or []), r.done, r.runs,
                                  progress, round(elapsed, 1), None if eta is None else round(eta, 1))
    return out


def cards_of(session: Session, videos: list[Video]) -> list[Card]:
    if not videos:
        return []
    rows = {r.video_id: r for r in session.execute(text(
        "SELECT v.video_id, "
        "count(r.run_id) AS runs, "
        "count(r.run_id) FILTER (WHERE r.status = 'completed') AS completed, "
        "count(r.run_id) FILTER (WHERE r.status IN ('failed', 'canceled')) AS failed, "
        "count(r.run_id) FILTER (WHERE r.status IN ('queued', 'running')) AS active, "
        "COALESCE(avg(CASE WHEN r.status IN ('queued', 'running') THEN r.progress ELSE 1 END), 0) "
        "AS progress, "
        "(SELECT count(*) FROM scene_ranges s WHERE s.run_id = "
        f" {_selected('scene')}) AS scenes, "
        "(SELECT count(DISTINCT f.cluster_id) FROM face_appearances f WHERE f.run_id = "
        f" {_selected('face.detection')}) AS people, "
        "(SELECT count(DISTINCT o.label) FROM object_appearances o WHERE o.run_id = "
        f" {_selected('object.detection')}) AS objects, "
        "(SELECT s.start_ms + (s.end_ms - s.start_ms) / 2 FROM scene_ranges s WHERE s.run_id = "
        f" {_selected('scene')} ORDER BY s.start_ms LIMIT 1) AS poster_ms "
        "FROM videos v LEFT JOIN runs r ON r.asset_id = v.video_id AND r.artifact_type <> 'bookmark' "
        "WHERE v.video_id = ANY(:ids) GROUP BY v.video_id"),
        {"ids": [v.video_id for v in videos]})}
    current = _current(session, [v.video_id for v in videos if rows[v.video_id].active])
    out = []
    for v in videos:
        r = rows[v.video_id]
        poster = r.poster_ms if r.poster_ms is not None else min(1000, (v.duration_ms or 0) // 2)
        out.append(Card(v, r.runs, r.completed, r.failed, r.active, float(r.progress), r.scenes,
                        r.people, r.objects, poster, current.get(v.video_id)))
    return out


@dataclass(frozen=True)
class Hit:
    video_id: uuid.UUID
    filename: str
    source: str  # transcript | ocr | object | place | face
    start_ms: int
    end_ms: int
    label: str | None
    snippet: str
    score: float
    # how sure: "exact" (the words or label asked for), or by meaning "strong",
    # "good" or "fair" (services.search); relevance: how far above chance, in
    # standard deviations (by meaning only)
    strength: str = "exact"
    relevance: float | None = None


def _labels(q: str) -> list[str]:
    """Label spellings a query can mean: the whole query and each word, leaving
    out negated words (``-cat``) and search syntax."""
    tokens = [t.strip('"') for t in q.lower().split()]
    kept = [t for t in tokens if t and not t.startswith("-") and t != "or"]
    words = [w for t in kept for w in re.split(r"[^\w-]+", t) if re.search(r"\w", w)]
    whole = " ".join(kept)
    return list(dict.fromkeys(([whole] if re.search(r"\w", whole) else []) + words))


def search(session: Session, q: str, *, limit: int = 50,
           video_id: uuid.UUID | None = None) -> list[Hit]:
    """Moments across the library (or one video): words spoken or shown on
    screen (full text, ranked), object and place labels, and people by name
    or id. Best first; within a score, in recording order."""
    check_query_text(q)
    if video_id is not None:
        VideoRepository(session).get(video_id)
    words = searchable(session, q)
    labels = _labels(q)
    if not words and not labels:
        raise ValidationFailedError(f"query {q!r} has nothing to search for", field="q")
    parts = []
    for source, table, artifact_type in (("transcript", "transcript_fts", "transcript.segment"),
                                         ("ocr", "ocr_fts", "ocr.text")):
        if words:
            parts.append(
                f"SELECT v.video_id, '{source}' AS source, p.start_ms, p.end_ms, NULL AS label, "
                f"p.text AS snippet, 1 + ts_rank_cd(p.tsv, {_TSQUERY}) AS score, v.t "
                f"FROM v JOIN selected_runs sr ON sr.asset_id = v.video_id "
                f"AND sr.artifact_type = '{artifact_type}' JOIN {table} p ON p.run_id = sr.run_id "
                f"WHERE p.tsv @@ {_TSQUERY}")
    for source, table, artifact_type in (("object", "object_appearances", "object.detection"),
                                         ("place", "place_appearances", "place.classification")):
        parts.append(
            f"SELECT v.video_id, '{source}' AS source, p.start_ms, p.end_ms, p.label AS label, "
            f"p.label AS snippet, p.confidence AS score, v.t FROM v JOIN selected_runs sr "
            f"ON sr.asset_id = v.video_id AND sr.artifact_type = '{artifact_type}' "
            f"JOIN {table} p ON p.run_id = sr.run_id WHERE p.label = ANY(:labels)")
    parts.append(
        "SELECT v.video_id, 'face' AS source, p.start_ms, p.end_ms, p.cluster_id AS label, "
        "COALESCE(fi.name, p.cluster_id) AS snippet, 1.5 AS score, v.t "
        "FROM v JOIN selected_runs sr ON sr.asset_id = v.video_id "
        "AND sr.artifact_type = 'face.detection' JOIN face_appearances p ON p.run_id = sr.run_id "
        "JOIN face_identities fi ON fi.identity_id = p.cluster_id "
        "WHERE lower(fi.name) = ANY(:labels) OR lower(fi.identity_id) = ANY(:labels)")
    # ranked and cut to the limit first; headlines (the costly part: each parses
    # its text again) only for the rows returned
    order = "ORDER BY h.score DESC, h.t, h.video_id, h.start_ms"
    headline = f"ts_headline('{FTS_CONFIG}', {spaced_sql('h.snippet')}, {_TSQUERY}, :opts)"
    rows = session.execute(text(
        "WITH v AS (SELECT video_id, filename, COALESCE(recorded_at, created_at) AS t FROM videos "
        "WHERE CAST(:video AS uuid) IS NULL OR video_id = :video) "
        "SELECT h.video_id, h.source, h.start_ms, h.end_ms, h.label, h.score, h.filename, "
        f"CASE WHEN h.source IN ('transcript', 'ocr') THEN {headline} ELSE h.snippet END AS snippet "
        "FROM (SELECT h.*, v.filename FROM (" + " UNION ALL ".join(parts) + ") AS h "
        f"JOIN v USING (video_id) {order} LIMIT :limit) AS h {order}"),
        {"q": fts_query(q), "labels": labels, "opts": SNIPPET_OPTIONS, "limit": limit,
         "video": video_id})
    return [Hit(r.video_id, r.filename, r.source, r.start_ms, r.end_ms, r.label,
                unspaced(r.snippet) if r.source in ("transcript", "ocr") else r.snippet,
                round(float(r.score), 4)) for r in rows]
