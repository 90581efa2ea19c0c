"""Bookmarks and the user run made of them (migration 0027).

A bookmark is a row of ``bookmarks``: a point or a range of a video, a note,
tags, who and when. The bookmarks of a video are written out as one completed
run of producer ``user`` and type ``bookmark`` (config ``{"bookmarks": n}``,
no ``base_run_id``: it stands on no machine run), one artifact per bookmark
(id ``md5(run || bookmark)``), projected into ``bookmark_notes``. Like the
corrections' runs it is derived data, made again in the transaction of every
change (:meth:`BookmarkStore.rebuild`). No analyzer writes this type, so a
re-analysis leaves bookmarks as they are; deleting the video deletes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.enums import ArtifactType, RunStatus
from eioku.store.corrections import USER
from eioku.store.projections import BY_TYPE, ProjectionWriter

BOOKMARK = ArtifactType.BOOKMARK.value
USER_VERSION = "1"
_COLUMNS = "bookmark_id, asset_id, start_ms, end_ms, note, tags, author, created_at, updated_at"

_WRITE_SQL = """
INSERT INTO artifacts (artifact_id, asset_id, artifact_type, schema_version, span_start_ms,
                       span_end_ms, payload, producer, producer_version, model_profile,
                       config_hash, input_hash, run_id)
SELECT md5(CAST(:run AS text) || b.bookmark_id::text)::uuid, b.asset_id, :t, 1, b.start_ms, b.end_ms,
       jsonb_build_object('bookmark_id', b.bookmark_id::text, 'note', b.note,
                          'tags', to_jsonb(b.tags), 'author', b.author),
       u.producer, u.producer_version, u.model_profile, u.config_hash, u.input_hash, u.run_id
FROM bookmarks b JOIN runs u ON u.run_id = :run
WHERE b.asset_id = :a
"""


@dataclass(frozen=True)
class Bookmark:
    bookmark_id: uuid.UUID
    asset_id: uuid.UUID
    start_ms: int
    end_ms: int
    note: str
    tags: list[str]
    author: str
    created_at: datetime
    updated_at: datetime


def _bookmark(row: Any) -> Bookmark:
    return Bookmark(**{**row._mapping, "tags": list(row.tags)})


class BookmarkStore:
    def __init__(self, session: Session, projections: ProjectionWriter | None = None) -> None:
        self.session = session
        self.projections = projections or ProjectionWriter(session)

    def add(self, *, asset_id: uuid.UUID, start_ms: int, end_ms: int, note: str, tags: list[str],
            author: str) -> Bookmark:
        row = self.session.execute(text(
            f"INSERT INTO bookmarks (bookmark_id, asset_id, start_ms, end_ms, note, tags, author) "
            f"VALUES (:id, :a, :s, :e, :note, :tags, :author) RETURNING {_COLUMNS}"),
            {"id": uuid.uuid4(), "a": asset_id, "s": start_ms, "e": end_ms, "note": note,
             "tags": tags, "author": author}).one()
        return _bookmark(row)

    def get(self, bookmark_id: uuid.UUID) -> Bookmark | None:
        row = self.session.execute(text(f"SELECT {_COLUMNS} FROM bookmarks WHERE bookmark_id = :id"),
                                   {"id": bookmark_id}).one_or_none()
        return _bookmark(row) if row else None

    def update(self, bookmark_id: uuid.UUID, changes: dict[str, Any]) -> Bookmark | None:
        allowed = {k: v for k, v in changes.items() if k in ("start_ms", "end_ms", "note", "tags")}
        sets = ", ".join(f"{k} = :{k}" for k in allowed)
        row = self.session.execute(text(
            f"UPDATE bookmarks SET {sets + ', ' if sets else ''}updated_at = clock_timestamp() "
            f"WHERE bookmark_id = :id RETURNING {_COLUMNS}"), {**allowed, "id": bookmark_id}
        ).one_or_none()
        return _bookmark(row) if row else None

    def delete(self, bookmark_id: uuid.UUID) -> Bookmark | None:
        row = self.session.execute(text(
            f"DELETE FROM bookmarks WHERE bookmark_id = :id RETURNING {_COLUMNS}"),
            {"id": bookmark_id}).one_or_none()
        return _bookmark(row) if row else None

    def list(self, *, asset_id: uuid.UUID | None = None, tag: str | None = None,
             limit: int = 200, offset: int = 0) -> list[Bookmark]:
        rows = self.session.execute(text(
            f"SELECT {_COLUMNS} FROM bookmarks "
            "WHERE (CAST(:a AS uuid) IS NULL OR asset_id = :a) "
            "AND (CAST(:tag AS text) IS NULL OR lower(:tag) = ANY (SELECT lower(t) FROM unnest(tags) t)) "
            "ORDER BY asset_id, start_ms, created_at, bookmark_id LIMIT :limit OFFSET :offset"),
            {"a": asset_id, "tag": tag, "limit": limit, "offset": offset})
        return [_bookmark(r) for r in rows]

    # ---- the user run -------------------------------------------------------
    def run_id(self, asset_id: uuid.UUID) -> uuid.UUID | None:
        return self.session.execute(  # type: ignore[no-any-return]
            text("SELECT eioku_selected_run(:a, :t)"), {"a": asset_id, "t": BOOKMARK}).scalar_one()

    def rebuild(self, asset_id: uuid.UUID) -> uuid.UUID | None:
        """Write the video's bookmarks as its one user run of type bookmark (the
        run's id; None when it has no bookmarks). One rebuild of a video at a time."""
        from eioku.store.runs import RunRepository  # runs.py imports the corrections store

        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                             {"k": f"eioku.bookmarks:{asset_id}"})
        old = list(self.session.execute(text(
            "SELECT run_id FROM runs WHERE asset_id = :a AND artifact_type = :t AND producer = :u"),
            {"a": asset_id, "t": BOOKMARK, "u": USER}).scalars())
        if old:
            self.session.execute(text(f"DELETE FROM {BY_TYPE[BOOKMARK].table} WHERE run_id = ANY(:ids)"),
                                 {"ids": old})
            self.session.execute(text("DELETE FROM runs WHERE run_id = ANY(:ids)"), {"ids": old})
        count = self.session.execute(text("SELECT count(*) FROM bookmarks WHERE asset_id = :a"),
                                     {"a": asset_id}).scalar_one()
        if not count:
            return None
        runs = RunRepository(self.session, self.projections)
        run = runs.create(asset_id=asset_id, artifact_type=BOOKMARK, producer=USER, analyzer=USER,
                          producer_version=USER_VERSION, model_profile="balanced",
                          input_hash=f"bookmarks:{asset_id}", status=RunStatus.RUNNING,
                          config={"bookmarks": count})
        self.session.execute(text(_WRITE_SQL), {"run": str(run.run_id), "t": BOOKMARK, "a": asset_id})
        self.projections.project_run(run.run_id, {BOOKMARK})
        runs.complete(run.run_id)
        return run.run_id
