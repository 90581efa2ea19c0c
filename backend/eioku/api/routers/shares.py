"""Share links (services/shares.py): made with the token (``POST /v1/shares``),
opened without it (``/s/<link>``: the page, its moments, its videos' streams,
and nothing else)."""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eioku.api.deps import UowDep
from eioku.api.routers.ui import CSP, STATIC
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.domain.errors import EiokuError
from eioku.media.sniff import sniff
from eioku.services import playback
from eioku.services import shares as svc
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["shares"])
public = APIRouter(include_in_schema=False)  # opened by the link alone: no token
Link = Annotated[str, Path(max_length=svc.MAX_LINK_CHARS)]
# media answered to a link's viewer is never run as a page (as /v1 answers are: api/guard.py)
INERT = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
         "Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
PAGE = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"}


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    video_id: uuid.UUID | None = None
    start_ms: Annotated[int, Field(ge=0, le=MAX_SPAN_MS)] = 0
    end_ms: Annotated[int, Field(ge=0, le=MAX_SPAN_MS)] | None = None
    collection_id: uuid.UUID | None = None
    expires_in_s: Annotated[int, Field(ge=60, le=svc.MAX_TTL_S)] = svc.DEFAULT_TTL_S

    @model_validator(mode="after")
    def _one(self) -> ShareIn:
        if (self.video_id is None) == (self.collection_id is None):
            raise ValueError("share a moment (video_id, start_ms, end_ms) or a collection_id")
        return self


class ShareOut(BaseModel):
    url: str = Field(description="The link (a path on this server): opens the moment or the "
                                 "collection without the token, and nothing else, until it expires.")
    page_url: str = Field(description="The same moment or collection in the full page (needs the "
                                      "token when one is set).")
    expires_at: datetime
    video_id: uuid.UUID | None
    collection_id: uuid.UUID | None


class SharedMomentOut(BaseModel):
    video_id: uuid.UUID
    filename: str
    start_ms: int
    end_ms: int
    note: str
    stream_url: str


class SharedOut(BaseModel):
    kind: str = Field(description="moment or collection")
    title: str
    expires_at: datetime
    moments: list[SharedMomentOut]


@router.post("/v1/shares", response_model=ShareOut, status_code=201)
def make_share(body: ShareIn, uow: UowDep) -> ShareOut:
    """A link to a moment of a video or to a collection, signed by this server and
    expiring (default 7 days, at most 90): someone without the API token opens the
    moment (or plays the collection) at `url`, and nothing else — no other video,
    no API call. 404: unknown video or collection; 422: a span outside the video."""
    link, scope = svc.make_link(uow, video_id=body.video_id, start_ms=body.start_ms, end_ms=body.end_ms,
                                collection_id=body.collection_id, ttl_s=body.expires_in_s)
    uow.commit()
    page = (f"/videos/{scope.video_id}?t={scope.start_ms / 1000:g}" if scope.video_id
            else f"/collections/{scope.collection_id}")
    return ShareOut(url=f"/s/{link}", page_url=page, expires_at=datetime.fromtimestamp(scope.expires, UTC),
                    video_id=scope.video_id, collection_id=scope.collection_id)


def _refused_page(message: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang=en><meta charset=utf-8><title>Eioku: link refused</title>"
        f"<main><h1>This link does not open here</h1><p>{html.escape(message)}</p></main></html>",
        status_code=status, headers=PAGE)


@public.get("/s/{link}")
def shared_page(link: Link, request: Request) -> HTMLResponse:
    """The page that plays what the link shows (ui/static/share.html)."""
    try:
        with UnitOfWork(request.app.state.session_factory) as uow:
            svc.read_link(uow.session, link)
            uow.commit()  # the secret, when this is the first link ever checked
    except EiokuError as exc:
        return _refused_page(exc.message, 403)
    return HTMLResponse((STATIC / "share.html").read_text(), headers=PAGE)


@public.get("/s/{link}/moments", response_model=SharedOut)
def shared_moments(link: Link, uow: UowDep) -> SharedOut:
    scope = svc.read_link(uow.session, link)
    title, moments = svc.moments(uow, scope)
    return SharedOut(
        kind="moment" if scope.video_id else "collection", title=title,
        expires_at=datetime.fromtimestamp(scope.expires, UTC),
        moments=[SharedMomentOut(video_id=m.video_id, filename=m.filename, start_ms=m.start_ms,
                                 end_ms=m.end_ms, note=m.note,
                                 stream_url=f"/s/{link}/videos/{m.video_id}/stream") for m in moments])


@public.get("/s/{link}/videos/{video_id}/stream", response_class=FileResponse)
async def shared_stream(link: Link, video_id: uuid.UUID, request: Request) -> FileResponse:
    """The video, with Range support, when the link shows it (403 otherwise)."""
    def find() -> tuple[FilePath, str]:
        settings = request.app.state.settings
        with UnitOfWork(request.app.state.session_factory) as uow:
            scope = svc.read_link(uow.session, link)
            svc.check_video(uow, scope, video_id)
            path, _ = playback.file_to_stream(uow, uow.videos.get(video_id), settings, None)
        return path, sniff(path).mime

    path, mime = await run_in_threadpool(find)
    return FileResponse(path, media_type=mime, content_disposition_type="inline", headers=INERT)

