"""What the player draws: one row per kind and label on a shared clock, and
the boxes on screen at a moment. Everything comes from the runs the
selection policies pick, like every other read path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.db.steps import Fetch, Statement, Steps, run
from eioku.domain.enums import ArtifactType, JumpKind
from eioku.domain.errors import EiokuError
from eioku.domain.models import Video
from eioku.media.frames import video_facts
from eioku.media.geometry import normalise_box, scaled_size
from eioku.store.speakers import SPEAKER_NAME
from eioku.store.videos import VideoRepository, get_video

# detections are sampled (spans of a second or two); a box query looks this far
# back for a detection that is still on screen at the asked time
MAX_BOX_SPAN_MS = 600_000


def _run(artifact_type: str) -> str:
    return f"(SELECT eioku_selected_run(:v, '{artifact_type}'))"


@dataclass(frozen=True)
class Item:
    start_ms: int
    end_ms: int
    confidence: float | None = None
    text: str | None = None


@dataclass
class Row:
    kind: str  # a JumpKind: scene, object, face, place, transcript, ocr, speaker
    key: str | None  # label or person id for object/face/place rows
    title: str
    items: list[Item] = field(default_factory=list)


def timeline_steps(video_id: uuid.UUID) -> Steps[tuple[Video, list[Row]]]:
    """The video and its rows, in two statements: the video (404 when unknown)
    and every row's items in one query (the API runs it on the async read pool,
    as jumps are: a session route cost a thread, a pooled session and a round
    trip per kind)."""
    video = yield from get_video(video_id)
    found = yield Statement(_ROWS_SQL, {"v": video_id}, Fetch.ALL)
    rows: dict[tuple[int, str | None], Row] = {}
    for r in found:
        row = rows.setdefault((r.section, r.key), Row(JumpKind(r.kind), r.key, r.title))
        row.items.append(Item(r.start_ms, r.end_ms,
                              None if r.confidence is None else round(r.confidence, 4), r.text))
    return video, list(rows.values())


def timeline(session: Session, video_id: uuid.UUID) -> tuple[int | None, list[Row]]:
    video, rows = run(session, timeline_steps(video_id))
    return video.duration_ms, rows


def _appearances_sql(section: int, kind: JumpKind, table: str, key: str, artifact_type: str) -> str:
    """One row per label (or person), the longest on screen first."""
    named = "LEFT JOIN face_identities fi ON fi.identity_id = p.cluster_id" if kind is JumpKind.FACE \
        else ""
    title = "COALESCE(fi.name, p.cluster_id)" if kind is JumpKind.FACE else f"p.{key}"
    return (f"SELECT {section}, '{kind.value}', p.{key}, {title}, "
            f"p.start_ms, p.end_ms, p.confidence, NULL, "
            f"sum(p.end_ms - p.start_ms) OVER (PARTITION BY p.{key}) AS total, NULL "
            f"FROM {table} p {named} WHERE p.run_id = {_run(artifact_type)}")


def _lines_sql(section: int, kind: JumpKind, table: str, artifact_type: str, title: str) -> str:
    return (f"SELECT {section}, '{kind.value}', NULL, '{title}', start_ms, end_ms, NULL, "
            f"text, 0, artifact_id FROM {table} WHERE run_id = {_run(artifact_type)}")


# sections in the order the player shows them; items by start (lines: then by id, as stored)
_ROWS_SQL = " UNION ALL ".join((
    f"SELECT 0 AS section, '{JumpKind.SCENE.value}' AS kind, NULL::text AS key, 'Scenes' AS title, "
    f"start_ms, end_ms, NULL::float8 AS confidence, NULL::text AS text, 0::bigint AS total, "
    f"NULL::uuid AS artifact_id FROM scene_ranges WHERE run_id = {_run(ArtifactType.SCENE)}",
    _appearances_sql(1, JumpKind.FACE, "face_appearances", "cluster_id", ArtifactType.FACE_DETECTION),
    _appearances_sql(2, JumpKind.OBJECT, "object_appearances", "label", ArtifactType.OBJECT_DETECTION),
    _appearances_sql(3, JumpKind.PLACE, "place_appearances", "label",
                     ArtifactType.PLACE_CLASSIFICATION),
    _lines_sql(4, JumpKind.TRANSCRIPT, "transcript_fts", ArtifactType.TRANSCRIPT_SEGMENT, "Speech"),
    _lines_sql(5, JumpKind.OCR, "ocr_fts", ArtifactType.OCR_TEXT, "On-screen text"),
    # a row per speaker (its turns; titled by its voice's name), the most talk first
    f"SELECT 6, '{JumpKind.SPEAKER.value}', p.speaker, {SPEAKER_NAME}, p.start_ms, p.end_ms, "
    f"p.confidence, NULL, sum(p.end_ms - p.start_ms) OVER (PARTITION BY p.speaker) AS total, "
    f"p.artifact_id FROM speaker_turns p WHERE p.run_id = {_run(ArtifactType.SPEAKER_TURN)}",
    # chapters first (eioku_ml/analyzers/chapters.py), each with its title
    f"SELECT -1, '{JumpKind.CHAPTER.value}', NULL, 'Chapters', start_ms, end_ms, NULL, title, 0, "
    f"artifact_id FROM chapter_ranges WHERE run_id = {_run(ArtifactType.CHAPTER)}",
    # what is heard (speech, music, singing, silence; text: the kind) and typed segments
    # (intro, credits, black, silence, colour_bars; text: the type), a row each
    f"SELECT 7, '{JumpKind.SOUND.value}', NULL, 'Sounds', start_ms, end_ms, confidence, label, 0, "
    f"artifact_id FROM audio_events WHERE run_id = {_run(ArtifactType.AUDIO_EVENT)} "
    "AND label <> 'programme'",
    f"SELECT 8, '{JumpKind.SEGMENT.value}', NULL, 'Segments', start_ms, end_ms, confidence, "
    f"segment_type, 0, artifact_id FROM segments WHERE run_id = {_run(ArtifactType.SEGMENT)}",
    # what people marked (store/bookmarks.py), each with its note; a section number of its own
    _lines_sql(20, JumpKind.BOOKMARK, "bookmark_notes", ArtifactType.BOOKMARK, "Bookmarks"),
)) + " ORDER BY section, total DESC, key, start_ms, artifact_id"


def frame_rate(video: Video) -> float | None:
    """The file's frame rate, or None when the file cannot be read now (read
    once per file version: :func:`video_facts` keeps it)."""
    try:
        return video_facts(Path(video.path)).fps
    except EiokuError:
        return None


@dataclass(frozen=True)
class Box:
    kind: str  # object | face
    label: str  # object label, or person id
    name: str | None  # a person's name
    confidence: float
    start_ms: int
    end_ms: int
    box: dict[str, float]  # fractions of the picture


def boxes_at(session: Session, video_id: uuid.UUID, t_ms: int) -> list[Box]:
    """Objects and faces detected at ``t_ms``, boxes as fractions of the picture."""
    video = VideoRepository(session).get(video_id)
    facts = video_facts(Path(video.path))
    out: list[Box] = []
    for kind, table, key, artifact_type in (
            (JumpKind.OBJECT, "object_labels", "label", ArtifactType.OBJECT_DETECTION),
            (JumpKind.FACE, "face_clusters", "cluster_id", ArtifactType.FACE_DETECTION)):
        name = "fi.name" if kind is JumpKind.FACE else "NULL"
        join = "LEFT JOIN face_identities fi ON fi.identity_id = p.cluster_id" \
            if kind is JumpKind.FACE else ""
        rows = session.execute(text(
            f"SELECT p.{key} AS label, {name} AS name, p.confidence, p.start_ms, p.end_ms, "
            f"a.payload->'bbox' AS bbox, (r.config->>'width')::int AS width "
            f"FROM {table} p JOIN artifacts a ON a.artifact_id = p.artifact_id "
            f"JOIN runs r ON r.run_id = p.run_id {join} "
            f"WHERE p.run_id = {_run(artifact_type)} AND p.start_ms <= :t "
            f"AND p.start_ms > :t - {MAX_BOX_SPAN_MS} AND p.end_ms > :t "
            f"ORDER BY p.confidence DESC"), {"v": video_id, "t": t_ms}).all()
        for r in rows:
            if not r.bbox:
                continue
            analysed = scaled_size(facts.width, facts.height, r.width)
            out.append(Box(kind.value, r.label, r.name, round(r.confidence, 4), r.start_ms, r.end_ms,
                           normalise_box(r.bbox, analysed)))
    return out
