"""The video and pictures made from it: Range streaming, thumbnails, scrub
previews (sprite sheets + WebVTT), MP4 clips. Derived files are made once
and cached under ``<data dir>/cache``."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.config import Settings
from eioku.domain.errors import ClipTooLongError, NotFoundError, ValidationFailedError
from eioku.media.clips import make_clip
from eioku.media.images import MediaCache, build_trickplay, thumbnail
from eioku.media.sniff import sniff
from eioku.services.ingest import readable_path
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["media"])
Ms = Annotated[int, Query(ge=0, le=MAX_SPAN_MS)]
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


@router.get("/v1/videos/{video_id}/stream", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}}}, 206: {"description": "a byte range"}})
async def stream(video_id: uuid.UUID, request: Request) -> FileResponse:
    """The video file, with HTTP Range support (206 Partial Content), so players can seek."""
    def find() -> tuple[Path, str]:
        path, _ = _video_file(request, video_id)
        return path, sniff(path).mime  # from the content, never the name (415 if not media)

    path, media_type = await run_in_threadpool(find)
    return FileResponse(path, media_type=media_type, content_disposition_type="inline",
                        filename=path.name)


@router.get("/v1/videos/{video_id}/thumbnail", response_class=FileResponse, responses=JPEG)
async def video_thumbnail(
    video_id: uuid.UUID, request: Request, t_ms: Ms = 0,
    width: Annotated[int, Query(ge=16, le=1920)] = 320,
) -> FileResponse:
    """The frame at `t_ms` as a JPEG `width` pixels wide (cached)."""
    def make() -> Path:
        path, settings = _video_file(request, video_id)
        return MediaCache(settings.cache_dir, settings.cache_max_bytes).file(
            video_id, f"thumb-{t_ms}-{width}.jpg", lambda tmp: thumbnail(path, t_ms, width, tmp))

    return FileResponse(await run_in_threadpool(make), media_type="image/jpeg", headers=CACHED)


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
    once (a cached clip needs no slot); beyond that, 503 with Retry-After."""
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
                        filename=f"{video_id}-{from_ms}-{to_ms}.mp4")
