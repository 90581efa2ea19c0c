"""Initial schema: videos, runs, artifacts, selections, projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Projection rows carry no foreign key to artifacts: they are derived data,
# rebuilt at will, and a per-row FK check would cost a third of bulk-ingest
# time. The store deletes them together with their artifacts.
PROJECTION_COMMON = """
    artifact_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
"""

UPGRADE = f"""
CREATE TABLE videos (
    video_id uuid PRIMARY KEY,
    path text NOT NULL,
    filename text NOT NULL,
    content_hash text NOT NULL UNIQUE,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    duration_ms bigint,
    recorded_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'registered'
);
CREATE INDEX ix_videos_library_order ON videos ((COALESCE(recorded_at, created_at)), video_id);

CREATE TABLE runs (
    run_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL REFERENCES videos(video_id) ON DELETE CASCADE,
    analyzer text NOT NULL,
    artifact_type text NOT NULL,
    model_profile text NOT NULL,
    producer text NOT NULL,
    producer_version text NOT NULL,
    config jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    config_hash text NOT NULL,
    input_hash text NOT NULL,
    status text NOT NULL CHECK (status IN ('queued','running','completed','failed','canceled')),
    progress double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at timestamptz,
    finished_at timestamptz,
    error text,
    timings jsonb NOT NULL DEFAULT '{{}}'::jsonb,
    reused_from uuid
);
CREATE INDEX ix_runs_selection ON runs (asset_id, artifact_type, status, finished_at DESC);
CREATE INDEX ix_runs_reuse ON runs (input_hash, producer, producer_version, config_hash, artifact_type)
    WHERE status = 'completed';

CREATE TABLE artifacts (
    artifact_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL REFERENCES videos(video_id) ON DELETE CASCADE,
    artifact_type text NOT NULL,
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    span_start_ms bigint NOT NULL CHECK (span_start_ms >= 0),
    span_end_ms bigint NOT NULL,
    payload jsonb NOT NULL,
    producer text NOT NULL,
    producer_version text NOT NULL,
    model_profile text NOT NULL,
    config_hash text NOT NULL,
    input_hash text NOT NULL,
    run_id uuid NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_artifacts_span CHECK (span_start_ms <= span_end_ms)
);
CREATE INDEX ix_artifacts_asset_type_start ON artifacts (asset_id, artifact_type, span_start_ms);
CREATE INDEX ix_artifacts_asset_type_profile_start
    ON artifacts (asset_id, artifact_type, model_profile, span_start_ms);
CREATE INDEX ix_artifacts_run ON artifacts (run_id, artifact_type);
CREATE INDEX ix_artifacts_payload ON artifacts USING gin (payload jsonb_path_ops);

CREATE TABLE artifact_selections (
    asset_id uuid NOT NULL REFERENCES videos(video_id) ON DELETE CASCADE,
    artifact_type text NOT NULL,
    mode text NOT NULL CHECK (mode IN ('default','latest','pinned','profile','best_quality')),
    preferred_profile text,
    pinned_run_id uuid REFERENCES runs(run_id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, artifact_type)
);

CREATE TABLE scene_ranges ({PROJECTION_COMMON}
    scene_index integer NOT NULL
);
CREATE INDEX ix_scene_ranges_run_start ON scene_ranges (run_id, start_ms);

CREATE TABLE transcript_fts ({PROJECTION_COMMON}
    text text NOT NULL,
    tsv tsvector NOT NULL
);
CREATE INDEX ix_transcript_fts_tsv ON transcript_fts USING gin (tsv);
CREATE INDEX ix_transcript_fts_run_start ON transcript_fts (run_id, start_ms);

CREATE TABLE ocr_fts ({PROJECTION_COMMON}
    text text NOT NULL,
    tsv tsvector NOT NULL
);
CREATE INDEX ix_ocr_fts_tsv ON ocr_fts USING gin (tsv);
CREATE INDEX ix_ocr_fts_run_start ON ocr_fts (run_id, start_ms);

CREATE TABLE object_labels ({PROJECTION_COMMON}
    label text NOT NULL,
    confidence double precision NOT NULL
);
CREATE INDEX ix_object_labels_run_label_start ON object_labels (run_id, label, start_ms);
CREATE INDEX ix_object_labels_run_start ON object_labels (run_id, start_ms);

CREATE TABLE face_clusters ({PROJECTION_COMMON}
    cluster_id text NOT NULL,
    confidence double precision NOT NULL
);
CREATE INDEX ix_face_clusters_run_cluster_start ON face_clusters (run_id, cluster_id, start_ms);
CREATE INDEX ix_face_clusters_run_start ON face_clusters (run_id, start_ms);

CREATE TABLE place_labels ({PROJECTION_COMMON}
    label text NOT NULL,
    confidence double precision NOT NULL
);
CREATE INDEX ix_place_labels_run_label_start ON place_labels (run_id, label, start_ms);
CREATE INDEX ix_place_labels_run_start ON place_labels (run_id, start_ms);

-- The one definition of the selection policy (SPEC §4). Every read path
-- resolves the run to show through this function, so jump, find, artifact
-- queries and projections cannot disagree. Only completed runs qualify.
CREATE FUNCTION eioku_selected_run(
    p_asset uuid, p_type text, p_mode text DEFAULT NULL, p_profile text DEFAULT NULL
) RETURNS uuid LANGUAGE sql STABLE AS $$
    WITH policy AS (
        SELECT COALESCE(p_mode, s.mode, 'default') AS mode,
               COALESCE(p_profile, s.preferred_profile) AS profile,
               s.pinned_run_id
        FROM (SELECT 1) AS one
        LEFT JOIN artifact_selections s ON s.asset_id = p_asset AND s.artifact_type = p_type
    )
    SELECT r.run_id
    FROM runs r CROSS JOIN policy
    WHERE r.asset_id = p_asset
      AND r.artifact_type = p_type
      AND r.status = 'completed'
      AND (policy.mode <> 'pinned' OR r.run_id = policy.pinned_run_id)
      AND (policy.mode <> 'profile' OR r.model_profile = policy.profile)
    ORDER BY
      CASE WHEN policy.mode = 'best_quality' THEN
        CASE r.model_profile WHEN 'high_quality' THEN 0 WHEN 'balanced' THEN 1
                             WHEN 'fast' THEN 2 ELSE 3 END
      ELSE 0 END,
      r.finished_at DESC, r.run_id DESC
    LIMIT 1
$$;
"""

DOWNGRADE = """
DROP FUNCTION IF EXISTS eioku_selected_run(uuid, text, text, text);
DROP TABLE IF EXISTS place_labels, face_clusters, object_labels, ocr_fts, transcript_fts,
    scene_ranges, artifact_selections, artifacts, runs, videos;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
