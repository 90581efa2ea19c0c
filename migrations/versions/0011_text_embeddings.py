"""Semantic search: ``text_embeddings``, the projection of ``text.embedding``
artifacts (transcript segments, on-screen text and shot descriptions, each a
384-d unit vector).

The vector is stored as ``real[]`` on every server, so the projection, its
rebuild and the exact-scan search (``eioku_dot``, a plain SQL function) work
on any PostgreSQL. Where the ``vector`` extension (pgvector) can be created,
an HNSW index over ``embedding::vector(384)`` (cosine) serves the nearest
neighbours instead. ``EIOKU_PGVECTOR=off`` skips it (the tests use that to
run the exact-scan fallback); ``eioku doctor`` and ``/healthz`` say which is
in use. Running ``eioku db upgrade`` again after installing pgvector does
not add the index (this revision is done): ``eioku db vector-index`` does.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22
"""

from alembic import op

from eioku.store.vectors import create_vector_index

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE text_embeddings (
    artifact_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    source text NOT NULL,
    text text NOT NULL,
    embedding real[] NOT NULL
);
CREATE INDEX ix_text_embeddings_run_start ON text_embeddings (run_id, start_ms);

-- cosine similarity of two unit vectors (the exact scan, on any server)
CREATE FUNCTION eioku_dot(a real[], b real[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT sum(x::float8 * y::float8) FROM unnest(a, b) AS t(x, y)
$$;
""")
    create_vector_index(op.get_bind())


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS text_embeddings; DROP FUNCTION IF EXISTS eioku_dot(real[], real[]);")
