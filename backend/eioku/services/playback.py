"""Which file the player streams, and asking a worker for one when the
original does not play (``eioku.media.playability`` decides; the worker's
``eioku_ml.media.playback`` makes it). The API only decides and serves:
nothing here decodes or encodes.

- ``state``: where a video's playback stands (never queues anything);
- ``prepare``: the same, queueing the file when it is needed and not there;
- ``after_registration``: EIOKU_PLAYBACK=on-register queues it at once;
- ``file_to_stream``: the original, or the ready remux/proxy;
- ``forget``: a deleted video's prepared files.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eioku.config import Settings
from eioku.domain.errors import EiokuError, ValidationFailedError
from eioku.domain.models import Video
from eioku.media.playability import Plan, plan
from eioku.services.ingest import readable_path
from eioku.store.playback import PRIORITY_BACKGROUND, PRIORITY_WAITING, PlaybackFile, PlaybackRepository
from eioku.store.uow import UnitOfWork


@dataclass(frozen=True)
class Track:
    index: int
    codec: str
    language: str | None
    title: str | None
    default: bool


@dataclass(frozen=True)
class PlaybackState:
    mode: str  # original | remux | proxy | unplayable
    state: str  # ready | preparing | not_started | failed | unplayable
    progress: float
    reason: str
    error: str | None = None
    audio_track: int = 0
    default_track: int = 0
    tracks: list[Track] = field(default_factory=list)
    size_bytes: int | None = None
    encoder: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _plan(video: Video, settings: Settings, track: int | None) -> Plan | PlaybackState:
    """The plan for the video's file, or the state that says why there is none."""
    if video.status == "registering" or video.content_hash is None:
        return PlaybackState("original", "preparing", 0.0, "the file is being registered")
    try:
        path = readable_path(video, settings)
    except EiokuError as exc:
        return PlaybackState("unplayable", "unplayable", 0.0, exc.message)
    try:
        return plan(path, track)
    except ValueError as exc:
        raise ValidationFailedError(str(exc), field="audio") from exc


def _state(found: Plan, row: PlaybackFile | None, video: Video) -> PlaybackState:
    tracks = [Track(**asdict(t)) for t in found.tracks]
    common = {"audio_track": found.track, "default_track": found.default_track, "tracks": tracks}
    if found.mode == "unplayable":
        return PlaybackState("unplayable", "unplayable", 0.0, found.reason, **common)
    if not found.prepared:
        return PlaybackState("original", "ready", 1.0, found.reason, **common)
    if row is None or row.source_hash != video.content_hash:
        return PlaybackState(found.mode, "not_started", 0.0, found.reason, **common)
    state = {"queued": "preparing", "running": "preparing"}.get(row.state, row.state)
    return PlaybackState(found.mode, state, row.progress, found.reason, error=row.error,
                         size_bytes=row.size_bytes, encoder=row.encoder, **common)


def state(uow: UnitOfWork, video: Video, settings: Settings, track: int | None = None) -> PlaybackState:
    found = _plan(video, settings, track)
    if isinstance(found, PlaybackState):
        return found
    row = PlaybackRepository(uow.session).get(video.video_id, found.track) if found.prepared else None
    return _state(found, row, video)


def prepare(uow: UnitOfWork, video: Video, settings: Settings, track: int | None = None,
            waiting: bool = True) -> PlaybackState:
    """The state, after queueing the file when it is needed and missing (or
    failed: asking again retries). ``waiting``: a person is at the player,
    so the job goes before analysis."""
    found = _plan(video, settings, track)
    if isinstance(found, PlaybackState):
        return found
    if not found.prepared:
        return _state(found, None, video)
    assert video.content_hash is not None
    row = PlaybackRepository(uow.session).request(
        video.video_id, found.track, mode=found.mode, reason=found.reason, source_hash=video.content_hash,
        priority=PRIORITY_WAITING if waiting else PRIORITY_BACKGROUND)
    return _state(found, row, video)


def after_registration(uow: UnitOfWork, video: Video, settings: Settings) -> None:
    """EIOKU_PLAYBACK=on-register: queue the default track's file now (behind
    analysis); on-play waits for the first time the player asks."""
    if settings.playback == "on-register" and video.status == "registered":
        prepare(uow, video, settings, waiting=False)


def file_to_stream(uow: UnitOfWork, video: Video, settings: Settings,
                   track: int | None = None) -> tuple[Path, str]:
    """The file a browser plays for this video and audio track, and what it is
    (``original``, ``remux``, ``proxy``). Until a remux or proxy is ready the
    original is answered (some players read it; the page waits for the copy,
    told by ``state``). The original is checked first: a file gone or now
    outside the media roots is its own error."""
    original = readable_path(video, settings)
    found = state(uow, video, settings, track)
    if found.state != "ready" or found.mode == "original":
        return original, "original"
    row = PlaybackRepository(uow.session).get(video.video_id, found.audio_track)
    path = settings.playback_dir / row.file_name if row is not None and row.file_name else None
    if path is None or not path.is_file():
        return original, "original"  # deleted from the data dir: POST /playback makes it again
    return path, found.mode


def file_name(video_id: uuid.UUID, audio_track: int, container: str) -> str:
    return f"{video_id}.a{audio_track}.{container}"


def forget(video_id: uuid.UUID, settings: Settings) -> int:
    """Delete a video's prepared files (and any left half made); how many went."""
    removed = 0
    if settings.playback_dir.is_dir():
        for path in settings.playback_dir.glob(f"{video_id}.*"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def usage(uow: UnitOfWork) -> dict[str, Any]:
    return PlaybackRepository(uow.session).usage()
