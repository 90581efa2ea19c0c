"""Playback files (remuxes and proxies) and the jobs that make them.

A row per (video, audio track) that needs a prepared file; the job is
deferred in the same transaction as the row (procrastinate's own SQL), on
the ``playback`` queue. Someone waiting at the player goes before analysis;
a file made at registration goes after it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

PLAYBACK_QUEUE = "playback"
PLAYBACK_TASK = "eioku.prepare_playback"
PRIORITY_WAITING = 10  # a person opened the player: before analysis jobs (priority 0)
PRIORITY_BACKGROUND = -10  # made at registration: after analysis
_LIVE_JOB = "j.status IN ('todo', 'doing')"

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :qlock, "
    "CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))")
_COLUMNS = ("p.video_id, p.audio_track, p.mode, p.state, p.progress, p.reason, p.error, p.file_name, "
            "p.size_bytes, p.source_hash, p.encoder, p.job_id, p.updated_at")
# a row queued or running whose job has ended (its worker died for good, say) is failed
_STATE = (f"CASE WHEN p.state IN ('queued', 'running') AND p.job_id IS NOT NULL AND NOT EXISTS "
          f"(SELECT 1 FROM procrastinate_jobs j WHERE j.id = p.job_id AND {_LIVE_JOB}) "
          "THEN 'failed' ELSE p.state END")


@dataclass(frozen=True)
class PlaybackFile:
    video_id: uuid.UUID
    audio_track: int
    mode: str  # remux | proxy
    state: str  # queued | running | ready | failed
    progress: float
    reason: str | None
    error: str | None
    file_name: str | None
    size_bytes: int | None
    source_hash: str
    encoder: str | None
    job_id: int | None
    updated_at: datetime


def _row(row: Any) -> PlaybackFile:
    values = row._asdict()
    if values["state"] == "failed" and values.pop("job_ended", False) and not values["error"]:
        values["error"] = "the worker making it stopped before it was done; open the player to try again"
    values.pop("job_ended", None)
    return PlaybackFile(**values)


class PlaybackRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, video_id: uuid.UUID, audio_track: int) -> PlaybackFile | None:
        row = self.session.execute(text(
            f"SELECT {_COLUMNS.replace('p.state', f'{_STATE} AS state')}, "
            f"({_STATE}) <> p.state AS job_ended FROM playback_files p "
            "WHERE p.video_id = :v AND p.audio_track = :t"), {"v": video_id, "t": audio_track}).one_or_none()
        return _row(row) if row else None

    def request(self, video_id: uuid.UUID, audio_track: int, *, mode: str, reason: str,
                source_hash: str, priority: int) -> PlaybackFile:
        """The row of this file; a job is queued when there was none, or it
        failed, or was made from other content, or its job ended unfinished."""
        claimed = self.session.execute(text(
            "INSERT INTO playback_files AS p (video_id, audio_track, mode, state, reason, source_hash) "
            "VALUES (:v, :t, :m, 'queued', :r, :h) "
            "ON CONFLICT (video_id, audio_track) DO UPDATE SET state = 'queued', progress = 0, "
            "mode = EXCLUDED.mode, reason = EXCLUDED.reason, source_hash = EXCLUDED.source_hash, "
            "error = NULL, job_id = NULL, updated_at = now() "
            f"WHERE ({_STATE}) = 'failed' OR p.source_hash <> EXCLUDED.source_hash "
            "RETURNING p.video_id"),
            {"v": video_id, "t": audio_track, "m": mode, "r": reason, "h": source_hash}).one_or_none()
        if claimed is not None:
            job_id = self._defer(video_id, audio_track, priority)
            self.session.execute(text(
                "UPDATE playback_files SET job_id = :j WHERE video_id = :v AND audio_track = :t"),
                {"j": job_id, "v": video_id, "t": audio_track})
        elif priority == PRIORITY_WAITING:  # someone waits now: move a background job forward
            self.session.execute(text(
                "UPDATE procrastinate_jobs SET priority = :p FROM playback_files f "
                "WHERE f.video_id = :v AND f.audio_track = :t AND procrastinate_jobs.id = f.job_id "
                "AND procrastinate_jobs.status = 'todo' AND procrastinate_jobs.priority < :p"),
                {"p": priority, "v": video_id, "t": audio_track})
        found = self.get(video_id, audio_track)
        assert found is not None
        return found

    def _defer(self, video_id: uuid.UUID, audio_track: int, priority: int) -> int | None:
        key = f"playback:{video_id}:{audio_track}"
        savepoint = self.session.begin_nested()
        try:
            job_id = self.session.execute(_DEFER, {
                "queue": PLAYBACK_QUEUE, "task": PLAYBACK_TASK, "priority": priority, "lock": key,
                "qlock": key, "args": json.dumps({"video_id": str(video_id), "audio_track": audio_track}),
            }).scalar_one()
        except IntegrityError:  # a job for this file is already waiting
            savepoint.rollback()
            return None
        savepoint.commit()
        return int(job_id)

    def start(self, video_id: uuid.UUID, audio_track: int, job_id: int | None) -> PlaybackFile | None:
        """The worker takes the file (None: the row is gone, its video deleted)."""
        self.session.execute(text(
            "UPDATE playback_files SET state = 'running', progress = 0, error = NULL, "
            "job_id = COALESCE(:j, job_id), updated_at = now() WHERE video_id = :v AND audio_track = :t"),
            {"j": job_id, "v": video_id, "t": audio_track})
        return self.get(video_id, audio_track)

    def set_progress(self, video_id: uuid.UUID, audio_track: int, progress: float) -> None:
        self.session.execute(text(
            "UPDATE playback_files SET progress = :p, updated_at = now() "
            "WHERE video_id = :v AND audio_track = :t AND state = 'running'"),
            {"p": max(0.0, min(1.0, progress)), "v": video_id, "t": audio_track})

    def finish(self, video_id: uuid.UUID, audio_track: int, *, file_name: str, size_bytes: int,
               encoder: str | None, source_hash: str) -> bool:
        """Ready; False when the row is gone or now wants other content."""
        result = self.session.execute(text(
            "UPDATE playback_files SET state = 'ready', progress = 1, file_name = :f, size_bytes = :s, "
            "encoder = :e, error = NULL, updated_at = now() "
            "WHERE video_id = :v AND audio_track = :t AND source_hash = :h"),
            {"f": file_name, "s": size_bytes, "e": encoder, "v": video_id, "t": audio_track,
             "h": source_hash})
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def fail(self, video_id: uuid.UUID, audio_track: int, error: str) -> None:
        self.session.execute(text(
            "UPDATE playback_files SET state = 'failed', error = :e, updated_at = now() "
            "WHERE video_id = :v AND audio_track = :t"), {"e": error[:2000], "v": video_id, "t": audio_track})

    def usage(self) -> dict[str, Any]:
        """Prepared files: how many, their bytes, how many are being made or failed."""
        row = self.session.execute(text(
            f"SELECT count(*) FILTER (WHERE s = 'ready') AS files, "
            "COALESCE(sum(size_bytes) FILTER (WHERE s = 'ready'), 0) AS bytes, "
            "count(*) FILTER (WHERE s IN ('queued', 'running')) AS preparing, "
            "count(*) FILTER (WHERE s = 'failed') AS failed "
            f"FROM (SELECT {_STATE} AS s, p.size_bytes FROM playback_files p) x")).mappings().one()
        return {k: int(v) for k, v in row.items()}
