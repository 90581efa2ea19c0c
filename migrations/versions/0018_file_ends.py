"""Registration's shortcut for an unchanged file also compares some content.

A large file registered again by path was taken for the registered video
when its size matched and it was not modified after the registration. A
dashcam or camera reusing names writes a different file with the same name,
the same size (fixed-length segments) and an older modification time (its
own clock, or a copy that keeps it). ``file_ends`` is a hash of the file's
size and its first and last MiB, taken when the file is registered; the
shortcut is taken only when the file still has it. Rows registered before
this revision have none, so their files are hashed again once.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE videos ADD COLUMN file_ends text")


def downgrade() -> None:
    op.execute("ALTER TABLE videos DROP COLUMN IF EXISTS file_ends")
