"""What the player draws: the timeline rows and the boxes at a moment."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from eioku.api.deps import UowDep
from eioku.api.schemas_library import BoxesOut, BoxOut, TimelineOut, TimelineRowOut
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.services import timeline as service

router = APIRouter(tags=["player"])


@router.get("/v1/videos/{video_id}/timeline", response_model=TimelineOut)
def timeline(video_id: uuid.UUID, uow: UowDep) -> TimelineOut:
    """Everything on one clock: scenes, a row per person, per object label and per
    place (appearances), speech and on-screen text, from the selected runs.
    Each row's `kind` and `key` are the jump endpoint's `kind` and `label`."""
    duration, rows = service.timeline(uow.session, video_id)
    return TimelineOut(duration_ms=duration, fps=service.frame_rate(uow.session, video_id),
                       rows=[TimelineRowOut.of(r) for r in rows])


@router.get("/v1/videos/{video_id}/boxes", response_model=BoxesOut)
def boxes(video_id: uuid.UUID, uow: UowDep,
          t_ms: Annotated[int, Query(ge=0, le=MAX_SPAN_MS)]) -> BoxesOut:
    """Objects and faces detected at `t_ms`, boxes as fractions of the picture
    (why was this found)."""
    return BoxesOut(t_ms=t_ms, boxes=[BoxOut.of(b) for b in service.boxes_at(uow.session, video_id,
                                                                             t_ms)])
