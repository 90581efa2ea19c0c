"""Library-wide face identities.

A faces run clusters its detections within one video. When the run is
written, each cluster's mean embedding joins the nearest identity of the same
embedding model if it lies within ``threshold`` (Euclidean distance), or
starts a new identity; the identity's centroid becomes the running mean of
every face that joined it. ``cluster_id`` in the artifacts is the identity,
so "next time this face appears" works across videos.

Matching runs under a transaction-level advisory lock, so two workers
finishing videos of the same new person at once cannot create it twice.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.errors import ValidationFailedError

IDENTITY_LOCK_KEY = 0x45494F4B  # "EIOK": serialises identity assignment


@dataclass(frozen=True)
class FaceIdentity:
    identity_id: str
    embedding_model: str
    centroid: list[float]
    faces: int


def _mean(vectors: Sequence[Sequence[float]]) -> list[float]:
    n = len(vectors)
    return [sum(column) / n for column in zip(*vectors, strict=True)]


def _distance(a: Sequence[float], b: Sequence[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


class FaceIdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, embedding_model: str | None = None) -> list[FaceIdentity]:
        rows = self.session.execute(text(
            "SELECT identity_id, embedding_model, centroid, faces FROM face_identities "
            "WHERE (CAST(:m AS text) IS NULL OR embedding_model = :m) AND merged_into IS NULL "
            "ORDER BY created_at, identity_id"),
            {"m": embedding_model}).all()
        return [FaceIdentity(r.identity_id, r.embedding_model, list(r.centroid), r.faces) for r in rows]

    def assign(self, embedding_model: str, clusters: Mapping[str, Sequence[Sequence[float]]],
               threshold: float, run_id: uuid.UUID | None = None) -> dict[str, str]:
        """Map each local cluster (the embeddings of its faces) to an identity id.
        With ``run_id`` (the faces run being written) the faces are recorded as
        that run's members and the centroids of every identity this video
        touches are recomputed from the faces currently assigned to them."""
        if not clusters:
            return {}
        dims = {len(v) for vectors in clusters.values() for v in vectors}
        if len(dims) != 1 or not all(clusters.values()):
            raise ValidationFailedError("face clusters need non-empty embeddings of one length",
                                        field="embedding")
        self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IDENTITY_LOCK_KEY})
        known = [i for i in self.list(embedding_model) if len(i.centroid) in dims]
        mapping: dict[str, str] = {}
        # larger clusters first: they have the most reliable means
        for local, vectors in sorted(clusters.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            mean = _mean(vectors)
            best, distance = min(((i, _distance(i.centroid, mean)) for i in known),
                                 key=lambda pair: pair[1], default=(None, math.inf))
            if best is not None and distance <= threshold:
                faces = best.faces + len(vectors)
                centroid = [(c * best.faces + m * len(vectors)) / faces
                            for c, m in zip(best.centroid, mean, strict=True)]
                self.session.execute(text(
                    "UPDATE face_identities SET centroid = :c, faces = :f, updated_at = now() "
                    "WHERE identity_id = :i"), {"c": centroid, "f": faces, "i": best.identity_id})
                known[known.index(best)] = FaceIdentity(best.identity_id, embedding_model,
                                                        centroid, faces)
                mapping[local] = best.identity_id
            else:
                identity_id = self.session.execute(text(
                    "INSERT INTO face_identities (identity_id, embedding_model, centroid, faces) "
                    "VALUES ('person-' || nextval('face_identity_seq'), :m, :c, :f) "
                    "RETURNING identity_id"),
                    {"m": embedding_model, "c": mean, "f": len(vectors)}).scalar_one()
                known.append(FaceIdentity(identity_id, embedding_model, mean, len(vectors)))
                mapping[local] = identity_id
        if run_id is not None:
            self._record(run_id, clusters, mapping)
        return mapping

    def _record(self, run_id: uuid.UUID, clusters: Mapping[str, Sequence[Sequence[float]]],
                mapping: Mapping[str, str]) -> None:
        members: dict[str, tuple[int, list[float]]] = {}
        for local, vectors in clusters.items():
            faces, total = members.get(mapping[local], (0, [0.0] * len(vectors[0])))
            members[mapping[local]] = (faces + len(vectors),
                                       [t + sum(col) for t, col in zip(total, zip(*vectors, strict=True),
                                                                       strict=True)])
        for identity_id, (faces, total) in members.items():
            self.session.execute(text(
                "INSERT INTO face_identity_members (run_id, identity_id, faces, total) "
                "VALUES (:r, :i, :f, :t)"), {"r": run_id, "i": identity_id, "f": faces, "t": total})
        touched = self.session.execute(text(  # this video's identities, this run's and earlier ones'
            "SELECT DISTINCT m.identity_id FROM face_identity_members m JOIN runs r USING (run_id) "
            "WHERE r.asset_id = (SELECT asset_id FROM runs WHERE run_id = :r)"), {"r": run_id}).scalars()
        recompute_centroids(self.session, list(touched))



# the faces that count: each video's newest faces run that has not failed
_CURRENT_MEMBERS = """
    SELECT COALESCE(fi.merged_into, m.identity_id) AS identity_id, m.faces, m.total
    FROM face_identity_members m
    JOIN face_identities fi ON fi.identity_id = m.identity_id
    JOIN runs r ON r.run_id = m.run_id
    WHERE r.run_id = (SELECT n.run_id FROM runs n WHERE n.asset_id = r.asset_id
                      AND n.artifact_type = r.artifact_type
                      AND n.status NOT IN ('failed', 'canceled')
                      AND EXISTS (SELECT 1 FROM face_identity_members x WHERE x.run_id = n.run_id)
                      ORDER BY n.created_at DESC, n.run_id DESC LIMIT 1)
"""


def recompute_centroids(session: Session, identity_ids: list[str]) -> None:
    """Set each identity's centroid (and face count) to the mean of the faces
    currently assigned to it (merged identities count for the one they joined).
    An identity with no recorded faces keeps what it has."""
    if not identity_ids:
        return
    canonical = session.execute(text(
        "SELECT DISTINCT COALESCE(merged_into, identity_id) FROM face_identities "
        "WHERE identity_id = ANY(:i)"), {"i": identity_ids}).scalars().all()
    rows = session.execute(text(
        f"SELECT identity_id, faces, total FROM ({_CURRENT_MEMBERS}) c "
        "WHERE identity_id = ANY(:i)"), {"i": list(canonical)}).all()
    sums: dict[str, tuple[int, list[float]]] = {}
    for identity_id, faces, total in rows:
        count, acc = sums.get(identity_id, (0, [0.0] * len(total)))
        sums[identity_id] = (count + faces, [a + t for a, t in zip(acc, total, strict=True)])
    for identity_id, (count, acc) in sums.items():
        session.execute(text(
            "UPDATE face_identities SET centroid = :c, faces = :f, updated_at = now() "
            "WHERE identity_id = :i"), {"c": [a / count for a in acc], "f": count, "i": identity_id})


def identities_of_video(session: Session, asset_id: uuid.UUID) -> list[str]:
    return list(session.execute(text(
        "SELECT DISTINCT m.identity_id FROM face_identity_members m JOIN runs r USING (run_id) "
        "WHERE r.asset_id = :a"), {"a": asset_id}).scalars())
