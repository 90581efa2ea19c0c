"""Speaker turns as read: talk time per speaker, the turns of a video, and the
SQL that says whether a ``speaker_turns`` row (alias ``p``) is the speaker a
user asked for.

A run's speakers are labels of that run ("Speaker 1", ...). Voices
(store/voices.py) match them across videos and give them names; a request
may name a speaker by its run label or by its voice (id or name).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType
from eioku.domain.models import NO_OVERRIDE, SelectionOverride
from eioku.store.voices import VOICE_NAME, VOICES_SQL

# a speaker_turns row "p" is the one asked for in :label — its run's label, or
# (once voices exist) the voice it belongs to, by id, merged-away id or name
SPEAKER_MATCH = ("(lower(p.speaker) = lower(:label) OR EXISTS (SELECT 1 FROM voice_members vm "
                 "JOIN voices mv ON mv.voice_id = vm.voice_id "
                 "WHERE vm.run_id = p.run_id AND vm.speaker = p.speaker "
                 f"AND COALESCE(mv.merged_into, mv.voice_id) IN {VOICES_SQL.format(p='label')}))")

# the name a run's speaker shows under: its voice's name (of the voice it was merged
# into), else its person's name, else the voice id, else the run's label; over speaker_turns "p"
SPEAKER_NAME = (f"COALESCE((SELECT COALESCE({VOICE_NAME}, v.voice_id) FROM voice_members vm "
                "JOIN voices mv ON mv.voice_id = vm.voice_id "
                "JOIN voices v ON v.voice_id = COALESCE(mv.merged_into, mv.voice_id) "
                "WHERE vm.run_id = p.run_id AND vm.speaker = p.speaker), p.speaker)")


def selected_speakers_run(session: Session, video_id: uuid.UUID,
                          selection: SelectionOverride = NO_OVERRIDE) -> uuid.UUID | None:
    return session.execute(
        text("SELECT eioku_selected_run(:v, :t, :sel_mode, :sel_profile)"),
        {"v": video_id, "t": ArtifactType.SPEAKER_TURN, **selection.sql_args}).scalar_one()


@dataclass(frozen=True)
class SpeakerTime:
    speaker: str  # the run's label ("Speaker 1")
    name: str  # what it shows as: its voice's name or id, else the label
    voice_id: str | None
    talk_ms: int  # time in its turns, overlapping speech included
    turns: int
    overlap_ms: int  # of talk_ms, time another speaker talks too
    first_ms: int


def talk_time(session: Session, run_id: uuid.UUID) -> list[SpeakerTime]:
    """Each speaker of a speakers run with its talk time and turns, most talk first."""
    rows = session.execute(text(
        f"SELECT p.speaker, {SPEAKER_NAME} AS name, "
        "(SELECT COALESCE(v.merged_into, v.voice_id) FROM voice_members vm JOIN voices v "
        " ON v.voice_id = vm.voice_id WHERE vm.run_id = p.run_id AND vm.speaker = p.speaker) AS voice_id, "
        "sum(p.end_ms - p.start_ms) AS talk_ms, count(*) AS turns, "
        "sum(p.end_ms - p.start_ms) FILTER (WHERE p.overlap) AS overlap_ms, min(p.start_ms) AS first_ms "
        "FROM speaker_turns p WHERE p.run_id = :r GROUP BY p.run_id, p.speaker "
        "ORDER BY talk_ms DESC, p.speaker"), {"r": run_id}).all()
    return [SpeakerTime(r.speaker, r.name, r.voice_id, int(r.talk_ms), int(r.turns),
                        int(r.overlap_ms or 0), int(r.first_ms)) for r in rows]


def speaker_names(session: Session, run_id: uuid.UUID) -> dict[str, str]:
    """A speakers run's labels -> the names they show under."""
    return {t.speaker: t.name for t in talk_time(session, run_id)}


def said_by(session: Session, spans: list[tuple[uuid.UUID, int, int]], label: str) -> dict[int, str]:
    """Which of these speech spans (video, start, end) the speaker ``label`` (a run's
    label, a voice id or name) said, under each video's selected speakers run: a
    turn of theirs holds the span's middle or covers half of it. Index -> the name
    the speaker shows under."""
    if not spans:
        return {}
    rows = session.execute(text(
        f"SELECT h.i, {SPEAKER_NAME} AS name FROM unnest(CAST(:v AS uuid[]), CAST(:s AS bigint[]), "
        "CAST(:e AS bigint[])) WITH ORDINALITY AS h(v, s, e, i) "
        "CROSS JOIN LATERAL (SELECT p.* FROM selected_runs sr JOIN speaker_turns p ON p.run_id = sr.run_id "
        f"  WHERE sr.asset_id = h.v AND sr.artifact_type = :t AND {SPEAKER_MATCH} "
        "  AND p.start_ms < GREATEST(h.e, h.s + 1) AND p.end_ms > h.s "
        "  AND ((p.start_ms <= (h.s + h.e) / 2 AND p.end_ms > (h.s + h.e) / 2) "
        "       OR 2 * (LEAST(p.end_ms, h.e) - GREATEST(p.start_ms, h.s)) >= h.e - h.s) "
        "  ORDER BY p.start_ms LIMIT 1) p"),
        {"v": [v for v, _, _ in spans], "s": [s for _, s, _ in spans], "e": [e for _, _, e in spans],
         "t": ArtifactType.SPEAKER_TURN, "label": label}).all()
    return {int(r.i) - 1: r.name for r in rows}
