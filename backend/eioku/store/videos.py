"""Videos (assets): registered by path or upload, identified by content hash."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.errors import VideoNotFoundError
from eioku.domain.models import Video
from eioku.store.faces import identities_of_video, recompute_centroids
from eioku.store.projections import PROJECTIONS

_COLUMNS = ("video_id, path, filename, content_hash, size_bytes, duration_ms, recorded_at, "
            "created_at, status")


def _to_video(row: Any) -> Video:
    return Video(**dict(row._mapping))


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

    def get(self, video_id: uuid.UUID) -> Video:
        row = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM videos WHERE video_id = :id"), {"id": video_id}
        ).one_or_none()
        if row is None:
            raise VideoNotFoundError(f"no video with id {video_id}")
        return _to_video(row)

    def get_by_hash(self, content_hash: str) -> Video | None:
        row = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM videos WHERE content_hash = :h"), {"h": content_hash}
        ).one_or_none()
        return _to_video(row) if row else None

    def list(self, *, limit: int = 50, offset: int = 0) -> tuple[list[Video], int]:
        rows = self.session.execute(
            text(f"SELECT {_COLUMNS} FROM videos "
                 "ORDER BY COALESCE(recorded_at, created_at), video_id LIMIT :l OFFSET :o"),
            {"l": limit, "o": offset},
        )
        total = self.session.execute(text("SELECT count(*) FROM videos")).scalar_one()
        return [_to_video(r) for r in rows], total

    def update(self, video_id: uuid.UUID, **fields: Any) -> None:
        allowed = {"status", "duration_ms", "recorded_at"}
        if not fields or set(fields) - allowed:
            raise ValueError(f"can only update {sorted(allowed)}")
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        self.session.execute(text(f"UPDATE videos SET {sets} WHERE video_id = :id"),
                             {"id": video_id, **fields})

    def delete(self, video_id: uuid.UUID) -> None:
        """Remove the video's rows (artifacts, projections, runs cascade); never the file."""
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
