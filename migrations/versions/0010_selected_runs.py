"""The selected run of each (video, artifact type), kept in a table.

Library-wide reads (global jump, people, the library search and cards) used
to evaluate ``eioku_selected_run`` for every video on every call, so they
grew with the library. ``selected_runs`` holds its answer for the stored
policy, with the video's place in recording order, and triggers keep it
true whenever a run changes status, a policy changes or a video's recording
time is learnt. The rule itself stays in the one function; the table is its
cache, rebuilt here and by ``eioku projections rebuild``. Requests that
override the policy (``?selection=…``) still call the function.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE selected_runs (
    asset_id uuid NOT NULL REFERENCES videos (video_id) ON DELETE CASCADE,
    artifact_type text NOT NULL,
    run_id uuid NOT NULL,
    video_t timestamptz NOT NULL,  -- COALESCE(recorded_at, created_at): recording order
    PRIMARY KEY (asset_id, artifact_type)
);
CREATE INDEX ix_selected_runs_order ON selected_runs (artifact_type, video_t, asset_id) INCLUDE (run_id);
CREATE UNIQUE INDEX ux_selected_runs_run ON selected_runs (run_id);

CREATE FUNCTION eioku_refresh_selected(p_asset uuid, p_type text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    chosen uuid := eioku_selected_run(p_asset, p_type);
BEGIN
    IF chosen IS NULL THEN
        DELETE FROM selected_runs WHERE asset_id = p_asset AND artifact_type = p_type;
    ELSE
        INSERT INTO selected_runs (asset_id, artifact_type, run_id, video_t)
        SELECT p_asset, p_type, chosen, COALESCE(v.recorded_at, v.created_at)
        FROM videos v WHERE v.video_id = p_asset
        ON CONFLICT (asset_id, artifact_type)
        DO UPDATE SET run_id = EXCLUDED.run_id, video_t = EXCLUDED.video_t;
    END IF;
END $$;

CREATE FUNCTION eioku_runs_selected_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM eioku_refresh_selected(OLD.asset_id, OLD.artifact_type);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM eioku_refresh_selected(NEW.asset_id, NEW.artifact_type);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tr_runs_selected AFTER INSERT OR DELETE OR UPDATE OF status, finished_at, model_profile
    ON runs FOR EACH ROW EXECUTE FUNCTION eioku_runs_selected_trigger();
CREATE TRIGGER tr_selections_selected AFTER INSERT OR DELETE OR UPDATE
    ON artifact_selections FOR EACH ROW EXECUTE FUNCTION eioku_runs_selected_trigger();

CREATE FUNCTION eioku_videos_selected_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE selected_runs SET video_t = COALESCE(NEW.recorded_at, NEW.created_at)
    WHERE asset_id = NEW.video_id;
    RETURN NULL;
END $$;
CREATE TRIGGER tr_videos_selected AFTER UPDATE OF recorded_at, created_at
    ON videos FOR EACH ROW EXECUTE FUNCTION eioku_videos_selected_trigger();

INSERT INTO selected_runs (asset_id, artifact_type, run_id, video_t)
SELECT t.asset_id, t.artifact_type, eioku_selected_run(t.asset_id, t.artifact_type),
       COALESCE(v.recorded_at, v.created_at)
FROM (SELECT DISTINCT asset_id, artifact_type FROM runs WHERE status = 'completed') t
JOIN videos v ON v.video_id = t.asset_id;
""")


def downgrade() -> None:
    op.execute("""
DROP TRIGGER IF EXISTS tr_videos_selected ON videos;
DROP TRIGGER IF EXISTS tr_selections_selected ON artifact_selections;
DROP TRIGGER IF EXISTS tr_runs_selected ON runs;
DROP FUNCTION IF EXISTS eioku_videos_selected_trigger();
DROP FUNCTION IF EXISTS eioku_runs_selected_trigger();
DROP FUNCTION IF EXISTS eioku_refresh_selected(uuid, text);
DROP TABLE IF EXISTS selected_runs;
""")
