"""Library-wide face identities, and what feeds them.

A faces run clusters its detections within one video. When the run is
written, each cluster's mean embedding joins the nearest identity of the same
embedding model if it lies within ``threshold`` (Euclidean distance), or
starts a new identity. ``cluster_id`` in the artifacts is the identity, so
"next time this face appears" works across videos. An identity merged into
another (``eioku.store.people``) still takes the faces nearest its own: they
are recorded as its own and shown as the person it joined, so an unmerge
later splits them the same way.

Lifecycle. An identity's own faces (``own_faces``, ``own_total``: the count
and the sum of the embeddings) are those of each video's current faces run
(``face_identity_members``: the newest run that has not failed), so a re-run
of a video replaces its faces and deleting a video takes them out. A row's
``faces`` and ``centroid`` are always summed from own faces: a merged
identity's own, a surviving identity's own plus everyone's merged into it.
An identity with no face of its own left — and, for a survivor, nobody with
faces merged into it — is forgotten at once: its row, its name, its merge
records and its recorded faces go, and a new face like it starts a new
person. Faces of older runs that named it keep the id as a plain label.

Matching runs under a transaction-level advisory lock, so two workers
finishing videos of the same new person at once cannot create it twice;
everything that changes faces takes the same lock.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.errors import ValidationFailedError
from eioku.store.projections import ProjectionWriter

IDENTITY_LOCK_KEY = 0x45494F4B  # "EIOK": serialises identity assignment


@dataclass(frozen=True)
class FaceIdentity:
    identity_id: str
    embedding_model: str
    centroid: list[float]
    faces: int


@dataclass(frozen=True)
class Faces:
    """A number of faces and the sum of their embeddings: adds exactly."""

    count: int
    total: tuple[float, ...]

    def __add__(self, other: Faces) -> Faces:
        if not self.total or not other.total:
            return Faces(self.count + other.count, self.total or other.total)
        return Faces(self.count + other.count,
                     tuple(a + b for a, b in zip(self.total, other.total, strict=True)))

    @property
    def mean(self) -> list[float]:
        return [t / self.count for t in self.total]


NO_FACES = Faces(0, ())


def _mean(vectors: Sequence[Sequence[float]]) -> list[float]:
    n = len(vectors)
    return [sum(column) / n for column in zip(*vectors, strict=True)]


def _distance(a: Sequence[float], b: Sequence[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


def _sum(vectors: Sequence[Sequence[float]]) -> Faces:
    return Faces(len(vectors), tuple(sum(column) for column in zip(*vectors, strict=True)))


class FaceIdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, embedding_model: str | None = None) -> list[FaceIdentity]:
        """People as matching and the API see them: surviving identities, each
        with the faces of everyone merged into it."""
        rows = self.session.execute(text(
            "SELECT identity_id, embedding_model, centroid, faces FROM face_identities "
            "WHERE (CAST(:m AS text) IS NULL OR embedding_model = :m) AND merged_into IS NULL "
            "ORDER BY created_at, identity_id"),
            {"m": embedding_model}).all()
        return [FaceIdentity(r.identity_id, r.embedding_model, list(r.centroid), r.faces) for r in rows]

    def assign(self, embedding_model: str, clusters: Mapping[str, Sequence[Sequence[float]]],
               threshold: float, run_id: uuid.UUID | None = None) -> dict[str, str]:
        """Map each local cluster (the embeddings of its faces) to an identity id:
        the one whose own faces lie nearest (merged identities too), or a new one.
        With ``run_id`` (the faces run being written) the faces are recorded as
        that run's members and the own faces of every identity this video
        touches are counted again from the records (see "Lifecycle")."""
        if not clusters:
            return {}
        dims = {len(v) for vectors in clusters.values() for v in vectors}
        if len(dims) != 1 or not all(clusters.values()):
            raise ValidationFailedError("face clusters need non-empty embeddings of one length",
                                        field="embedding")
        self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IDENTITY_LOCK_KEY})
        known = {r.identity_id: Faces(r.own_faces, tuple(r.own_total)) for r in self.session.execute(text(
            "SELECT identity_id, own_faces, own_total FROM face_identities "
            "WHERE embedding_model = :m AND own_faces > 0 AND cardinality(own_total) = ANY(:d) "
            "ORDER BY created_at, identity_id"), {"m": embedding_model, "d": list(dims)})}
        mapping: dict[str, str] = {}
        # larger clusters first: they have the most reliable means
        for local, vectors in sorted(clusters.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            mean = _mean(vectors)
            best, distance = min(((i, _distance(f.mean, mean)) for i, f in known.items()),
                                 key=lambda pair: pair[1], default=(None, math.inf))
            if best is not None and distance <= threshold:
                known[best] = known[best] + _sum(vectors)
                mapping[local] = best
            else:
                identity_id = self.session.execute(text(
                    "INSERT INTO face_identities (identity_id, embedding_model, centroid, faces, "
                    "own_faces, own_total) VALUES ('person-' || nextval('face_identity_seq'), "
                    ":m, :c, :f, :f, :t) RETURNING identity_id"),
                    {"m": embedding_model, "c": mean, "f": len(vectors),
                     "t": list(_sum(vectors).total)}).scalar_one()
                known[identity_id] = _sum(vectors)
                mapping[local] = identity_id
        joined = sorted(set(mapping.values()))
        for identity_id in joined:
            set_own_faces(self.session, identity_id, known[identity_id])
        if run_id is not None:
            self._record(run_id, clusters, mapping)
        else:
            refresh_groups(self.session, joined)
        return mapping

    def _record(self, run_id: uuid.UUID, clusters: Mapping[str, Sequence[Sequence[float]]],
                mapping: Mapping[str, str]) -> None:
        members: dict[str, Faces] = {}
        for local, vectors in clusters.items():
            members[mapping[local]] = members.get(mapping[local], NO_FACES) + _sum(vectors)
        for identity_id, faces in members.items():
            self.session.execute(text(
                "INSERT INTO face_identity_members (run_id, identity_id, faces, total) "
                "VALUES (:r, :i, :f, :t)"),
                {"r": run_id, "i": identity_id, "f": faces.count, "t": list(faces.total)})
        touched = self.session.execute(text(  # this video's identities, this run's and earlier ones'
            "SELECT DISTINCT m.identity_id FROM face_identity_members m JOIN runs r USING (run_id) "
            "WHERE r.asset_id = (SELECT asset_id FROM runs WHERE run_id = :r)"), {"r": run_id}).scalars()
        recompute_centroids(self.session, list(touched))


# the faces that count: each video's newest faces run that has not failed
_CURRENT_MEMBERS = """
    SELECT m.identity_id, m.faces, m.total
    FROM face_identity_members m
    JOIN runs r ON r.run_id = m.run_id
    WHERE r.run_id = (SELECT n.run_id FROM runs n WHERE n.asset_id = r.asset_id
                      AND n.artifact_type = r.artifact_type
                      AND n.status NOT IN ('failed', 'canceled')
                      AND EXISTS (SELECT 1 FROM face_identity_members x WHERE x.run_id = n.run_id)
                      ORDER BY n.created_at DESC, n.run_id DESC LIMIT 1)
"""


def recompute_centroids(session: Session, identity_ids: list[str]) -> list[str]:
    """After faces of these identities came or went (a faces run written or
    failed, a video deleted): count their own faces again from the current
    runs, forget whoever has none left, and sum the rows of their people
    again. Returns the identities forgotten."""
    if not identity_ids:
        return []
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IDENTITY_LOCK_KEY})
    rows = session.execute(text(
        "SELECT identity_id, COALESCE(merged_into, identity_id) FROM face_identities "
        "WHERE identity_id = ANY(:i)"), {"i": identity_ids}).all()
    existing, people = [r[0] for r in rows], sorted({r[1] for r in rows})
    own = dict.fromkeys(existing, NO_FACES)
    for identity_id, faces, total in session.execute(text(
            f"SELECT identity_id, faces, total FROM ({_CURRENT_MEMBERS}) c "
            "WHERE identity_id = ANY(:i)"), {"i": existing}).all():
        own[identity_id] = own[identity_id] + Faces(faces, tuple(total))
    for identity_id, faces in own.items():
        set_own_faces(session, identity_id, faces)
    forgotten = forget_faceless(session, existing)
    refresh_groups(session, people)  # (the people forgotten have no row left to sum)
    return forgotten


def set_own_faces(session: Session, identity_id: str, faces: Faces) -> None:
    session.execute(text(
        "UPDATE face_identities SET own_faces = :f, own_total = :t, updated_at = now() "
        "WHERE identity_id = :i"), {"f": faces.count, "t": list(faces.total), "i": identity_id})


def refresh_groups(session: Session, identity_ids: list[str]) -> None:
    """Sum the rows of these identities' people from own faces: a merged row
    holds its own faces, a surviving row its own plus its members'."""
    rows = session.execute(text(
        "SELECT identity_id, merged_into, own_faces, own_total FROM face_identities "
        "WHERE COALESCE(merged_into, identity_id) IN (SELECT COALESCE(merged_into, identity_id) "
        "FROM face_identities WHERE identity_id = ANY(:i))"), {"i": identity_ids}).all()
    groups: dict[str, Faces] = {}
    for row in rows:
        own = Faces(row.own_faces, tuple(row.own_total))
        canon = row.merged_into or row.identity_id
        groups[canon] = groups.get(canon, NO_FACES) + own
        if row.merged_into is not None:
            _set_row(session, row.identity_id, own)
    for canon, faces in groups.items():
        _set_row(session, canon, faces)


def _set_row(session: Session, identity_id: str, faces: Faces) -> None:
    if faces.count > 0:  # (none: only a person about to be forgotten, see forget_faceless)
        session.execute(text(
            "UPDATE face_identities SET faces = :f, centroid = :c, updated_at = now() "
            "WHERE identity_id = :i"), {"f": faces.count, "c": faces.mean, "i": identity_id})


def forget_faceless(session: Session, identity_ids: list[str]) -> list[str]:
    """Forget the people of these identities who have no face left: a merged
    identity with no face of its own, a survivor with none of its own and
    nobody with faces merged into it (with everyone merged into it). Faces of
    older runs that named them are projected under the bare id again."""
    forgotten = list(session.execute(text(
        "WITH g AS (SELECT DISTINCT COALESCE(merged_into, identity_id) AS canon "
        "           FROM face_identities WHERE identity_id = ANY(:i)) "
        "SELECT x.identity_id FROM face_identities x JOIN g "
        "ON COALESCE(x.merged_into, x.identity_id) = g.canon WHERE x.own_faces = 0 "
        "AND (x.merged_into IS NOT NULL OR NOT EXISTS (SELECT 1 FROM face_identities y "
        "     WHERE y.merged_into = g.canon AND y.own_faces > 0))"), {"i": identity_ids}).scalars())
    if not forgotten:
        return []
    runs = session.execute(text(
        "UPDATE face_clusters p SET cluster_id = a.payload->>'cluster_id' FROM artifacts a "
        "WHERE p.cluster_id IN (SELECT COALESCE(merged_into, identity_id) FROM face_identities "
        "                       WHERE identity_id = ANY(:f)) "
        "AND a.artifact_id = p.artifact_id AND a.payload->>'cluster_id' = ANY(:f) "
        "RETURNING p.run_id"), {"f": forgotten}).scalars().all()
    for sql in ("DELETE FROM people_merges WHERE source_id = ANY(:f)",
                "UPDATE people_merges SET target_id = NULL WHERE target_id = ANY(:f)",
                "DELETE FROM face_identity_members WHERE identity_id = ANY(:f)",
                "DELETE FROM face_identities WHERE identity_id = ANY(:f)"):
        session.execute(text(sql), {"f": forgotten})
    projections = ProjectionWriter(session)
    for run_id in session.execute(text(
            "SELECT run_id FROM runs WHERE run_id = ANY(:r) AND status = 'completed'"),
            {"r": list(set(runs))}).scalars():
        projections.refresh_appearances(run_id, "face.detection")
    return forgotten


def identities_of_video(session: Session, asset_id: uuid.UUID) -> list[str]:
    return list(session.execute(text(
        "SELECT DISTINCT m.identity_id FROM face_identity_members m JOIN runs r USING (run_id) "
        "WHERE r.asset_id = :a"), {"a": asset_id}).scalars())
