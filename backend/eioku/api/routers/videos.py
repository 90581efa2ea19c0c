"""Videos: register by path or upload, list, get, delete."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from eioku.api.deps import SettingsDep, UowDep
from eioku.api.routers.library import Sort, StatusFilter, TitleFilter
from eioku.api.schemas import RegisterVideo, VideoOut, VideoPage, VideoRegistered
from eioku.api.schemas_library import AnalysisCancelled, AnalysisQueued, AnalyzeVideo
from eioku.api.upload import receive_upload
from eioku.services import analysis, ingest, playback

router = APIRouter(prefix="/v1/videos", tags=["videos"])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=VideoRegistered)
def register_video(body: RegisterVideo, request: Request, background: BackgroundTasks, uow: UowDep,
                   settings: SettingsDep) -> VideoRegistered:
    """Register a video file by absolute path. The path must lie inside a media root
    (EIOKU_MEDIA_ROOTS, symlinks resolved first). The same content registered twice
    returns the existing video. With `analyze`, one run per analyzer is queued for
    `eioku worker` to execute (`run_ids`).

    A file larger than EIOKU_HASH_INLINE_MAX_BYTES answers at once with status
    `registering` and is hashed after the response; analysis asked for meanwhile
    is queued when it is `registered` (`run_ids` is then empty). If its content
    is already in the library, the id answered stands for that video from then on;
    a file that cannot be read ends `unreadable`, with `error`."""
    path = ingest.resolve_media_path(body.path, settings)
    video, created = ingest.begin_registration(uow, path, settings)
    playback.after_registration(uow, video, settings)  # EIOKU_PLAYBACK=on-register
    runs = analysis.queue_analysis(uow, video, body.profile.value, body.analyzers, settings) \
        if body.analyze else []
    uow.commit()
    if video.status == "registering":
        background.add_task(ingest.finish_registration, request.app.state.session_factory,
                            video.video_id, settings)
    return VideoRegistered(video_id=video.video_id, status=video.status, created=created,
                           run_ids=[r.run_id for r in runs])


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


@router.post("/upload", status_code=status.HTTP_202_ACCEPTED, response_model=VideoRegistered,
             openapi_extra=UPLOAD_BODY, responses={
                 413: {"description": "larger than EIOKU_UPLOAD_MAX_BYTES"},
                 415: {"description": "not a video or audio file"},
                 507: {"description": "the data dir is full or read-only"}})
async def upload_video(request: Request, uow: UowDep, settings: SettingsDep) -> VideoRegistered:
    """Upload a video (multipart field `file`); it is written once, under the data
    dir, with a generated name (the file's own name becomes its title). The content
    must be audio or video in a container Eioku reads, else 415. Larger than
    EIOKU_UPLOAD_MAX_BYTES -> 413, decided while the body arrives (or from
    Content-Length before it does), so an oversized upload never fills the disk.
    Analyse it with `POST /v1/videos/{id}/analyze`."""
    stored = await receive_upload(request, settings)
    video, created = await run_in_threadpool(ingest.adopt_upload, uow, stored)
    await run_in_threadpool(playback.after_registration, uow, video, settings)
    uow.commit()
    return VideoRegistered(video_id=video.video_id, status=video.status, created=created, run_ids=[])


@router.post("/{video_id}/analyze", status_code=status.HTTP_202_ACCEPTED,
             response_model=AnalysisQueued)
def analyze_video(video_id: uuid.UUID, body: AnalyzeVideo, uow: UowDep,
                  settings: SettingsDep) -> AnalysisQueued:
    """Queue analysis of a registered (or uploaded) video: one run per analyzer for
    `eioku worker` (or `eioku serve --workers N`) to execute. Runs already queued or
    running for the same analyzer and profile are returned instead of duplicated;
    an identical completed analysis is reused rather than recomputed."""
    video = uow.videos.get(video_id)
    runs = analysis.queue_analysis(uow, video, body.profile.value, body.analyzers, settings)
    uow.commit()
    return AnalysisQueued(video_id=video.video_id, run_ids=[r.run_id for r in runs])


@router.get("", response_model=VideoPage)
def list_videos(
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sort: Sort = "recorded",
    q: TitleFilter = None,
    status: StatusFilter = None,
) -> VideoPage:
    """Videos in recording order (recorded time, else registration time), or as
    `sort` says; with `q`, only those whose title contains it; with `status`,
    only those whose analysis stands so. `total` counts every match."""
    videos, total = uow.videos.list(limit=limit, offset=offset, sort=sort, q=q or None,
                                    state=status)
    return VideoPage(videos=[VideoOut.model_validate(v) for v in videos], total=total,
                     limit=limit, offset=offset)


@router.post("/{video_id}/cancel", response_model=AnalysisCancelled)
def cancel_analysis(video_id: uuid.UUID, uow: UowDep) -> AnalysisCancelled:
    """Stop the video's analysis: every run queued or running fails with the reason
    "cancelled by the user", jobs not started are cancelled and running ones asked
    to abort (what they finish is not kept). Nothing under way: an empty list."""
    runs = analysis.cancel_analysis(uow, uow.videos.get(video_id).video_id)
    uow.commit()
    return AnalysisCancelled(video_id=video_id, cancelled=[r.run_id for r in runs])


@router.get("/{video_id}", response_model=VideoOut)
def get_video(video_id: uuid.UUID, uow: UowDep) -> VideoOut:
    """One video."""
    return VideoOut.model_validate(uow.videos.get(video_id))


@router.delete("/{video_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_video(video_id: uuid.UUID, uow: UowDep, settings: SettingsDep) -> None:
    """Forget a video: its artifacts, projections, runs, selections, cached
    pictures and playable copies (remux, proxy). A file uploaded through the API
    is deleted too; a file of yours (registered by path) is never touched."""
    video = uow.videos.get(video_id)
    uow.videos.delete(video_id)
    uow.commit()
    ingest.forget_files(video, settings)
