"""Merged people keep their own faces only.

Until now a merged identity's row kept the face count and centroid it had
when it was merged, which included everyone merged into it before; undoing
merges out of order then subtracted some faces twice. From here on a merged
row holds its own faces and a surviving row its own plus its members'
(``eioku.store.people``). This converts the rows of merges still in place,
oldest first, so the people merged along with a source are already in the
new form when the source is converted.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from alembic import op
from sqlalchemy import text

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# merges still in place, oldest first, with the members that moved along and are still together
_ACTIVE = """
SELECT m.source_id, ARRAY(SELECT x.identity_id FROM face_identities x
                          WHERE x.identity_id = ANY(m.moved) AND x.merged_into = s.merged_into) AS moved
FROM people_merges m JOIN face_identities s ON s.identity_id = m.source_id
WHERE m.undone_at IS NULL AND s.merged_into IS NOT NULL
  AND m.merge_id = (SELECT max(l.merge_id) FROM people_merges l WHERE l.source_id = m.source_id)
ORDER BY m.merged_at {order}, m.merge_id {order}
"""


def _convert(sign: int, order: str) -> None:
    bind = op.get_bind()
    for source_id, moved in bind.execute(text(_ACTIVE.format(order=order))).all():
        rows = bind.execute(text("SELECT identity_id, faces, centroid FROM face_identities "
                                 "WHERE identity_id = ANY(:i)"), {"i": [source_id, *moved]}).all()
        count, total = 0, None
        for identity_id, faces, centroid in rows:
            factor = 1 if identity_id == source_id else sign
            count += factor * faces
            scaled = [factor * faces * c for c in centroid]
            total = scaled if total is None else [a + b for a, b in zip(total, scaled, strict=True)]
        if count > 0 and total is not None:  # otherwise the history was already inconsistent: left alone
            bind.execute(text("UPDATE face_identities SET faces = :f, centroid = :c "
                              "WHERE identity_id = :i"),
                         {"f": count, "c": [t / count for t in total], "i": source_id})


def upgrade() -> None:
    _convert(-1, "ASC")  # a source's own faces: its snapshot less its members' own faces


def downgrade() -> None:
    _convert(1, "DESC")  # back to the snapshot: its own faces plus its members'
