"""Chinese, Japanese and Korean characters are words of their own in full text.

These scripts put no spaces between words, and the parser took a whole run
of such characters for one word, so "東京" was not found in "東京タワーに行き
ました". From here on the stored tsvector has a space either side of each
such character (``eioku.store.projections.spaced_sql``) and a query's run
becomes the phrase of its characters (``fts_query``). This re-indexes the
transcript and on-screen text rows that hold any; others are unchanged.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# the character class of eioku.store.projections.CJK, as it was at this revision
_CJK = (r"\u3005-\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
        r"\uff66-\uff9f\U00020000-\U0002fa1f")


def _reindex(spaced: bool) -> None:
    words = rf"regexp_replace(text, '([{_CJK}])', ' \1 ', 'g')" if spaced else "text"
    for table in ("transcript_fts", "ocr_fts"):
        op.execute(f"UPDATE {table} SET tsv = to_tsvector('simple', {words}) "
                   f"WHERE text ~ '[{_CJK}]'")


def upgrade() -> None:
    _reindex(spaced=True)


def downgrade() -> None:
    _reindex(spaced=False)
