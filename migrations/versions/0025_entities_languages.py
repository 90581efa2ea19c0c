"""Names, terms and languages as projections.

``entity_mentions``: one row per ``entity.mention`` artifact (a person,
organisation, place, date, amount or key term said or shown): ``label`` is
the lower-cased normalised name that ``jump?kind=entity&label=`` and the
library-wide terms list (``GET /v1/terms``) match on, ``name`` how it is
shown, ``entity_type``, the ``text`` as written and its ``source``
(transcript | ocr).

``text_languages``: one row per ``text.language`` artifact (the language
of one OCR line or transcript segment, ``of_artifact_id``), what search
reads to say a hit is not English.

Existing artifacts are projected here, as a rebuild would.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE entity_mentions (
    artifact_id uuid PRIMARY KEY,  -- no foreign key, like every projection
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    label text NOT NULL,
    name text NOT NULL,
    entity_type text NOT NULL,
    text text NOT NULL,
    source text NOT NULL,
    confidence double precision NOT NULL
);
CREATE INDEX ix_entity_mentions_run_label_start ON entity_mentions (run_id, label, start_ms);
CREATE INDEX ix_entity_mentions_run_start ON entity_mentions (run_id, start_ms);
CREATE INDEX ix_entity_mentions_run_type_label ON entity_mentions (run_id, entity_type, label);
INSERT INTO entity_mentions (artifact_id, asset_id, run_id, start_ms, end_ms, label, name,
                             entity_type, text, source, confidence)
SELECT a.artifact_id, a.asset_id, a.run_id, a.span_start_ms, a.span_end_ms,
       lower(a.payload->>'name'), a.payload->>'name', a.payload->>'type', a.payload->>'text',
       a.payload->>'source', (a.payload->>'confidence')::float8
FROM artifacts a WHERE a.artifact_type = 'entity.mention' AND a.schema_version = 1;

CREATE TABLE text_languages (
    artifact_id uuid PRIMARY KEY,
    asset_id uuid NOT NULL,
    run_id uuid NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    language text NOT NULL,
    source text NOT NULL,
    of_artifact_id uuid,
    confidence double precision NOT NULL
);
CREATE INDEX ix_text_languages_run_language_start ON text_languages (run_id, language, start_ms);
CREATE INDEX ix_text_languages_run_start ON text_languages (run_id, start_ms);
CREATE INDEX ix_text_languages_of_artifact ON text_languages (of_artifact_id);
INSERT INTO text_languages (artifact_id, asset_id, run_id, start_ms, end_ms, language, source,
                            of_artifact_id, confidence)
SELECT a.artifact_id, a.asset_id, a.run_id, a.span_start_ms, a.span_end_ms,
       a.payload->>'language', a.payload->>'source', (a.payload->>'of_artifact_id')::uuid,
       (a.payload->>'confidence')::float8
FROM artifacts a WHERE a.artifact_type = 'text.language' AND a.schema_version = 1;
"""

DOWNGRADE = "DROP TABLE IF EXISTS text_languages; DROP TABLE IF EXISTS entity_mentions;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
