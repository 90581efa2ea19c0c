"""Voices: a speaker matched across videos (``voices``), the run speakers that
joined each (``voice_members``: a speakers run's label, its centroid voice
embedding and talk time), and the link of a voice to the person whose face is
on screen while it speaks (``voices.person_id``; ``link`` says who made it:
'auto' by the rule in docs/architecture.md, "Voices", or 'user'; a link a user
undid is remembered in ``refused_person`` and never made again by the rule).

A voice is merged into another like a person (``merged_into``), undone by
clearing it; names are unique, case-insensitive, like people's.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE voices (
    voice_id text PRIMARY KEY,
    name text,
    merged_into text REFERENCES voices (voice_id),
    person_id text,
    link text CHECK (link IN ('auto', 'user')),
    refused_person text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((person_id IS NULL) = (link IS NULL))
);
CREATE UNIQUE INDEX ux_voices_name ON voices (lower(name));
CREATE INDEX ix_voices_person ON voices (person_id);

CREATE TABLE voice_members (
    run_id uuid NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    speaker text NOT NULL,
    voice_id text NOT NULL REFERENCES voices (voice_id),
    asset_id uuid NOT NULL,
    centroid real[] NOT NULL,
    talk_ms bigint NOT NULL,
    PRIMARY KEY (run_id, speaker)
);
CREATE INDEX ix_voice_members_voice ON voice_members (voice_id);
"""

DOWNGRADE = "DROP TABLE IF EXISTS voice_members, voices;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
