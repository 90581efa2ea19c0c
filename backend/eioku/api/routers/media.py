"""The video and pictures made from it: Range streaming (the original, or its
remux or proxy when a browser cannot play it: services/playback.py), the
playback state, thumbnails, scrub previews (sprite sheets + WebVTT), MP4
clips. Derived pictures are made once and cached under ``<data dir>/cache``;
thumbnails, previews and clips always read the original."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from eioku.api.download import clip_name, disposition
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.config import Settings
from eioku.domain.errors import ClipTooLongError, NotFoundError, StorageError, ValidationFailedError
from eioku.media.clips import make_clip
from eioku.media.frames import frame_at
from eioku.media.images import MediaCache, build_trickplay, jpeg_bytes, thumbnail
from eioku.media.sniff import sniff
from eioku.services import playback
from eioku.services.ingest import readable_path
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["media"])
Ms = Annotated[int, Query(ge=0, le=MAX_SPAN_MS)]
AudioTrack = Annotated[int | None, Query(ge=0, le=255, description=(
    "the audio track to hear (0 = the file's first; default: the one flagged default), "
    "see `tracks` in GET /v1/videos/{id}/playback"))]
JPEG = {200: {"content": {"image/jpeg": {}}}}
CACHED = {"Cache-Control": "private, max-age=86400"}
# clips cut at once by one server (each re-encode keeps a few cores busy); more: 503
CLIP_SLOTS = 2
CLIP_RETRY_AFTER_S = 10


def _video_file(request: Request, video_id: uuid.UUID) -> tuple[Path, Settings]:
    settings = request.app.state.settings
    with UnitOfWork(request.app.state.session_factory) as uow:
        video = uow.videos.get(video_id)
    return readable_path(video, settings), settings


def _title(request: Request, video_id: uuid.UUID) -> str:
    with UnitOfWork(request.app.state.session_factory) as uow:
        return uow.videos.get(video_id).filename


@router.get("/v1/videos/{video_id}/stream", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}, "video/webm": {}, "audio/mpeg": {}}},
                       206: {"description": "a byte range"}})
async def stream(video_id: uuid.UUID, request: Request, audio: AudioTrack = None,
                 original: Annotated[bool, Query(description="the file as it is, even when a "
                                                 "browser cannot play it")] = False) -> FileResponse:
    """What a browser plays, with HTTP Range support (206 Partial Content) so players
    can seek: the original file when it plays as it is, else its remux or proxy once
    ready (GET /v1/videos/{id}/playback says how far it is; until then, the original).
    `X-Eioku-Playback` says which was answered (original, remux, proxy);
    `original=true` always answers the file as it is. The media type comes from the
    content, never the name."""
    def find() -> tuple[Path, str, str, str]:
        settings = request.app.state.settings
        with UnitOfWork(request.app.state.session_factory) as uow:
            video = uow.videos.get(video_id)
            if original:
                path, mode = readable_path(video, settings), "original"
            else:
                path, mode = playback.file_to_stream(uow, video, settings, audio)
        kind = sniff(path)  # 415 if not media
        return path, kind.mime, Path(video.filename).stem + kind.extension, mode

    path, media_type, name, mode = await run_in_threadpool(find)
    return FileResponse(path, media_type=media_type, content_disposition_type="inline", filename=name,
                        headers={"X-Eioku-Playback": mode})


class TrackOut(BaseModel):
    index: int = Field(description="among the file's audio tracks, 0 = the first")
    codec: str
    language: str | None
    title: str | None
    default: bool


class PlaybackOut(BaseModel):
    mode: str = Field(description="original | remux | proxy | unplayable")
    state: str = Field(description="ready | preparing | not_started | failed | unplayable")
    progress: float = Field(description="0..1 while a remux or proxy is made")
    reason: str = Field(description="why this mode, in words")
    error: str | None = Field(description="why making the playable copy failed")
    audio_track: int
    default_track: int
    tracks: list[TrackOut]
    size_bytes: int | None = Field(description="the remux's or proxy's size")
    encoder: str | None = Field(description="the video encoder of a proxy (libx264, h264_nvenc)")


def _playback(request: Request, video_id: uuid.UUID, audio: int | None, ask: bool) -> PlaybackOut:
    settings = request.app.state.settings
    with UnitOfWork(request.app.state.session_factory) as uow:
        video = uow.videos.get(video_id)
        if not ask:
            return PlaybackOut.model_validate(playback.state(uow, video, settings, audio).as_dict())
        found = playback.prepare(uow, video, settings, audio, waiting=True)
        uow.commit()
        return PlaybackOut.model_validate(found.as_dict())


@router.get("/v1/videos/{video_id}/playback", response_model=PlaybackOut)
async def playback_state(video_id: uuid.UUID, request: Request, audio: AudioTrack = None) -> PlaybackOut:
    """How this video reaches a browser: `original` (plays as it is), `remux` (its
    streams copied into an MP4 or WebM a browser reads), `proxy` (H.264 + AAC made
    from it) or `unplayable`; whether that file is `ready`, `preparing` (with
    `progress`), `not_started` (EIOKU_PLAYBACK=on-play: POST asks for it) or
    `failed` (with `error`), and the audio tracks it has. Never queues anything."""
    return await run_in_threadpool(_playback, request, video_id, audio, False)


@router.post("/v1/videos/{video_id}/playback", response_model=PlaybackOut)
async def prepare_playback(video_id: uuid.UUID, request: Request, audio: AudioTrack = None) -> PlaybackOut:
    """Ask for the playable copy of this video and audio track: queued on the
    `playback` queue ahead of analysis when it is needed and not there, or failed
    before (asking again retries). Answers as GET does."""
    return await run_in_threadpool(_playback, request, video_id, audio, True)


@router.get("/v1/videos/{video_id}/thumbnail", response_class=FileResponse, responses=JPEG)
async def video_thumbnail(
    video_id: uuid.UUID, request: Request, t_ms: Ms = 0,
    width: Annotated[int, Query(ge=16, le=1920)] = 320,
) -> Response:
    """The frame at `t_ms` as a JPEG `width` pixels wide (cached). When the data
    dir is full or read-only the picture is still answered, made in memory and
    not kept (`Cache-Control: no-store`): a reader needs no disk."""
    def make() -> Path | bytes:
        path, settings = _video_file(request, video_id)
        try:
            return MediaCache(settings.cache_dir, settings.cache_max_bytes).file(
                video_id, f"thumb-{t_ms}-{width}.jpg", lambda tmp: thumbnail(path, t_ms, width, tmp))
        except StorageError:
            return jpeg_bytes(frame_at(path, t_ms, width))

    made = await run_in_threadpool(make)
    if isinstance(made, bytes):
        return Response(made, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
    return FileResponse(made, media_type="image/jpeg", headers=CACHED)


def _trickplay(request: Request, video_id: uuid.UUID) -> Path:
    path, settings = _video_file(request, video_id)
    return MediaCache(settings.cache_dir, settings.cache_max_bytes).folder(
        video_id, "trickplay", lambda tmp: build_trickplay(path, tmp))


@router.get("/v1/videos/{video_id}/thumbnails.vtt", response_class=FileResponse,
            responses={200: {"content": {"text/vtt": {}}}})
async def scrub_previews(video_id: uuid.UUID, request: Request) -> FileResponse:
    """Scrub previews: a WebVTT thumbnails track whose cues point into sprite sheets
    (`thumbnails/N.jpg#xywh=x,y,w,h`). Made on first request, then cached."""
    folder = await run_in_threadpool(_trickplay, request, video_id)
    return FileResponse(folder / "thumbnails.vtt", media_type="text/vtt", headers=CACHED)


@router.get("/v1/videos/{video_id}/thumbnails/{sheet}.jpg", response_class=FileResponse,
            responses=JPEG)
async def scrub_sheet(video_id: uuid.UUID, sheet: int, request: Request) \
        -> FileResponse:
    """One sprite sheet of the scrub previews."""
    folder = await run_in_threadpool(_trickplay, request, video_id)
    path = folder / f"{sheet}.jpg"
    if sheet < 0 or not path.is_file():
        raise NotFoundError(f"no sprite sheet {sheet} (see thumbnails.vtt)")
    return FileResponse(path, media_type="image/jpeg", headers=CACHED)


def clip_slots(app: object) -> threading.BoundedSemaphore:
    """The server's clip slots (made on first use, on the event loop's thread)."""
    state = app.state  # type: ignore[attr-defined]
    if not hasattr(state, "clip_slots"):
        state.clip_slots = threading.BoundedSemaphore(CLIP_SLOTS)
    return state.clip_slots  # type: ignore[no-any-return]


@router.get("/v1/videos/{video_id}/clip", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}}},
                       503: {"description": "every clip slot is busy: retry after Retry-After s"}})
async def clip(video_id: uuid.UUID, request: Request, from_ms: Ms, to_ms: Ms) -> Response:
    """An MP4 of [from_ms, to_ms): packets copied when a keyframe starts the range,
    re-encoded (H.264/AAC) otherwise. At most EIOKU_CLIP_MAX_S seconds; a range
    starting past the end of the video is a 422. A server cuts CLIP_SLOTS clips at
    once (a cached clip needs no slot); beyond that, 503 with Retry-After. Named
    after the video and the range: `holiday.clip-0m10s-0m25s.mp4`."""
    settings: Settings = request.app.state.settings
    if to_ms <= from_ms:
        raise ValidationFailedError("to_ms must be after from_ms", field="to_ms")
    if to_ms - from_ms > settings.clip_max_s * 1000:
        raise ClipTooLongError(f"a clip is at most {settings.clip_max_s} s long (EIOKU_CLIP_MAX_S)",
                               field="to_ms")
    cache, name = MediaCache(settings.cache_dir, settings.cache_max_bytes), f"clip-{from_ms}-{to_ms}.mp4"

    def make() -> Path:
        path, _ = _video_file(request, video_id)
        return cache.file(video_id, name, lambda tmp: make_clip(path, tmp, from_ms, to_ms))

    title = await run_in_threadpool(_title, request, video_id)
    out = await run_in_threadpool(cache.cached, video_id, name)
    if out is None:
        slots = clip_slots(request.app)
        if not slots.acquire(blocking=False):
            return JSONResponse(
                {"detail": f"{CLIP_SLOTS} clips are being cut; retry in {CLIP_RETRY_AFTER_S} s",
                 "error": "ClipSlotsBusy"},
                status_code=503, headers={"Retry-After": str(CLIP_RETRY_AFTER_S)})
        try:
            out = await run_in_threadpool(make)
        finally:
            slots.release()
    return FileResponse(out, media_type="video/mp4",
                        headers=disposition(clip_name(title, from_ms, to_ms)))
