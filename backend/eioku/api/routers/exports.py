"""Exports: subtitles and chapters from the selected runs, and everything as JSON."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from eioku.api.deps import SettingsDep, UowDep
from eioku.api.download import disposition, stem
from eioku.api.gate import admitted
from eioku.services import exports
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["exports"])


class ExportLimits(BaseModel):
    clip_max_s: int = Field(description="the longest clip GET /v1/videos/{id}/clip cuts "
                                        "(EIOKU_CLIP_MAX_S)")


@router.get("/v1/exports/limits", response_model=ExportLimits)
def export_limits(settings: SettingsDep) -> ExportLimits:
    """What the exports accept, so a page can check a range before asking."""
    return ExportLimits(clip_max_s=settings.clip_max_s)


SPEAKERS = ("Say who speaks (`<v Alice>` in WebVTT, an \"ALICE: \" prefix in SRT, where the "
            "speaker changes). Default: true when the video has a speakers run.")
TRANSLATION = ("English subtitles: each segment's English translation where it has one (speech in "
               "another language, analysed with EIOKU_TRANSLATE=1), its words where it has none. "
               "A segment stays whole (a translation has no word times). Default: false.")
SUBTITLES = {"vtt": "text/vtt", "srt": "application/x-subrip"}


@router.get("/v1/videos/{video_id}/subtitles.{fmt}", response_class=PlainTextResponse,
            responses={200: {"content": {"text/vtt": {}, "application/x-subrip": {}}}})
def subtitles(video_id: uuid.UUID, fmt: Literal["vtt", "srt"], uow: UowDep,
              speakers: Annotated[bool | None, Query(description=SPEAKERS)] = None,
              translation: Annotated[bool, Query(description=TRANSLATION)] = False,
              ) -> PlainTextResponse:
    """The selected transcript as WebVTT (`subtitles.vtt`) or SubRip (`subtitles.srt`)
    subtitles: at most two lines of 42 characters a cue; a longer sentence becomes
    several cues sharing its time span. Named after the video (`holiday.vtt`).
    With a speakers run, who speaks: `<v Alice>` in WebVTT, "ALICE: " in SRT.
    `?translation=true`: in English where speech was translated (`name.en.vtt`)."""
    media_type = SUBTITLES[fmt]
    body = exports.subtitles(uow, video_id, fmt, speakers, translation)
    name = f"{stem(uow.videos.get(video_id).filename)}{'.en' if translation else ''}.{fmt}"
    return PlainTextResponse(body, media_type=f"{media_type}; charset=utf-8",
                             headers=disposition(name, "inline"))


@router.get("/v1/videos/{video_id}/chapters.vtt", response_class=PlainTextResponse,
            responses={200: {"content": {"text/vtt": {}}}})
def chapters_vtt(video_id: uuid.UUID, uow: UowDep) -> PlainTextResponse:
    """The selected chapters (or, without a chapters run, scenes) as a WebVTT chapters track."""
    return PlainTextResponse(exports.chapters(uow, video_id), media_type="text/vtt; charset=utf-8")


@router.get("/v1/videos/{video_id}/export.json", response_class=Response,
            responses={200: {"content": {"application/json": {}}}})
async def export_json(video_id: uuid.UUID, request: Request) -> Response:
    """Every artifact of the runs the selection policies pick, grouped by type, each
    type with its policy and run (producer, version, config, input hash, timings).
    Downloaded as `<the video's name>.export.json`."""
    factory = request.app.state.session_factory
    # the document is written whole before the first byte goes out: a client
    # slow to read holds memory or a file, never a database connection (issue 25)
    async with admitted(request):
        title, document = await run_in_threadpool(_write, factory, video_id)  # a 404 first
    headers = disposition(f"{stem(title)}.export.json")
    if isinstance(document, bytes):  # sent in one piece, no thread per chunk read
        return Response(document, media_type="application/json", headers=headers)
    return StreamingResponse(_read(document), media_type="application/json", headers=headers)


SPOOL_IN_MEMORY_BYTES = 1 << 20  # larger documents go to a temporary file
CHUNK_BYTES = 1 << 16


def _write(factory: sessionmaker[Session], video_id: uuid.UUID) -> tuple[str, bytes | IO[bytes]]:
    """The video's title and its export: the bytes, or beyond
    SPOOL_IN_MEMORY_BYTES a temporary file holding them, read from its start."""
    pieces: list[bytes] = []
    size = 0
    spool: IO[bytes] | None = None
    try:
        with UnitOfWork(factory) as uow:
            title = uow.videos.get(video_id).filename
            for piece in exports.export_json(uow, video_id):
                data = piece.encode()
                if spool is not None:
                    spool.write(data)
                    continue
                pieces.append(data)
                size += len(data)
                if size > SPOOL_IN_MEMORY_BYTES:
                    spool = tempfile.TemporaryFile()  # noqa: SIM115 - _read closes it
                    spool.writelines(pieces)
                    pieces = []
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    if spool is None:
        return title, b"".join(pieces)
    spool.seek(0)
    return title, spool


async def _read(spool: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await run_in_threadpool(spool.read, CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()
