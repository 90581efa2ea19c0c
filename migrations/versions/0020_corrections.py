"""Corrections: what people fix in what the machines found, kept under every re-analysis.

``corrections`` records each edit as it was made — who, when, what it
changed (``origin``: the machine's line or label) and what it became
(``value``) — and whether it was undone. The corrections of a (video,
artifact type) are applied to the machine run the stored policy picks and
written out as one run of producer ``user`` (``config.base_run_id``; the
store does that, services/corrections.py). The selection rule now has two
steps: ``eioku_machine_run`` is the old rule without runs of producer
``user`` (a pinned one excepted), and ``eioku_selected_run`` shows the user
run built on that machine run instead of it, when there is one. So every
read path (find, search, jump, timelines, subtitles, exports) shows the
corrected view through the one function and ``selected_runs``, and a new
analysis is shown corrected once the user run is rebuilt on it (in the
transaction that completes it).

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-06
"""

from alembic import op

revision = "0020"
down_revision = "0018"  # 0019 (search stems), when it lands, goes between: then "0019"
branch_labels = None
depends_on = None

_POLICY = """
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
      {user}
      AND (policy.mode <> 'pinned' OR r.run_id = policy.pinned_run_id)
      AND (policy.mode <> 'profile' OR r.model_profile = policy.profile)
    ORDER BY
      CASE WHEN policy.mode = 'best_quality' THEN
        CASE r.model_profile WHEN 'high_quality' THEN 0 WHEN 'balanced' THEN 1
                             WHEN 'fast' THEN 2 ELSE 3 END
      ELSE 0 END,
      r.finished_at DESC, r.run_id DESC
    LIMIT 1
"""

# runs of corrections are not the machine's, unless the policy pins one
_NOT_USER = "AND (r.producer <> 'user' OR (policy.mode = 'pinned' AND r.run_id = policy.pinned_run_id))"
_SIGNATURE = "(p_asset uuid, p_type text, p_mode text DEFAULT NULL, p_profile text DEFAULT NULL)"

UPGRADE = f"""
CREATE TABLE corrections (
    correction_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL REFERENCES videos (video_id) ON DELETE CASCADE,
    artifact_type text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('segment', 'remove_label', 'rename_label')),
    -- what a later correction of the same thing shares: the machine artifact a
    -- line was first corrected in ('segment'), the lowercased label otherwise
    target_key text NOT NULL,
    origin jsonb NOT NULL,
    value jsonb NOT NULL,
    author text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    undone_at timestamptz,
    undone_by text
);
CREATE INDEX ix_corrections_asset ON corrections (asset_id, artifact_type, created_at);

CREATE FUNCTION eioku_machine_run{_SIGNATURE} RETURNS uuid LANGUAGE sql STABLE AS $$
{_POLICY.format(user=_NOT_USER)}
$$;

CREATE OR REPLACE FUNCTION eioku_selected_run{_SIGNATURE} RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        (SELECT u.run_id FROM runs u
         WHERE u.asset_id = p_asset AND u.artifact_type = p_type AND u.status = 'completed'
           AND u.producer = 'user' AND u.config->>'base_run_id' = m.run_id::text
         ORDER BY u.finished_at DESC, u.run_id DESC LIMIT 1),
        m.run_id)
    FROM (SELECT eioku_machine_run(p_asset, p_type, p_mode, p_profile) AS run_id) m
$$;
"""

# The user runs are derived data: without the corrections they mean nothing, and
# the old rule would take them for the newest machine runs.
_USER_RUNS = "(SELECT run_id FROM runs WHERE producer = 'user')"
DOWNGRADE = f"""
CREATE OR REPLACE FUNCTION eioku_selected_run{_SIGNATURE} RETURNS uuid LANGUAGE sql STABLE AS $$
{_POLICY.format(user="")}
$$;
DROP FUNCTION IF EXISTS eioku_machine_run(uuid, text, text, text);
{"".join(f"DELETE FROM {t} WHERE run_id IN {_USER_RUNS};" + chr(10) for t in (
    "transcript_fts", "object_labels", "place_labels", "object_appearances", "place_appearances"))}
DELETE FROM runs WHERE producer = 'user';
DROP TABLE IF EXISTS corrections;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
