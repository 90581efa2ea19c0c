"""Face identities: library-wide people that per-video face clusters join.

A faces run clusters its detections within the video; at write time each
cluster's mean embedding is matched to the nearest identity (or starts a new
one), so ``cluster_id`` names the same person in every video.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE SEQUENCE face_identity_seq;
CREATE TABLE face_identities (
    identity_id text PRIMARY KEY,
    embedding_model text NOT NULL,
    centroid double precision[] NOT NULL,
    faces integer NOT NULL CHECK (faces > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_face_identities_model ON face_identities (embedding_model);
""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS face_identities; DROP SEQUENCE IF EXISTS face_identity_seq;")
