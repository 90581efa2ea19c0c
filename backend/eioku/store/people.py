"""People: library-wide face identities as users see them — named, merged,
unmerged, and where they are seen.

A merge points the source identity (and anything merged into it before) at
the target and rewrites the ``face_clusters`` projection rows of the source
to the target; the face artifacts keep the identity they were written with.
``people_merges`` records each merge (the name and who moved along), so an
unmerge restores them and re-projects the affected rows.

Face counts and centroids are sums of each identity's own faces
(``eioku.store.faces``, "Lifecycle"), so a merge or an unmerge only says who
belongs to whom and sums again: nothing is subtracted, and videos deleted or
analysed again in between cannot make the counts disagree. A person left
with no face is forgotten; a name freed meanwhile may be taken by someone
else, and an unmerge then brings the source back without it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.errors import ConflictError, PersonNotFoundError, ValidationFailedError
from eioku.store.faces import IDENTITY_LOCK_KEY, forget_faceless, refresh_groups
from eioku.store.projections import ProjectionWriter

# a reference to a person inside SQL: an identity id, a merged-away id or a name
# (case-insensitive) -> the canonical identity; anything else is used as given
PERSON_SQL = ("COALESCE((SELECT COALESCE(fi.merged_into, fi.identity_id) FROM face_identities fi "
              "WHERE fi.identity_id = :{p} OR lower(fi.name) = lower(:{p}) "
              "ORDER BY fi.identity_id = :{p} DESC LIMIT 1), :{p})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Person:
    identity_id: str
    name: str | None
    embedding_model: str
    faces: int
    merged_into: str | None
    merged: list[str]  # identities merged into this one


@dataclass(frozen=True)
class PersonSeen:
    """Where a person appears, under the selection policy of each video."""

    identity_id: str
    name: str | None
    videos: int
    appearances: int
    detections: int
    first_video_id: uuid.UUID
    first_ms: int


@dataclass(frozen=True)
class Appearance:
    """One appearance of a person in a video (the selected faces run's)."""

    video_id: uuid.UUID
    title: str
    duration_ms: int | None
    start_ms: int
    end_ms: int
    confidence: float
    detections: int


@dataclass(frozen=True)
class Merge:
    merge_id: int
    source_id: str
    target_id: str
    moved: list[str]


@dataclass(frozen=True)
class FaceSample:
    """The detection that best shows a person: where to cut their face from."""

    video_id: uuid.UUID
    path: str
    artifact_id: uuid.UUID
    time_ms: int
    bbox: dict[str, float]
    analysed_width: int | None


def clean_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(name.split())
    if not name:
        return None
    if len(name) > 100 or _CONTROL.search(name):
        raise ValidationFailedError("a name has 1 to 100 characters and no control characters",
                                    field="name")
    return name


class PeopleRepository:
    def __init__(self, session: Session, projections: ProjectionWriter) -> None:
        self.session = session
        self.projections = projections

    def get(self, identity_id: str) -> Person:
        row = self.session.execute(text(
            "SELECT identity_id, name, embedding_model, faces, merged_into, ARRAY(SELECT m.identity_id "
            "FROM face_identities m WHERE m.merged_into = fi.identity_id ORDER BY m.identity_id) "
            "AS merged FROM face_identities fi WHERE identity_id = :i"), {"i": identity_id}
        ).one_or_none()
        if row is None:
            raise PersonNotFoundError(
                f"no person {identity_id!r}: never seen, or forgotten when the last video showing "
                "them was deleted or analysed again without them (see GET /v1/people)")
        return Person(row.identity_id, row.name, row.embedding_model, row.faces, row.merged_into,
                      list(row.merged))

    def resolve(self, reference: str, follow_merges: bool = True) -> Person:
        """A person by id or name; a merged-away id resolves to the person it
        joined unless ``follow_merges`` is false."""
        if not follow_merges:
            identity_id = self.session.execute(text(
                "SELECT identity_id FROM face_identities WHERE identity_id = :r OR "
                "lower(name) = lower(:r) ORDER BY identity_id = :r DESC LIMIT 1"),
                {"r": reference}).scalar_one_or_none()
            return self.get(identity_id or reference)
        identity_id = self.session.execute(
            text("SELECT " + PERSON_SQL.format(p="ref")), {"ref": reference}).scalar_one()
        return self.get(identity_id)

    def rename(self, identity_id: str, name: str | None) -> Person:
        person = self.get(identity_id)
        if person.merged_into is not None:
            raise ConflictError(f"{identity_id} was merged into {person.merged_into}: "
                                f"rename {person.merged_into} instead")
        name = clean_name(name)
        if name is not None:
            clash = self.session.execute(text(
                "SELECT identity_id FROM face_identities WHERE identity_id <> :i "
                "AND (lower(name) = lower(:n) OR lower(identity_id) = lower(:n))"),
                {"i": identity_id, "n": name}).scalar_one_or_none()
            if clash is not None:
                raise ConflictError(f"the name {name!r} already belongs to {clash}")
        self.session.execute(text("UPDATE face_identities SET name = :n, updated_at = now() "
                                  "WHERE identity_id = :i"), {"n": name, "i": identity_id})
        return self.get(identity_id)

    def merge(self, source_id: str, target_id: str) -> Merge:
        """Merge ``source_id`` into ``target_id``: every face of the source (and of
        people merged into it) becomes the target's. Recorded; undo with unmerge."""
        self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IDENTITY_LOCK_KEY})
        source = self.resolve(source_id, follow_merges=False)
        target = self.resolve(target_id)
        if source.merged_into is not None:
            raise ConflictError(f"{source.identity_id} was already merged into {source.merged_into}: "
                                f"merge {source.merged_into} instead, or unmerge it first")
        if source.identity_id == target.identity_id:
            raise ValidationFailedError("a person cannot be merged into themselves", field="into")
        if source.embedding_model != target.embedding_model:
            raise ValidationFailedError(
                f"{source.identity_id} and {target.identity_id} come from different face models "
                f"({source.embedding_model}, {target.embedding_model}) and cannot be merged",
                field="into")
        merge_id = self.session.execute(text(
            "INSERT INTO people_merges (source_id, target_id, moved, source_name, source_centroid, "
            "source_faces, target_centroid, target_faces) SELECT s.identity_id, t.identity_id, "
            ":moved, s.name, s.centroid, s.faces, t.centroid, t.faces FROM face_identities s, "
            "face_identities t WHERE s.identity_id = :s AND t.identity_id = :t RETURNING merge_id"),
            {"s": source.identity_id, "t": target.identity_id, "moved": source.merged}).scalar_one()
        self.session.execute(text(
            "UPDATE face_identities SET merged_into = :t, name = NULL, updated_at = now() "
            "WHERE identity_id = :s OR merged_into = :s"),
            {"s": source.identity_id, "t": target.identity_id})
        self.session.execute(text(  # the target keeps its name if it has one
            "UPDATE face_identities SET name = COALESCE(name, :n), updated_at = now() "
            "WHERE identity_id = :t"), {"n": source.name, "t": target.identity_id})
        runs = self.session.execute(text(
            "UPDATE face_clusters SET cluster_id = :t WHERE cluster_id = :s RETURNING run_id"),
            {"s": source.identity_id, "t": target.identity_id}).scalars().all()
        # a source whose own videos are gone held only its members' faces: now it holds none
        forget_faceless(self.session, [source.identity_id])
        refresh_groups(self.session, [target.identity_id])
        self._refresh(set(runs))
        return Merge(merge_id, source.identity_id, target.identity_id, source.merged)

    def unmerge(self, identity_id: str) -> Merge:
        """Undo the merge that made ``identity_id`` part of another person. Its
        name comes back unless someone else took it meanwhile."""
        self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IDENTITY_LOCK_KEY})
        person = self.resolve(identity_id, follow_merges=False)
        identity_id = person.identity_id
        row = self.session.execute(text(
            "SELECT * FROM people_merges WHERE source_id = :s AND undone_at IS NULL "
            "ORDER BY merged_at DESC, merge_id DESC LIMIT 1"), {"s": identity_id}).one_or_none()
        if person.merged_into is None or row is None:
            raise ConflictError(f"{identity_id} is not merged into anyone")
        survivor = person.merged_into
        back = self.session.execute(text(  # who moved along and is still with the survivor
            "SELECT identity_id FROM face_identities WHERE identity_id = ANY(:moved) "
            "AND merged_into = :survivor ORDER BY identity_id"),
            {"moved": row.moved, "survivor": survivor}).scalars().all()
        self.session.execute(text(
            "UPDATE face_identities SET name = NULL, updated_at = now() "
            "WHERE identity_id = :survivor AND name = :n"), {"survivor": survivor, "n": row.source_name})
        self.session.execute(text(
            "UPDATE face_identities SET merged_into = NULL, updated_at = now(), name = CASE WHEN "
            "NOT EXISTS (SELECT 1 FROM face_identities o WHERE o.identity_id <> :s AND "
            "(lower(o.name) = lower(:n) OR lower(o.identity_id) = lower(:n))) THEN :n END "
            "WHERE identity_id = :s"),
            {"s": identity_id, "n": row.source_name})
        self.session.execute(text(
            "UPDATE face_identities SET merged_into = :s WHERE identity_id = ANY(:back)"),
            {"s": identity_id, "back": back})
        self.session.execute(text("UPDATE people_merges SET undone_at = now() WHERE merge_id = :m"),
                             {"m": row.merge_id})
        runs = self.session.execute(text(  # project the survivor's rows again from the artifacts
            "UPDATE face_clusters p SET cluster_id = COALESCE(fi.merged_into, fi.identity_id) "
            "FROM artifacts a JOIN face_identities fi ON fi.identity_id = a.payload->>'cluster_id' "
            "WHERE p.artifact_id = a.artifact_id AND p.cluster_id = :survivor "
            "AND COALESCE(fi.merged_into, fi.identity_id) <> :survivor RETURNING p.run_id"),
            {"survivor": survivor}).scalars().all()
        # a survivor whose own videos are gone and whose last member left: no face remains
        forget_faceless(self.session, [survivor])
        refresh_groups(self.session, [identity_id, survivor])
        self._refresh(set(runs))
        return Merge(row.merge_id, identity_id, survivor, list(row.moved))

    def merges(self, identity_id: str) -> list[dict[str, object]]:
        """The merge history that involves this person, newest first."""
        rows = self.session.execute(text(
            "SELECT merge_id, source_id, target_id, moved, merged_at, undone_at FROM people_merges "
            "WHERE source_id = :i OR target_id = :i ORDER BY merged_at DESC, merge_id DESC"),
            {"i": identity_id}).mappings().all()
        return [dict(r) for r in rows]

    def _refresh(self, run_ids: set[uuid.UUID]) -> None:
        completed = self.session.execute(text(
            "SELECT run_id FROM runs WHERE run_id = ANY(:r) AND status = 'completed'"),
            {"r": list(run_ids)}).scalars().all()
        for run_id in completed:
            self.projections.refresh_appearances(run_id, "face.detection")

    def seen(self, limit: int = 100, offset: int = 0) -> list[PersonSeen]:
        """People in the library, most widely seen first: the videos, appearances
        and detections of each person in the runs the selection policy picks."""
        rows = self.session.execute(text(
            "WITH a AS (SELECT fa.cluster_id, fa.asset_id, fa.start_ms, fa.detections, "
            "s.video_t AS t FROM selected_runs s JOIN face_appearances fa ON fa.run_id = s.run_id "
            "WHERE s.artifact_type = 'face.detection') "
            "SELECT a.cluster_id, min(fi.name) AS name, count(DISTINCT asset_id) AS videos, "
            "count(*) AS appearances, sum(detections) AS detections, "
            "(array_agg(asset_id ORDER BY a.t, asset_id, start_ms))[1] AS first_video_id, "
            "(array_agg(start_ms ORDER BY a.t, asset_id, start_ms))[1] AS first_ms "
            "FROM a LEFT JOIN face_identities fi ON fi.identity_id = a.cluster_id "
            "GROUP BY a.cluster_id ORDER BY videos DESC, appearances DESC, a.cluster_id "
            "LIMIT :limit OFFSET :offset"), {"limit": limit, "offset": offset}).all()
        return [PersonSeen(r.cluster_id, r.name, r.videos, r.appearances, int(r.detections),
                           r.first_video_id, r.first_ms) for r in rows]

    def appearances(self, identity_id: str, limit: int = 100,
                    offset: int = 0) -> tuple[list[Appearance], int, int]:
        """Every appearance of this person across the library, under each video's
        selection policy, in recording order then time; with how many there are
        and in how many videos."""
        selected = ("FROM selected_runs s JOIN face_appearances fa ON fa.run_id = s.run_id "
                    "WHERE s.artifact_type = 'face.detection' AND fa.cluster_id = :i")
        total, videos = self.session.execute(text(
            f"SELECT count(*), count(DISTINCT fa.asset_id) {selected}"), {"i": identity_id}).one()
        rows = self.session.execute(text(
            "SELECT fa.asset_id, v.filename, v.duration_ms, fa.start_ms, fa.end_ms, fa.confidence, "
            f"fa.detections {selected.replace('WHERE', 'JOIN videos v ON v.video_id = fa.asset_id WHERE')} "
            "ORDER BY s.video_t, fa.asset_id, fa.start_ms LIMIT :limit OFFSET :offset"),
            {"i": identity_id, "limit": limit, "offset": offset}).all()
        return [Appearance(r.asset_id, r.filename, r.duration_ms, r.start_ms, r.end_ms,
                           float(r.confidence), r.detections) for r in rows], total, videos

    def merged_names(self, identity_id: str) -> dict[str, str | None]:
        """Who is merged into this person now, with the name each had before."""
        rows = self.session.execute(text(
            "SELECT fi.identity_id, (SELECT pm.source_name FROM people_merges pm "
            "WHERE pm.source_id = fi.identity_id AND pm.undone_at IS NULL "
            "ORDER BY pm.merged_at DESC, pm.merge_id DESC LIMIT 1) AS name "
            "FROM face_identities fi WHERE fi.merged_into = :i ORDER BY fi.identity_id"),
            {"i": identity_id}).all()
        return {r.identity_id: r.name for r in rows}

    def names(self, identity_ids: list[str]) -> dict[str, str]:
        rows = self.session.execute(text(
            "SELECT identity_id, name FROM face_identities WHERE identity_id = ANY(:i) "
            "AND name IS NOT NULL"), {"i": identity_ids}).all()
        return {r.identity_id: r.name for r in rows}

    def best_face(self, identity_id: str) -> FaceSample | None:
        """The most confident, largest face of this person in a completed run."""
        row = self.session.execute(text(
            "SELECT v.video_id, v.path, a.artifact_id, a.span_start_ms, a.payload->'bbox' AS bbox, "
            "(r.config->>'width')::int AS width FROM face_clusters p "
            "JOIN artifacts a ON a.artifact_id = p.artifact_id "
            "JOIN runs r ON r.run_id = p.run_id AND r.status = 'completed' "
            "JOIN videos v ON v.video_id = p.asset_id WHERE p.cluster_id = :i "
            "ORDER BY p.confidence DESC, (a.payload->'bbox'->>'w')::float8 DESC, a.artifact_id "
            "LIMIT 1"), {"i": identity_id}).one_or_none()
        if row is None:
            return None
        return FaceSample(row.video_id, row.path, row.artifact_id, row.span_start_ms,
                          dict(row.bbox), row.width)
