"""Server-Sent Events: run updates of a video as they happen.

Each open stream polls the database every POLL_S, so a server keeps at most
MAX_STREAMS open (this one and the library's ``/v1/events`` together); one
more is a 503 with Retry-After, before anything is streamed."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from eioku.api.schemas import RunOut
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["runs"])
POLL_S = 0.5
MAX_STREAMS = 32
STREAM_RETRY_AFTER_S = 30
BUSY = {503: {"description": f"{MAX_STREAMS} event streams are open: retry after Retry-After s"}}


def stream_slot(request: Request) -> Callable[[], None] | None:
    """Take one of the server's stream slots: the function that gives it back
    (safe to call twice), or None when all are taken. Runs on the event loop."""
    state = request.app.state
    if getattr(state, "event_streams", 0) >= MAX_STREAMS:
        return None
    state.event_streams = getattr(state, "event_streams", 0) + 1
    held = [True]

    def release() -> None:
        if held:
            held.clear()
            state.event_streams -= 1

    return release


def streams_busy() -> JSONResponse:
    return JSONResponse({"detail": f"{MAX_STREAMS} event streams are open on this server; retry "
                                   f"in {STREAM_RETRY_AFTER_S} s", "error": "EventStreamsBusy"},
                        status_code=503, headers={"Retry-After": str(STREAM_RETRY_AFTER_S)})


def event_stream(events: AsyncIterator[str], release: Callable[[], None]) -> StreamingResponse:
    """The response for ``events``, giving the slot back when it ends, however it
    ends (also when the client leaves before the first event was read)."""
    async def guarded() -> AsyncIterator[str]:
        try:
            async for chunk in events:
                yield chunk
        finally:
            release()

    async def after() -> None:  # async: runs on the event loop, like every other take and give
        release()

    return StreamingResponse(guarded(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"}, background=BackgroundTask(after))


def _snapshot(factory, video_id: uuid.UUID) -> tuple[str, list[RunOut]]:  # type: ignore[no-untyped-def]
    with UnitOfWork(factory) as uow:
        status = uow.videos.get(video_id).status
        return status, [RunOut.model_validate(r) for r in uow.runs.list_for_asset(video_id)]


def _finished(status: str, runs: list[RunOut]) -> bool:
    """Every run has ended; or there is none and none is coming (a video still
    being hashed has its analysis queued once the hash is known)."""
    if not runs:
        return status != "registering"
    return all(r.status in ("completed", "failed", "canceled") for r in runs)


@router.get("/v1/videos/{video_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}, **BUSY})
async def run_events(
    video_id: uuid.UUID, request: Request,
    timeout_s: Annotated[float, Query(gt=0, le=86_400, description="Close after this long.")] = 3600,
) -> Response:
    """Stream `run` events (the run as JSON) whenever a run of this video changes
    status or progress; a final `done` event when every run has finished (at once
    for a video with no runs)."""
    factory = request.app.state.session_factory
    status, first = await run_in_threadpool(_snapshot, factory, video_id)  # 404 before streaming
    release = stream_slot(request)
    if release is None:
        return streams_busy()

    async def stream() -> AsyncIterator[str]:
        seen: dict[uuid.UUID, tuple[str, float]] = {}
        video_status, runs = status, first
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            for run in runs:
                state = (run.status, run.progress)
                if seen.get(run.run_id) != state:
                    seen[run.run_id] = state
                    yield f"event: run\ndata: {run.model_dump_json()}\n\n"
            if (_finished(video_status, runs) or loop.time() > deadline
                    or await request.is_disconnected()):
                yield f"event: done\ndata: {json.dumps({'runs': len(runs)})}\n\n"
                return
            await asyncio.sleep(POLL_S)
            video_status, runs = await run_in_threadpool(_snapshot, factory, video_id)

    return event_stream(stream(), release)
