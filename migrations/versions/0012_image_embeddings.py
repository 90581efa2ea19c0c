"""Visual search (optional): ``image_embeddings``, the projection of
``image.embedding`` artifacts (sampled frames embedded by a CLIP model the
user supplies, ``EIOKU_CLIP_MODEL``). The vector's size is the model's, so
there is no fixed-size index: queries scan the frames of the selected runs
exactly, for the query's model only.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE image_embeddings (
    artifact_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    model text NOT NULL,
    embedding real[] NOT NULL
);
CREATE INDEX ix_image_embeddings_run_start ON image_embeddings (run_id, start_ms);
""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS image_embeddings")
