"""People: names for face identities, and merges that can be undone.

``merged_into`` points a merged identity at the one it joined (always a
canonical identity: merges are kept flat). The ``face_clusters`` projection
stores the canonical identity, so every read path (jump, appearances,
people) follows merges; the artifacts themselves keep the identity they
were written with, so undoing a merge loses nothing. ``people_merges``
records every merge with what it changed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
ALTER TABLE face_identities
    ADD COLUMN name text CHECK (name IS NULL OR length(btrim(name)) BETWEEN 1 AND 100),
    ADD COLUMN merged_into text REFERENCES face_identities (identity_id);
CREATE UNIQUE INDEX ux_face_identities_name ON face_identities (lower(name)) WHERE name IS NOT NULL;
-- merges rewrite a person's projection rows in every video at once
CREATE INDEX ix_face_clusters_cluster ON face_clusters (cluster_id);
CREATE INDEX ix_face_identities_merged_into ON face_identities (merged_into)
    WHERE merged_into IS NOT NULL;

CREATE TABLE people_merges (
    merge_id bigserial PRIMARY KEY,
    source_id text NOT NULL REFERENCES face_identities (identity_id),
    target_id text NOT NULL REFERENCES face_identities (identity_id),
    moved text[] NOT NULL DEFAULT '{}',
    source_name text,
    source_centroid double precision[] NOT NULL,
    source_faces integer NOT NULL,
    target_centroid double precision[] NOT NULL,
    target_faces integer NOT NULL,
    merged_at timestamptz NOT NULL DEFAULT now(),
    undone_at timestamptz
);
CREATE INDEX ix_people_merges_source ON people_merges (source_id, merged_at);
""")


def downgrade() -> None:
    op.execute("""
DROP TABLE IF EXISTS people_merges;
DROP INDEX IF EXISTS ux_face_identities_name;
DROP INDEX IF EXISTS ix_face_clusters_cluster;
ALTER TABLE face_identities DROP COLUMN IF EXISTS merged_into, DROP COLUMN IF EXISTS name;
""")
