"""Server-Sent Events: run updates of a video as they happen."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from eioku.api.schemas import RunOut
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["runs"])
POLL_S = 0.5


def _snapshot(factory, video_id: uuid.UUID) -> list[RunOut]:  # type: ignore[no-untyped-def]
    with UnitOfWork(factory) as uow:
        uow.videos.get(video_id)
        return [RunOut.model_validate(r) for r in uow.runs.list_for_asset(video_id)]


@router.get("/v1/videos/{video_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def run_events(
    video_id: uuid.UUID, request: Request,
    timeout_s: Annotated[float, Query(gt=0, le=86_400, description="Close after this long.")] = 3600,
) -> StreamingResponse:
    """Stream `run` events (the run as JSON) whenever a run of this video changes
    status or progress; a final `done` event when every run has finished."""
    factory = request.app.state.session_factory
    first = await run_in_threadpool(_snapshot, factory, video_id)  # 404 before streaming

    async def stream() -> AsyncIterator[str]:
        seen: dict[uuid.UUID, tuple[str, float]] = {}
        runs = first
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            for run in runs:
                state = (run.status, run.progress)
                if seen.get(run.run_id) != state:
                    seen[run.run_id] = state
                    yield f"event: run\ndata: {run.model_dump_json()}\n\n"
            finished = runs and all(r.status in ("completed", "failed", "canceled") for r in runs)
            if finished or loop.time() > deadline or await request.is_disconnected():
                yield f"event: done\ndata: {json.dumps({'runs': len(runs)})}\n\n"
                return
            await asyncio.sleep(POLL_S)
            runs = await run_in_threadpool(_snapshot, factory, video_id)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
