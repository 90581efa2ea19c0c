"""Moments: bookmarks, collections, compilations and the share-link secret.

``bookmarks`` holds what people mark — a point (``end_ms = start_ms``) or a
range of a video, with a note and tags — as corrections hold what they fix:
the rows are the record, and the bookmarks of a video are written out as one
run of producer ``user`` and type ``bookmark`` (store/bookmarks.py), projected
into ``bookmark_notes`` (text and tags, searchable like transcript lines). No
machine makes bookmarks, so re-analysis never touches them; the selection
rule gains one step: a user run that stands on no machine run (its config has
no ``base_run_id``) is shown when there is no machine run of that type.

``collections`` are named, ordered lists of moments across videos
(``collection_items``, position 0..n-1); a collection saved from a query keeps
the query's text and refreshes its items from it. ``compilations`` are MP4
exports made by a worker (state, progress, file). ``server_secrets`` keeps the
key share links are signed with (made on first use).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_SIGNATURE = "(p_asset uuid, p_type text, p_mode text DEFAULT NULL, p_profile text DEFAULT NULL)"
_USER_RUN_ON = """
        (SELECT u.run_id FROM runs u
         WHERE u.asset_id = p_asset AND u.artifact_type = p_type AND u.status = 'completed'
           AND u.producer = 'user' AND u.config->>'base_run_id' = m.run_id::text
         ORDER BY u.finished_at DESC, u.run_id DESC LIMIT 1),
        m.run_id"""
_STANDALONE = """,
        (SELECT u.run_id FROM runs u
         WHERE u.asset_id = p_asset AND u.artifact_type = p_type AND u.status = 'completed'
           AND u.producer = 'user' AND NOT (u.config ? 'base_run_id')
         ORDER BY u.finished_at DESC, u.run_id DESC LIMIT 1)"""


def _selected_run(standalone: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION eioku_selected_run{_SIGNATURE} RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT COALESCE({_USER_RUN_ON}{standalone})
    FROM (SELECT eioku_machine_run(p_asset, p_type, p_mode, p_profile) AS run_id) m
$$;
"""


UPGRADE = f"""
CREATE TABLE bookmarks (
    bookmark_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL REFERENCES videos (video_id) ON DELETE CASCADE,
    start_ms bigint NOT NULL CHECK (start_ms >= 0),
    end_ms bigint NOT NULL,
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    tags text[] NOT NULL DEFAULT '{{}}' CHECK (cardinality(tags) <= 20),
    author text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT ck_bookmarks_span CHECK (start_ms <= end_ms)
);
CREATE INDEX ix_bookmarks_asset ON bookmarks (asset_id, start_ms);

CREATE TABLE bookmark_notes (
    artifact_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    bookmark_id uuid NOT NULL,
    text text NOT NULL,
    tags text[] NOT NULL,
    tsv tsvector NOT NULL
);
CREATE INDEX ix_bookmark_notes_tsv ON bookmark_notes USING gin (tsv);
CREATE INDEX ix_bookmark_notes_run_start ON bookmark_notes (run_id, start_ms);

CREATE TABLE collections (
    collection_id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    query text CHECK (length(query) <= 2000),
    refreshed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE collection_items (
    item_id uuid PRIMARY KEY,
    collection_id uuid NOT NULL REFERENCES collections (collection_id) ON DELETE CASCADE,
    position integer NOT NULL CHECK (position >= 0),
    asset_id uuid NOT NULL REFERENCES videos (video_id) ON DELETE CASCADE,
    start_ms bigint NOT NULL CHECK (start_ms >= 0),
    end_ms bigint NOT NULL,
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    bookmark_id uuid REFERENCES bookmarks (bookmark_id) ON DELETE SET NULL,
    from_query boolean NOT NULL DEFAULT false,
    added_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT ck_collection_items_span CHECK (start_ms <= end_ms),
    CONSTRAINT ux_collection_items_position UNIQUE (collection_id, position)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX ix_collection_items_asset ON collection_items (asset_id);

CREATE TABLE compilations (
    compilation_id uuid PRIMARY KEY,
    title text NOT NULL,
    moments jsonb NOT NULL,
    state text NOT NULL CHECK (state IN ('queued', 'running', 'ready', 'failed')),
    progress double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    error text,
    file_name text,
    size_bytes bigint,
    duration_ms bigint,
    copied integer,
    encoded integer,
    job_id bigint,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE server_secrets (
    name text PRIMARY KEY,
    secret bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
{_selected_run(_STANDALONE)}
"""

DOWNGRADE = f"""
{_selected_run("")}
DELETE FROM bookmark_notes;
DELETE FROM runs WHERE producer = 'user' AND artifact_type = 'bookmark';
DROP TABLE IF EXISTS server_secrets, compilations, collection_items, collections, bookmark_notes,
    bookmarks;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
