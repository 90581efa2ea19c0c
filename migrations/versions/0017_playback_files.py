"""Playback files: remuxes and proxies of videos a browser cannot play as they are.

One row per (video, audio track) that needs a prepared file
(``eioku.media.playability``): its mode (``remux`` or ``proxy``), where it
stands (``queued``, ``running``, ``ready``, ``failed``, with progress and the
reason of a failure), the file's name under ``<data dir>/playback`` and its
size, the content hash of the original it was made from (a file whose
content changed needs a new one) and the job making it. Deleting a video
deletes its rows; the service deletes the files.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-25
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE playback_files (
    video_id uuid NOT NULL REFERENCES videos(video_id) ON DELETE CASCADE,
    audio_track integer NOT NULL CHECK (audio_track >= 0),
    mode text NOT NULL CHECK (mode IN ('remux', 'proxy')),
    state text NOT NULL CHECK (state IN ('queued', 'running', 'ready', 'failed')),
    progress double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    reason text,
    error text,
    file_name text,
    size_bytes bigint,
    source_hash text NOT NULL,
    encoder text,
    job_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (video_id, audio_track)
)""")
    op.execute("CREATE INDEX playback_files_state ON playback_files (state)")


def downgrade() -> None:
    op.execute("DROP TABLE playback_files")
