"""Appearance intervals: detections of one label (or face cluster) merged in time.

``object_labels`` and ``face_clusters`` keep one row per detection artifact
(SPEC §6, property 7); these tables hold what navigation jumps between: a
run's detections of one label merged into intervals, a gap longer than
``EIOKU_APPEARANCE_GAP_MS`` starting a new one. Derived data, rebuilt with
``eioku projections rebuild``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APPEARANCE_COMMON = """
    run_id uuid NOT NULL,
    asset_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    confidence double precision NOT NULL,
    detections integer NOT NULL,
"""


def upgrade() -> None:
    op.execute(f"""
CREATE TABLE object_appearances ({APPEARANCE_COMMON}
    label text NOT NULL,
    PRIMARY KEY (run_id, label, start_ms)
);
CREATE INDEX ix_object_appearances_run_start ON object_appearances (run_id, start_ms);

CREATE TABLE face_appearances ({APPEARANCE_COMMON}
    cluster_id text NOT NULL,
    PRIMARY KEY (run_id, cluster_id, start_ms)
);
CREATE INDEX ix_face_appearances_run_start ON face_appearances (run_id, start_ms);
""")
    # Completed runs' detections are merged with the default gap (a frozen copy of
    # the statement in eioku.store.projections, as migrations must not change
    # when the application does).
    for table, source, key in (("object_appearances", "object_labels", "label"),
                               ("face_appearances", "face_clusters", "cluster_id")):
        op.execute(f"""
INSERT INTO {table} (run_id, asset_id, {key}, start_ms, end_ms, confidence, detections)
SELECT run_id, asset_id, key, min(start_ms), max(end_ms), max(confidence), count(*)
FROM (SELECT *, count(*) FILTER (WHERE prev_end IS NULL OR start_ms - prev_end > 2000)
                OVER (PARTITION BY run_id, key ORDER BY start_ms, end_ms ROWS UNBOUNDED PRECEDING) AS grp
      FROM (SELECT run_id, asset_id, {key} AS key, start_ms, end_ms, confidence,
                   max(end_ms) OVER (PARTITION BY run_id, {key} ORDER BY start_ms, end_ms
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
            FROM {source} WHERE run_id IN (SELECT run_id FROM runs WHERE status = 'completed')) d) g
GROUP BY run_id, asset_id, key, grp""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS face_appearances, object_appearances")
