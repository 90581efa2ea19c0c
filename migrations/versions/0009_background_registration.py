"""Registration by path hashes large files in the background.

A video registered by path whose file is large is stored at once with status
``registering`` and no content hash; the hash is computed after the request
answers. Concurrent registrations of one path while it hashes find the same
row (a unique index on the path of registering rows). Analysis asked for
meanwhile waits in ``pending_analysis``. When the content turns out to be a
video already in the library, the new row is dropped and its id becomes an
alias of the existing video (``video_aliases``), so the id the client got
keeps working. A file that cannot be read ends ``unreadable`` with ``error``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
ALTER TABLE videos ALTER COLUMN content_hash DROP NOT NULL;
ALTER TABLE videos ADD COLUMN error text;
ALTER TABLE videos ADD COLUMN pending_analysis jsonb;
ALTER TABLE videos ADD CONSTRAINT ck_videos_hashed
    CHECK (content_hash IS NOT NULL OR status IN ('registering', 'unreadable'));
CREATE UNIQUE INDEX ux_videos_registering_path ON videos (path) WHERE status = 'registering';
CREATE TABLE video_aliases (
    alias_id uuid PRIMARY KEY,
    video_id uuid NOT NULL REFERENCES videos (video_id) ON DELETE CASCADE
);
CREATE INDEX ix_video_aliases_video ON video_aliases (video_id);
""")


def downgrade() -> None:
    op.execute("""
DROP TABLE IF EXISTS video_aliases;
DROP INDEX IF EXISTS ux_videos_registering_path;
ALTER TABLE videos DROP CONSTRAINT IF EXISTS ck_videos_hashed;
DELETE FROM videos WHERE content_hash IS NULL;
ALTER TABLE videos DROP COLUMN IF EXISTS pending_analysis;
ALTER TABLE videos DROP COLUMN IF EXISTS error;
ALTER TABLE videos ALTER COLUMN content_hash SET NOT NULL;
""")
