"""Jump and find: navigate a video (or the library) like a document."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from pydantic_core import to_json

from eioku.api.deps import SelectionParams, reads_of
from eioku.api.hot import HotRoutes
from eioku.api.query import QueryModel, documented, query
from eioku.api.schemas import (
    AppearanceOut,
    AppearancesOut,
    FindOut,
    JumpOut,
    Span,
)
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.domain.enums import Direction, FindSource, Granularity, JumpKind
from eioku.domain.errors import ValidationFailedError
from eioku.services import navigation
from eioku.services.navigation import MAX_QUERY_CHARS, JumpQuery, JumpResult

router = APIRouter(tags=["navigation"])
hot = HotRoutes()  # also answered by api/hot.py's short way in

FROM_MS = ("Position in ms. next = smallest start strictly after it; prev = largest start strictly "
           "before it. Omitted: from the start (next) or the end (prev).")

# The query of each route is one model (see api/query.py: one validation per request).


class JumpParams(SelectionParams):
    kind: JumpKind
    direction: Direction = Direction.NEXT
    from_ms: int | None = Field(None, ge=-1, le=MAX_SPAN_MS, description=FROM_MS)
    label: str | None = Field(None, min_length=1, max_length=200,
                              description="Object/place label (case-insensitive).")
    face_cluster_id: str | None = Field(None, min_length=1, max_length=100)
    text: str | None = Field(None, min_length=1, max_length=MAX_QUERY_CHARS)
    min_confidence: float | None = Field(None, ge=0, le=1)
    granularity: Granularity = Field(Granularity.APPEARANCE, description=(
        "object/face/place: land on appearances (detections of one label merged in time) "
        "or on single sampled detections"))


class FindParams(SelectionParams):
    q: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description=(
        "Words to find; web-search syntax: \"quoted phrase\", or, -exclude."))
    source: FindSource = FindSource.ALL
    direction: Direction = Direction.NEXT
    from_ms: int | None = Field(None, ge=-1, le=MAX_SPAN_MS, description=FROM_MS)
    limit: int = Field(20, ge=1, le=500)


class AppearancesParams(SelectionParams):
    kind: JumpKind = Field(description="object, face or place")
    label: str | None = Field(None, min_length=1, max_length=200)
    face_cluster_id: str | None = Field(None, min_length=1, max_length=100)
    min_confidence: float | None = Field(None, ge=0, le=1)
    from_ms: int = Field(0, ge=0, le=MAX_SPAN_MS)
    to_ms: int = Field(MAX_SPAN_MS + 1, ge=0, le=MAX_SPAN_MS + 1)
    limit: int = Field(500, ge=1, le=5000)


class GlobalJumpParams(QueryModel):
    kind: JumpKind
    direction: Direction = Direction.NEXT
    label: str | None = Field(None, min_length=1, max_length=200)
    q: str | None = Field(None, min_length=1, max_length=MAX_QUERY_CHARS)
    from_video: uuid.UUID | None = None
    from_ms: int | None = Field(None, ge=-1, le=MAX_SPAN_MS, description=FROM_MS)
    min_confidence: float | None = Field(None, ge=0, le=1)


def _json(model: BaseModel) -> Response:
    """A response built from a model the route just made: serialized once, not
    dumped and validated again against ``response_model`` (which still
    documents it). A jump or find is small; that second pass was a fifth of it."""
    return Response(model.__pydantic_serializer__.to_json(model), media_type="application/json")


def _jump_out(result: JumpResult) -> JumpOut:
    assert result.video_id is not None
    return JumpOut(jump_to=Span(start_ms=result.start_ms, end_ms=result.end_ms),
                   artifact_ids=result.artifact_ids, kind=result.kind.value,
                   label=result.label, labels=result.labels, video_id=result.video_id)


def _label(label: str | None, face_cluster_id: str | None) -> str | None:
    if label is not None and face_cluster_id is not None:
        raise ValidationFailedError("give label or face_cluster_id, not both", field="label")
    value = label if label is not None else face_cluster_id
    if value is not None and "\x00" in value:
        raise ValidationFailedError("label must not contain NUL characters", field="label")
    return value


@hot.get("/v1/videos/{video_id}/jump", JumpParams)
@router.get("/v1/videos/{video_id}/jump", response_model=JumpOut,
            openapi_extra=documented(JumpParams))
async def jump(video_id: uuid.UUID, request: Request,
               params: Annotated[JumpParams, query(JumpParams)]) -> Response:
    """Jump to the next/previous scene, transcript segment, object, face, place or
    on-screen text. All hits that start at the target time are returned together.
    404 when nothing further matches."""
    jump_query = JumpQuery(params.kind, params.direction, params.from_ms,
                           _label(params.label, params.face_cluster_id), params.text,
                           params.min_confidence, params.selection_override(), params.granularity)
    result = await reads_of(request).run(navigation.jump_steps(video_id, jump_query))
    return _json(_jump_out(result))


@hot.get("/v1/videos/{video_id}/find", FindParams)
@router.get("/v1/videos/{video_id}/find", response_model=FindOut,
            openapi_extra=documented(FindParams))
async def find(video_id: uuid.UUID, request: Request,
               params: Annotated[FindParams, query(FindParams)]) -> Response:
    """Find text in speech (transcript), on screen (ocr) or both (all, merged by time).
    Ordered ascending for next, descending for prev; snippets mark hits with <mark>."""
    matches = await reads_of(request).run(navigation.find_steps(
        video_id, params.q, source=params.source, direction=params.direction,
        from_ms=params.from_ms, limit=params.limit, selection=params.selection_override()))
    # FindOut's shape, written as plain data: validating 41 models cost 0.05 ms a call
    # (a test compares this body with FindOut's own serialization)
    return Response(to_json({"matches": [
        {"jump_to": {"start_ms": m.start_ms, "end_ms": m.end_ms}, "artifact_id": m.artifact_id,
         "source": m.source, "snippet": m.snippet} for m in matches]}), media_type="application/json")


@router.get("/v1/videos/{video_id}/appearances", response_model=AppearancesOut,
            openapi_extra=documented(AppearancesParams))
async def list_appearances(video_id: uuid.UUID, request: Request,
                           params: Annotated[AppearancesParams, query(AppearancesParams)],
                           ) -> AppearancesOut:
    """The video's timeline of objects, people or places: each appearance (detections of one
    label or person merged in time) starting in [from_ms, to_ms), in time order.
    At most `limit` rows, plus any sharing the last row's start (never split), so
    paging with from_ms = last start + 1 misses nothing."""
    rows = await reads_of(request).run(navigation.appearances_steps(
        video_id, params.kind, label=_label(params.label, params.face_cluster_id),
        min_confidence=params.min_confidence, from_ms=params.from_ms, to_ms=params.to_ms,
        limit=params.limit, selection=params.selection_override()))
    return AppearancesOut(kind=params.kind.value,
                          appearances=[AppearanceOut(**vars(r)) for r in rows])


@hot.get("/v1/jump/global", GlobalJumpParams)
@router.get("/v1/jump/global", response_model=JumpOut,
            openapi_extra=documented(GlobalJumpParams))
async def jump_global(request: Request,
                      params: Annotated[GlobalJumpParams, query(GlobalJumpParams)]) -> Response:
    """The next/previous hit across the whole library, in recording order
    (recorded time, then video id, then start). Each video's stored selection applies."""
    result = await reads_of(request).run(navigation.jump_global_steps(
        kind=params.kind, direction=params.direction, from_video=params.from_video,
        from_ms=params.from_ms, label=_label(params.label, None), q=params.q,
        min_confidence=params.min_confidence))
    return _json(_jump_out(result))
