"""What the player draws: the timeline rows and the boxes at a moment."""

from __future__ import annotations

import uuid
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request

from eioku.api.deps import UowDep, reads_of
from eioku.api.schemas_library import BoxesOut, BoxOut, TimelineOut, TimelineRowOut
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.services import timeline as service

router = APIRouter(tags=["player"])


@router.get("/v1/videos/{video_id}/timeline", response_model=TimelineOut)
async def timeline(video_id: uuid.UUID, request: Request) -> TimelineOut:
    """Everything on one clock: scenes, a row per person, per object label and per
    place (appearances), speech and on-screen text, from the selected runs.
    Each row's `kind` and `key` are the jump endpoint's `kind` and `label`."""
    video, rows = await reads_of(request).run(service.timeline_steps(video_id))
    # the file's frame rate is read once per file version; a first read opens the file
    fps = await anyio.to_thread.run_sync(service.frame_rate, video)
    return TimelineOut(duration_ms=video.duration_ms, fps=fps, rows=[TimelineRowOut.of(r) for r in rows])


@router.get("/v1/videos/{video_id}/boxes", response_model=BoxesOut)
def boxes(video_id: uuid.UUID, uow: UowDep,
          t_ms: Annotated[int, Query(ge=0, le=MAX_SPAN_MS)]) -> BoxesOut:
    """Objects and faces detected at `t_ms`, boxes as fractions of the picture
    (why was this found)."""
    return BoxesOut(t_ms=t_ms, boxes=[BoxOut.of(b) for b in service.boxes_at(uow.session, video_id,
                                                                             t_ms)])
