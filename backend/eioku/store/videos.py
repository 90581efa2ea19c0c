"""Videos (assets): registered by path or upload, identified by content hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.db.steps import Fetch, Statement, Steps, run
from eioku.domain.errors import VideoNotFoundError
from eioku.domain.models import Video
from eioku.store.faces import identities_of_video, recompute_centroids
from eioku.store.projections import PROJECTIONS

_COLUMNS = ("video_id, path, filename, content_hash, size_bytes, duration_ms, recorded_at, "
            "created_at, status, error, missing_since")


# orders a list of videos can take ("-": the other way round); ties by id
SORTS = {
    "recorded": "COALESCE(recorded_at, created_at), video_id",
    "-recorded": "COALESCE(recorded_at, created_at) DESC, video_id DESC",
    "added": "created_at, video_id",
    "-added": "created_at DESC, video_id DESC",
    "title": "lower(filename), filename, video_id",
    "-title": "lower(filename) DESC, filename DESC, video_id DESC",
    "duration": "duration_ms NULLS LAST, video_id",
    "-duration": "duration_ms DESC NULLS LAST, video_id DESC",
}
# a person's bookmarks (runs of type bookmark, store/bookmarks.py) are not analysis
_RUNS = "SELECT 1 FROM runs r WHERE r.asset_id = videos.video_id AND r.artifact_type <> 'bookmark'"
# where a video's analysis stands (as the library's cards count it)
STATES = {
    "not_analysed": f"NOT EXISTS ({_RUNS})",
    "analysing": f"EXISTS ({_RUNS} AND r.status IN ('queued', 'running'))",
    "analysed": f"EXISTS ({_RUNS}) AND NOT EXISTS ({_RUNS} AND r.status IN ('queued', 'running'))",
    "failed": f"EXISTS ({_RUNS} AND r.status IN ('failed', 'canceled'))",
    "missing": "missing_since IS NOT NULL",
}


def _to_video(row: Any) -> Video:
    return Video(**row._asdict())  # a SQLAlchemy row or a psycopg named tuple


_GET = (f"SELECT {_COLUMNS} FROM videos WHERE video_id = COALESCE("
        "(SELECT video_id FROM video_aliases WHERE alias_id = :id), :id)")


def get_video(video_id: uuid.UUID) -> Steps[Video]:
    """A video by id, or by the id a registration of the same content answered with."""
    row = yield Statement(_GET, {"id": video_id}, Fetch.ONE_OR_NONE)
    if row is None:
        raise VideoNotFoundError(f"no video with id {video_id}")
    return _to_video(row)


class VideoRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, *, path: str, filename: str, content_hash: str, size_bytes: int,
        duration_ms: int | None = None, recorded_at: datetime | None = None,
    ) -> tuple[Video, bool]:
        """Register a video; returns (video, created). Same content -> same video."""
        row = self.session.execute(
            text(
                f"INSERT INTO videos (video_id, path, filename, content_hash, size_bytes, "
                f"duration_ms, recorded_at) VALUES (:id, :path, :filename, :hash, :size, "
                f":duration_ms, :recorded_at) ON CONFLICT (content_hash) DO NOTHING "
                f"RETURNING {_COLUMNS}"
            ),
            {"id": uuid.uuid4(), "path": path, "filename": filename, "hash": content_hash,
             "size": size_bytes, "duration_ms": duration_ms, "recorded_at": recorded_at},
        ).one_or_none()
        if row is not None:
            return _to_video(row), True
        existing = self.get_by_hash(content_hash)
        assert existing is not None
        return existing, False

    def add_registering(self, *, path: str, filename: str, size_bytes: int) -> tuple[Video, bool]:
        """A file to hash in the background (status ``registering``); a second
        registration of the same path meanwhile gets the same row."""
        row = self.session.execute(
            text(f"INSERT INTO videos (video_id, path, filename, size_bytes, status) "
                 f"VALUES (:id, :path, :filename, :size, 'registering') "
                 f"ON CONFLICT (path) WHERE status = 'registering' DO NOTHING RETURNING {_COLUMNS}"),
            {"id": uuid.uuid4(), "path": path, "filename": filename, "size": size_bytes},
        ).one_or_none()
        if row is not None:
            return _to_video(row), True
        row = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM videos WHERE path = :p AND status = 'registering'"),
            {"p": path}).one()
        return _to_video(row), False

    def unchanged_since_registered(self, path: str, size_bytes: int, modified_at: datetime) -> Video | None:
        """The registered video of this path, if the file kept its size and was
        not modified since (then its content hash still holds)."""
        row = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM videos WHERE path = :p AND size_bytes = :s "
                 "AND status = 'registered' AND created_at > :m ORDER BY created_at DESC LIMIT 1"),
            {"p": path, "s": size_bytes, "m": modified_at}).one_or_none()
        return _to_video(row) if row else None

    def get(self, video_id: uuid.UUID) -> Video:
        """A video by id, or by the id a registration of the same content answered with."""
        return run(self.session, get_video(video_id))

    def get_by_hash(self, content_hash: str) -> Video | None:
        row = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM videos WHERE content_hash = :h"), {"h": content_hash}
        ).one_or_none()
        return _to_video(row) if row else None

    def list(self, *, limit: int = 50, offset: int = 0, sort: str = "recorded",
             q: str | None = None, state: str | None = None) -> tuple[list[Video], int]:
        """A page of videos in ``sort`` order (see SORTS), those whose title holds
        ``q`` (any case) and whose analysis is in ``state`` (see STATES); and
        how many match in all."""
        if sort not in SORTS or (state is not None and state not in STATES):
            raise ValueError(f"sort is one of {sorted(SORTS)}, state one of {sorted(STATES)}")
        where = ["(CAST(:q AS text) IS NULL OR strpos(lower(filename), lower(:q)) > 0)"]
        if state is not None:
            where.append(STATES[state])
        condition = " AND ".join(where)
        params = {"q": q or None, "l": limit, "o": offset}
        rows = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM videos WHERE {condition} "
                 f"ORDER BY {SORTS[sort]} LIMIT :l OFFSET :o"), params)
        total = self.session.execute(
            text(f"SELECT count(*) FROM videos WHERE {condition}"), params).scalar_one()
        return [_to_video(r) for r in rows], total

    def update(self, video_id: uuid.UUID, **fields: Any) -> None:
        allowed = {"status", "duration_ms", "recorded_at", "error"}
        if not fields or set(fields) - allowed:
            raise ValueError(f"can only update {sorted(allowed)}")
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        self.session.execute(text(f"UPDATE videos SET {sets} WHERE video_id = :id"),
                             {"id": video_id, **fields})

    def relocate(self, video_id: uuid.UUID, path: str, filename: str) -> None:
        """The video's content is now at ``path`` (a file moved or renamed, or
        found again): it is no longer missing."""
        self.session.execute(text(
            "UPDATE videos SET path = :p, filename = :f, missing_since = NULL WHERE video_id = :id"),
            {"id": video_id, "p": path, "f": filename})

    def mark_missing(self, video_id: uuid.UUID) -> None:
        """Every file of the video is gone: kept, with its analysis, until purged."""
        self.session.execute(text(
            "UPDATE videos SET missing_since = COALESCE(missing_since, clock_timestamp()) "
            "WHERE video_id = :id"), {"id": video_id})

    def delete(self, video_id: uuid.UUID) -> None:
        """Remove the video's rows (artifacts, projections, runs cascade); never the file."""
        video_id = self.get(video_id).video_id  # (an alias deletes the video it stands for)
        people = identities_of_video(self.session, video_id)  # their centroids lose these faces
        derived = [t for p in PROJECTIONS for t in (p.table, p.appearances) if t]
        for table in derived:  # derived rows carry no FK (see migration 0001)
            self.session.execute(
                text(f"DELETE FROM {table} WHERE run_id IN "
                     "(SELECT run_id FROM runs WHERE asset_id = :id)"), {"id": video_id})
        result = self.session.execute(text("DELETE FROM videos WHERE video_id = :id"),
                                      {"id": video_id})
        if not result.rowcount:  # type: ignore[attr-defined]
            raise VideoNotFoundError(f"no video with id {video_id}")
        recompute_centroids(self.session, people)
