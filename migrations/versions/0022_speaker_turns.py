"""Speaker turns as a projection: ``speaker_turns`` (one row per
``speaker.turn`` artifact: its speaker label, confidence and overlap flag),
what ``jump?kind=speaker``, the timeline's speaker rows and talk time read.
Existing turns are projected here, as a rebuild would.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-06
"""

from alembic import op

revision = "0022"
down_revision = "0020"  # 0021, when it lands before this, goes between: then "0021"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE speaker_turns (
    artifact_id uuid PRIMARY KEY,  -- no foreign key, like every projection: derived rows go first
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    speaker text NOT NULL,
    confidence double precision NOT NULL,
    overlap boolean NOT NULL
);
CREATE INDEX ix_speaker_turns_run_speaker_start ON speaker_turns (run_id, speaker, start_ms);
CREATE INDEX ix_speaker_turns_run_start ON speaker_turns (run_id, start_ms);
INSERT INTO speaker_turns (artifact_id, asset_id, run_id, start_ms, end_ms, speaker, confidence, overlap)
SELECT a.artifact_id, a.asset_id, a.run_id, a.span_start_ms, a.span_end_ms, a.payload->>'speaker',
       (a.payload->>'confidence')::float8, COALESCE((a.payload->>'overlap')::boolean, false)
FROM artifacts a WHERE a.artifact_type = 'speaker.turn' AND a.schema_version = 1;
"""

DOWNGRADE = "DROP TABLE IF EXISTS speaker_turns;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
