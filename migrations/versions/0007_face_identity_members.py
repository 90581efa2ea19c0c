"""Face identity members: which run's faces make up each identity's centroid.

Each faces run records, per identity its faces joined, how many faces and the
sum of their embeddings. An identity's centroid is then recomputed as the
mean of the faces currently assigned to it — from the newest faces run of
each video, so a re-run does not count a video's faces twice, and a deleted
video's faces leave with its runs (ON DELETE CASCADE).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE face_identity_members (
    run_id uuid NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    identity_id text NOT NULL REFERENCES face_identities (identity_id),
    faces integer NOT NULL CHECK (faces > 0),
    total double precision[] NOT NULL,
    PRIMARY KEY (run_id, identity_id)
);
CREATE INDEX ix_face_identity_members_identity ON face_identity_members (identity_id);
""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS face_identity_members")
