"""Sounds and typed segments as projections: ``audio_events`` (one row per
``audio.event`` artifact: speech, music, singing, silence… with its
confidence and loudness) and ``segments`` (one row per ``segment`` artifact:
intro, credits, black, silence, colour_bars), what ``jump?kind=sound`` /
``jump?kind=segment``, the timeline's sound rows and the player's skip
buttons read. Existing artifacts are projected here, as a rebuild would.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE audio_events (
    artifact_id uuid PRIMARY KEY,  -- no foreign key, like every projection: derived rows go first
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    label text NOT NULL,
    confidence double precision NOT NULL,
    loudness_lufs double precision
);
CREATE INDEX ix_audio_events_run_label_start ON audio_events (run_id, label, start_ms);
CREATE INDEX ix_audio_events_run_start ON audio_events (run_id, start_ms);
INSERT INTO audio_events (artifact_id, asset_id, run_id, start_ms, end_ms, label, confidence,
                          loudness_lufs)
SELECT a.artifact_id, a.asset_id, a.run_id, a.span_start_ms, a.span_end_ms,
       lower(a.payload->>'label'), (a.payload->>'confidence')::float8,
       (a.payload->>'loudness_lufs')::float8
FROM artifacts a WHERE a.artifact_type = 'audio.event' AND a.schema_version = 1;

CREATE TABLE segments (
    artifact_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    segment_type text NOT NULL,
    confidence double precision NOT NULL
);
CREATE INDEX ix_segments_run_type_start ON segments (run_id, segment_type, start_ms);
CREATE INDEX ix_segments_run_start ON segments (run_id, start_ms);
INSERT INTO segments (artifact_id, asset_id, run_id, start_ms, end_ms, segment_type, confidence)
SELECT a.artifact_id, a.asset_id, a.run_id, a.span_start_ms, a.span_end_ms,
       a.payload->>'type', (a.payload->>'confidence')::float8
FROM artifacts a WHERE a.artifact_type = 'segment' AND a.schema_version = 1;
"""

DOWNGRADE = "DROP TABLE IF EXISTS segments; DROP TABLE IF EXISTS audio_events;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
