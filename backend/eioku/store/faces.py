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
               threshold: float) -> dict[str, str]:
        """Map each local cluster (the embeddings of its faces) to an identity id."""
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
        return mapping
