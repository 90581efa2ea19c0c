"""Exports: subtitles and chapters from the selected runs, and everything as JSON."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, StreamingResponse

from eioku.api.deps import UowDep
from eioku.services import exports
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["exports"])


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'inline; filename="{name}"'}


SUBTITLES = {"vtt": (exports.webvtt, "text/vtt"), "srt": (exports.srt, "application/x-subrip")}


@router.get("/v1/videos/{video_id}/subtitles.{fmt}", response_class=PlainTextResponse,
            responses={200: {"content": {"text/vtt": {}, "application/x-subrip": {}}}})
def subtitles(video_id: uuid.UUID, fmt: Literal["vtt", "srt"], uow: UowDep) -> PlainTextResponse:
    """The selected transcript as WebVTT (`subtitles.vtt`) or SubRip (`subtitles.srt`)
    subtitles: at most two lines of 42 characters a cue; a longer sentence becomes
    several cues sharing its time span."""
    write, media_type = SUBTITLES[fmt]
    body = write(exports.cues(exports.transcript_segments(uow, video_id)))
    return PlainTextResponse(body, media_type=f"{media_type}; charset=utf-8",
                             headers=_download(f"{video_id}.{fmt}"))


@router.get("/v1/videos/{video_id}/chapters.vtt", response_class=PlainTextResponse,
            responses={200: {"content": {"text/vtt": {}}}})
def chapters_vtt(video_id: uuid.UUID, uow: UowDep) -> PlainTextResponse:
    """The selected scenes as a WebVTT chapters track."""
    return PlainTextResponse(exports.chapters(uow, video_id), media_type="text/vtt; charset=utf-8")


@router.get("/v1/videos/{video_id}/export.json", response_class=StreamingResponse,
            responses={200: {"content": {"application/json": {}}}})
async def export_json(video_id: uuid.UUID, request: Request) -> StreamingResponse:
    """Every artifact of the runs the selection policies pick, grouped by type, each
    type with its policy and run (producer, version, config, input hash, timings)."""
    factory = request.app.state.session_factory

    def check() -> None:
        with UnitOfWork(factory) as uow:
            uow.videos.get(video_id)  # 404 before streaming starts

    await run_in_threadpool(check)

    def body():  # type: ignore[no-untyped-def]
        with UnitOfWork(factory) as uow:
            yield from exports.export_json(uow, video_id)

    return StreamingResponse(body(), media_type="application/json",
                             headers=_download(f"{video_id}.json"))
