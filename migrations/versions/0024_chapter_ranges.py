"""Chapters as a projection: ``chapter_ranges`` (one row per ``chapter``
artifact: its number and title), what ``jump?kind=chapter``, the timeline's
chapter row, the chapters track and the player's chapter list read.
Existing chapters are projected here, as a rebuild would.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE chapter_ranges (
    artifact_id uuid PRIMARY KEY,  -- no foreign key, like every projection: derived rows go first
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    chapter_index integer NOT NULL,
    title text NOT NULL
);
CREATE INDEX ix_chapter_ranges_run_start ON chapter_ranges (run_id, start_ms);
INSERT INTO chapter_ranges (artifact_id, asset_id, run_id, start_ms, end_ms, chapter_index, title)
SELECT a.artifact_id, a.asset_id, a.run_id, a.span_start_ms, a.span_end_ms,
       (a.payload->>'chapter_index')::int, a.payload->>'title'
FROM artifacts a WHERE a.artifact_type = 'chapter' AND a.schema_version = 1;
"""

DOWNGRADE = "DROP TABLE IF EXISTS chapter_ranges;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
