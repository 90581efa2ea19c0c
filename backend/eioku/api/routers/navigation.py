"""Jump and find: navigate a video (or the library) like a document."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from eioku.api.deps import ReadsDep, SelectionDep
from eioku.api.schemas import (
    AppearanceOut,
    AppearancesOut,
    FindMatchOut,
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

FromMs = Annotated[int | None, Query(ge=-1, le=MAX_SPAN_MS, description=(
    "Position in ms. next = smallest start strictly after it; prev = largest start strictly "
    "before it. Omitted: from the start (next) or the end (prev)."))]
Text = Annotated[str | None, Query(min_length=1, max_length=MAX_QUERY_CHARS)]


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


@router.get("/v1/videos/{video_id}/jump", response_model=JumpOut)
async def jump(
    video_id: uuid.UUID,
    reads: ReadsDep,
    selection: SelectionDep,
    kind: JumpKind,
    direction: Direction = Direction.NEXT,
    from_ms: FromMs = None,
    label: Annotated[str | None, Query(min_length=1, max_length=200,
                                       description="Object/place label (case-insensitive).")] = None,
    face_cluster_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    text: Text = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    granularity: Annotated[Granularity, Query(description=(
        "object/face/place: land on appearances (detections of one label merged in time) "
        "or on single sampled detections"))] = Granularity.APPEARANCE,
) -> Response:
    """Jump to the next/previous scene, transcript segment, object, face, place or
    on-screen text. All hits that start at the target time are returned together.
    404 when nothing further matches."""
    query = JumpQuery(kind, direction, from_ms, _label(label, face_cluster_id), text,
                      min_confidence, selection, granularity)
    return _json(_jump_out(await reads.run(navigation.jump_steps(video_id, query))))


@router.get("/v1/videos/{video_id}/find", response_model=FindOut)
async def find(
    video_id: uuid.UUID,
    reads: ReadsDep,
    selection: SelectionDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description=(
        "Words to find; web-search syntax: \"quoted phrase\", or, -exclude."))],
    source: FindSource = FindSource.ALL,
    direction: Direction = Direction.NEXT,
    from_ms: FromMs = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Response:
    """Find text in speech (transcript), on screen (ocr) or both (all, merged by time).
    Ordered ascending for next, descending for prev; snippets mark hits with <mark>."""
    matches = await reads.run(navigation.find_steps(
        video_id, q, source=source, direction=direction, from_ms=from_ms, limit=limit,
        selection=selection))
    return _json(FindOut(matches=[
        FindMatchOut(jump_to=Span(start_ms=m.start_ms, end_ms=m.end_ms), artifact_id=m.artifact_id,
                     source=m.source, snippet=m.snippet) for m in matches]))


@router.get("/v1/videos/{video_id}/appearances", response_model=AppearancesOut)
async def list_appearances(
    video_id: uuid.UUID,
    reads: ReadsDep,
    selection: SelectionDep,
    kind: Annotated[JumpKind, Query(description="object, face or place")],
    label: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    face_cluster_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    from_ms: Annotated[int, Query(ge=0, le=MAX_SPAN_MS)] = 0,
    to_ms: Annotated[int, Query(ge=0, le=MAX_SPAN_MS + 1)] = MAX_SPAN_MS + 1,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> AppearancesOut:
    """The video's timeline of objects, people or places: each appearance (detections of one
    label or person merged in time) starting in [from_ms, to_ms), in time order.
    At most `limit` rows, plus any sharing the last row's start (never split), so
    paging with from_ms = last start + 1 misses nothing."""
    rows = await reads.run(navigation.appearances_steps(
        video_id, kind, label=_label(label, face_cluster_id), min_confidence=min_confidence,
        from_ms=from_ms, to_ms=to_ms, limit=limit, selection=selection))
    return AppearancesOut(kind=kind.value, appearances=[AppearanceOut(**vars(r)) for r in rows])


@router.get("/v1/jump/global", response_model=JumpOut)
async def jump_global(
    reads: ReadsDep,
    kind: JumpKind,
    direction: Direction = Direction.NEXT,
    label: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    q: Text = None,
    from_video: uuid.UUID | None = None,
    from_ms: FromMs = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> Response:
    """The next/previous hit across the whole library, in recording order
    (recorded time, then video id, then start). Each video's stored selection applies."""
    result = await reads.run(navigation.jump_global_steps(
        kind=kind, direction=direction, from_video=from_video, from_ms=from_ms,
        label=_label(label, None), q=q, min_confidence=min_confidence))
    return _json(_jump_out(result))
