"""Run chunks: a long video analysed in parts that any worker can take.

A run over a video longer than ``EIOKU_CHUNK_S`` is split into time ranges;
each range is one job, and what it found is kept here (``partial``) until
every range of the run is done. The last one to finish merges them and
writes the run's artifacts in one transaction, so a run is visible only
when whole, and a crashed chunk is retried alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE run_chunks (
    run_id uuid NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    chunk integer NOT NULL CHECK (chunk >= 0),
    start_ms bigint NOT NULL CHECK (start_ms >= 0),
    end_ms bigint NOT NULL CHECK (end_ms > start_ms),
    job_id bigint,
    partial jsonb,
    timings jsonb,
    done_at timestamptz,
    PRIMARY KEY (run_id, chunk)
);
CREATE INDEX ix_run_chunks_job ON run_chunks (job_id);
""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS run_chunks")
