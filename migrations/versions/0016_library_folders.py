"""Library folders: folders kept in sync with the library.

``libraries`` holds each folder (its path, whether it is watched, exclude
globs, the profile and analyzers its videos are analysed with, paused or not)
and the progress of its current scan. ``library_files`` holds what the last
scan saw of each file (size, mtime in ns, inode), so a rescan where nothing
changed costs one ``stat`` per file and no hash; ``video_id`` is the video its
content is; ``gone_since`` is set when the file went away (its row stays, so a
video missing from a library is still counted there). ``library_leases`` is the one row per library that says which
server watches it, until when (renewed while it runs, taken over once
expired). A video whose every file is gone has ``missing_since`` set: it is
kept with its analysis and removed only on request or after a grace period.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-25
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE libraries (
    library_id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE,
    path text NOT NULL UNIQUE,
    watch boolean NOT NULL DEFAULT true,
    exclude text[] NOT NULL DEFAULT '{}',
    profile text NOT NULL DEFAULT 'balanced',
    analyzers text[],
    paused boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    scan_state text NOT NULL DEFAULT 'pending'
        CHECK (scan_state IN ('pending', 'scanning', 'idle', 'failed')),
    scan_found integer NOT NULL DEFAULT 0,
    scan_hashed integer NOT NULL DEFAULT 0,
    scan_queued integer NOT NULL DEFAULT 0,
    scan_started_at timestamptz,
    scanned_at timestamptz,
    scan_error text,
    rescan_requested_at timestamptz
);
CREATE TABLE library_files (
    library_id uuid NOT NULL REFERENCES libraries (library_id) ON DELETE CASCADE,
    rel_path text NOT NULL,
    size_bytes bigint NOT NULL,
    mtime_ns bigint NOT NULL,
    inode bigint NOT NULL,
    video_id uuid REFERENCES videos (video_id) ON DELETE SET NULL,
    kind text NOT NULL DEFAULT 'media' CHECK (kind IN ('media', 'subtitle')),
    error text,
    seen_at timestamptz NOT NULL DEFAULT now(),
    gone_since timestamptz,
    PRIMARY KEY (library_id, rel_path)
);
CREATE INDEX ix_library_files_video ON library_files (video_id);
CREATE INDEX ix_library_files_inode ON library_files (library_id, inode);
CREATE TABLE library_leases (
    library_id uuid PRIMARY KEY REFERENCES libraries (library_id) ON DELETE CASCADE,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL
);
ALTER TABLE videos ADD COLUMN missing_since timestamptz;
CREATE INDEX ix_videos_missing ON videos (missing_since) WHERE missing_since IS NOT NULL;
""")


def downgrade() -> None:
    op.execute("""
DROP INDEX IF EXISTS ix_videos_missing;
ALTER TABLE videos DROP COLUMN IF EXISTS missing_since;
DROP TABLE IF EXISTS library_leases;
DROP TABLE IF EXISTS library_files;
DROP TABLE IF EXISTS libraries;
""")
