"""Place appearances: places are sampled every few seconds, so "next beach"
walks merged intervals too (like objects and faces, migration 0003).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE place_appearances (
    run_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    confidence double precision NOT NULL,
    detections integer NOT NULL,
    label text NOT NULL,
    PRIMARY KEY (run_id, label, start_ms)
);
CREATE INDEX ix_place_appearances_run_start ON place_appearances (run_id, start_ms);

INSERT INTO place_appearances (run_id, asset_id, label, start_ms, end_ms, confidence, detections)
SELECT run_id, asset_id, key, min(start_ms), max(end_ms), max(confidence), count(*)
FROM (SELECT *, count(*) FILTER (WHERE prev_end IS NULL OR start_ms - prev_end > 2000)
                OVER (PARTITION BY run_id, key ORDER BY start_ms, end_ms ROWS UNBOUNDED PRECEDING) AS grp
      FROM (SELECT run_id, asset_id, label AS key, start_ms, end_ms, confidence,
                   max(end_ms) OVER (PARTITION BY run_id, label ORDER BY start_ms, end_ms
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM place_labels WHERE run_id IN (SELECT run_id FROM runs WHERE status = 'completed')) d) g
GROUP BY run_id, asset_id, key, grp;
""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS place_appearances")
