"""People keep their own faces in columns of their own; the faceless are forgotten.

``own_faces`` and ``own_total`` (the sum of the embeddings) are the faces
that joined one identity itself — from the faces runs that are current for
each video when they were recorded (``face_identity_members``), otherwise
what the row held. A row's ``faces``/``centroid`` stay what matching and the
API read: a merged identity's own faces, a surviving identity's own plus
those of everyone merged into it — but they are now always summed from the
own columns, never obtained by subtracting, so a video deleted or analysed
again between a merge and its undoing cannot make the counts disagree.

A merge record may outlive its target (a person forgotten once no face of
theirs remains), so ``people_merges.target_id`` may be NULL.

Nobody is forgotten here: an identity whose videos were all deleted before
this revision looks the same as one written before faces were recorded
(migration 0007), so both keep what their row held. From here on, an
identity is forgotten when its last face goes (``eioku.store.faces``,
"Lifecycle").

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""

from alembic import op
from sqlalchemy import text

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# the faces of each identity itself in each video's newest faces run that has not failed
_CURRENT = """
SELECT m.identity_id, m.faces, m.total FROM face_identity_members m JOIN runs r USING (run_id)
WHERE r.run_id = (SELECT n.run_id FROM runs n WHERE n.asset_id = r.asset_id
                  AND n.artifact_type = r.artifact_type AND n.status NOT IN ('failed', 'canceled')
                  AND EXISTS (SELECT 1 FROM face_identity_members x WHERE x.run_id = n.run_id)
                  ORDER BY n.created_at DESC, n.run_id DESC LIMIT 1)
"""


def _own_faces(bind) -> dict[str, tuple[int, list[float]]]:  # type: ignore[no-untyped-def]
    rows = bind.execute(text(
        "SELECT identity_id, merged_into, faces, centroid FROM face_identities")).all()
    recorded = set(bind.execute(text(
        "SELECT DISTINCT identity_id FROM face_identity_members")).scalars())
    own: dict[str, tuple[int, list[float]]] = {}
    for identity_id, _, faces, centroid in rows:  # what the row held (migration 0013's rule)
        own[identity_id] = (faces, [c * faces for c in centroid])
    for identity_id, merged_into, _, _ in rows:  # a survivor held its members' faces too
        if merged_into is not None and merged_into in own:
            faces, total = own[merged_into]
            member_faces, member_total = own[identity_id]
            own[merged_into] = (faces - member_faces,
                                [a - b for a, b in zip(total, member_total, strict=True)])
    for identity_id in recorded:
        own[identity_id] = (0, [])
    for identity_id, faces, total in bind.execute(text(_CURRENT)).all():
        count, acc = own[identity_id]
        own[identity_id] = (count + faces, [a + t for a, t in zip(acc or [0.0] * len(total), total,
                                                                  strict=True)])
    return {i: (f, t) if f > 0 else (0, []) for i, (f, t) in own.items()}


def upgrade() -> None:
    op.execute("""
ALTER TABLE face_identities
    ADD COLUMN own_faces integer NOT NULL DEFAULT 0 CHECK (own_faces >= 0),
    ADD COLUMN own_total double precision[] NOT NULL DEFAULT '{}';
ALTER TABLE people_merges ALTER COLUMN target_id DROP NOT NULL;
""")
    bind = op.get_bind()
    for identity_id, (faces, total) in _own_faces(bind).items():
        bind.execute(text("UPDATE face_identities SET own_faces = :f, own_total = :t "
                          "WHERE identity_id = :i"), {"f": faces, "t": total, "i": identity_id})
    # rows are the sums of their own columns (a group with no faces keeps what it held)
    bind.execute(text("""
UPDATE face_identities fi SET faces = s.faces, centroid = s.centroid
FROM (SELECT g.canon, sum(g.own_faces)::int AS faces,
             ARRAY(SELECT sum(e.v) / sum(x.own_faces) FROM face_identities x
                   CROSS JOIN LATERAL unnest(x.own_total) WITH ORDINALITY e(v, k)
                   WHERE COALESCE(x.merged_into, x.identity_id) = g.canon
                   GROUP BY e.k ORDER BY e.k) AS centroid
      FROM (SELECT COALESCE(merged_into, identity_id) AS canon, own_faces
            FROM face_identities) g GROUP BY g.canon) s
WHERE fi.identity_id = s.canon AND fi.merged_into IS NULL AND s.faces > 0
"""))
    bind.execute(text(
        "UPDATE face_identities SET faces = own_faces, centroid = ARRAY(SELECT v / own_faces "
        "FROM unnest(own_total) WITH ORDINALITY e(v, k) ORDER BY k) "
        "WHERE merged_into IS NOT NULL AND own_faces > 0"))


def downgrade() -> None:
    op.execute("""
DELETE FROM people_merges WHERE target_id IS NULL;
ALTER TABLE people_merges ALTER COLUMN target_id SET NOT NULL;
ALTER TABLE face_identities DROP COLUMN IF EXISTS own_total, DROP COLUMN IF EXISTS own_faces;
""")
