"""The ``playback`` queue's job: make one video's remux or proxy for one audio
track, recording progress as it goes, into ``<data dir>/playback``. The file
is written under a temporary name and renamed when whole, so the stream route
never serves half a file; a video deleted meanwhile leaves nothing behind."""

from __future__ import annotations

import logging
import os
import uuid

from eioku.config import Settings, get_settings
from eioku.domain.errors import EiokuError, VideoNotFoundError
from eioku.media.playability import plan
from eioku.services.ingest import readable_path
from eioku.services.playback import file_name
from eioku.store.playback import PlaybackRepository
from eioku.store.uow import UnitOfWork
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.errors import MediaError
from eioku_ml.media.playback import prepare
from eioku_ml.models.device import requested

log = logging.getLogger(__name__)


def execute_playback(factory: sessionmaker[Session], video_id: uuid.UUID, audio_track: int,
                     job_id: int | None = None, settings: Settings | None = None) -> str:
    """Make the file; returns its state (ready, failed, or gone)."""
    settings = settings or get_settings()
    with UnitOfWork(factory) as uow:
        try:
            video = uow.videos.get(video_id)
        except VideoNotFoundError:
            return "gone"
        row = PlaybackRepository(uow.session).start(video_id, audio_track, job_id)
        uow.commit()
    if row is None or video.content_hash is None:
        return "gone"
    try:
        source = readable_path(video, settings)
        wanted = plan(source, audio_track)
    except (EiokuError, ValueError) as exc:
        return _fail(factory, video_id, audio_track, exc)
    if not wanted.prepared:  # the file was replaced since it was asked for
        why = wanted.reason if wanted.mode == "unplayable" else "the file now plays as it is"
        return _fail(factory, video_id, audio_track, MediaError(why))
    folder = settings.playback_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = file_name(video_id, audio_track, wanted.container or "mp4")
    partial = folder / f"{name}.part-{os.getpid()}"
    for left in folder.glob(f"{name}.part-*"):  # an earlier attempt's worker died mid-file
        left.unlink(missing_ok=True)  # (one job per file runs at a time: the job's lock)

    def progress(value: float) -> None:
        with UnitOfWork(factory) as uow:
            PlaybackRepository(uow.session).set_progress(video_id, audio_track, value)
            uow.commit()

    try:
        made = prepare(source, partial, wanted, max_height=settings.proxy_max_height, device=requested(),
                       progress=progress)
    except (MediaError, OSError) as exc:
        partial.unlink(missing_ok=True)
        return _fail(factory, video_id, audio_track, exc)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    final = folder / name
    try:
        partial.replace(final)
    except FileNotFoundError:  # the video was deleted meanwhile, and its files with it
        return "gone"
    with UnitOfWork(factory) as uow:
        kept = PlaybackRepository(uow.session).finish(
            video_id, audio_track, file_name=name, size_bytes=final.stat().st_size,
            encoder=made.encoder, source_hash=video.content_hash)
        uow.commit()
    if not kept:  # deleted (or its content changed) while it was made
        final.unlink(missing_ok=True)
        return "gone"
    log.info("playback %s track %d: %s in %.1f s (%s)", video_id, audio_track, wanted.mode, made.seconds,
             made.encoder or "copied")
    return "ready"


def _fail(factory: sessionmaker[Session], video_id: uuid.UUID, audio_track: int, exc: BaseException) -> str:
    message = exc.message if isinstance(exc, EiokuError) else str(exc)
    log.warning("playback %s track %d failed: %s", video_id, audio_track, message)
    with UnitOfWork(factory) as uow:
        PlaybackRepository(uow.session).fail(video_id, audio_track, message)
        uow.commit()
    return "failed"
