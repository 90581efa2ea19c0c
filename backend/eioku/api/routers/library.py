"""The library page's data: video cards, one search over everything, and a
single event stream of analysis progress for every video."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import text

from eioku.api.deps import UowDep
from eioku.api.routers.events import BUSY, event_stream, stream_slot, streams_busy
from eioku.api.schemas import RunOut
from eioku.api.schemas_library import CardOut, LibraryPage, SearchFacetOut, SearchHitOut, SearchOut
from eioku.domain.errors import ValidationFailedError
from eioku.services import library, search_terms
from eioku.services import search as search_service
from eioku.services.navigation import MAX_QUERY_CHARS
from eioku.store.sounds import during, segment_type, sound_label
from eioku.store.uow import UnitOfWork
from eioku.store.videos import SORTS, STATES

router = APIRouter(tags=["library"])
POLL_S = 0.5


Sort = Annotated[Literal[tuple(SORTS)], Query(  # type: ignore[valid-type]
    description="recorded (recording time, else registration), added, title or duration; "
                "a leading - reverses it (-added: newest first)")]
TitleFilter = Annotated[str | None, Query(max_length=200, description=(
    "only videos whose title contains this (any case)"))]

StatusFilter = Annotated[Literal[tuple(STATES)] | None, Query(  # type: ignore[valid-type]
    description="only videos not_analysed, analysing, analysed, failed (a run failed or was "
                "cancelled) or missing (their file is gone)")]


@router.get("/v1/library", response_model=LibraryPage)
def cards(
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sort: Sort = "recorded",
    q: TitleFilter = None,
    status: StatusFilter = None,
) -> LibraryPage:
    """Videos (in recording order unless `sort` says otherwise) with their analysis
    state (runs done, failed, active, progress; `current`: the analysis under way,
    its stage and an estimate) and what was found (scenes, people, object labels).
    `total` counts every video matching `q` and `status`: page with limit/offset."""
    found, total = library.cards(uow.session, limit, offset, sort=sort, q=q or None, state=status)
    return LibraryPage(cards=[CardOut.of(c) for c in found], total=total, limit=limit,
                       offset=offset)


@router.get("/v1/library/{video_id}", response_model=CardOut)
def one_card(video_id: uuid.UUID, uow: UowDep) -> CardOut:
    """One video's card, as in `GET /v1/library` (a page updates the card whose runs moved)."""
    return CardOut.of(library.card(uow.session, video_id))


@router.get("/v1/search", response_model=SearchOut)
def search(
    uow: UowDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, description=(
        "What to find: words (web-search syntax for speech and on-screen text), an object or "
        "place label, a person's name, or (semantic, hybrid) a description in your own words."))],
    mode: Annotated[Literal["keyword", "semantic", "hybrid"], Query(description=(
        "keyword: the words asked for; semantic: by meaning (text embeddings); hybrid: both, "
        "fused by reciprocal rank."))] = "hybrid",
    scope: Annotated[Literal["library", "video"] | None, Query(description=(
        "library (default) or video (needs video_id)."))] = None,
    video_id: Annotated[uuid.UUID | None, Query(description="Only this video.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    weak: Annotated[bool, Query(description=(
        "semantic, hybrid: also weak matches by meaning (relevance 2 to 3), left out by default; "
        "`weaker` in the answer says how many there are."))] = False,
    speaker: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$", description=(
        "Said by: only speech of this speaker (a speakers run's label such as \"Speaker 1\", "
        "or a voice's id or name); each hit's label is the speaker's name."))] = None,
    entity: Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00]+$", description=(
        "Only moments during which this name or term is said or shown (its label, any case: "
        "see GET /v1/terms and the answer's facets)."))] = None,
    sound: Annotated[str | None, Query(min_length=1, max_length=50, description=(
        "Only moments while this is heard: speech, music, singing or silence (the sounds stage)."
    ))] = None,
    segment: Annotated[str | None, Query(min_length=1, max_length=50, description=(
        "Only moments inside a segment of this type: intro, credits, black, silence or "
        "colour_bars (the segments stage)."))] = None,
) -> SearchOut:
    """Moments across the library (or one video), best first: speech and
    on-screen text, objects and places by label, people by name, and shots
    by what was seen in them. Each hit has its video, time span, source and a
    snippet."""
    if scope == "video" and video_id is None:
        raise ValidationFailedError("scope=video needs video_id", field="video_id")
    if scope == "library" and video_id is not None:
        raise ValidationFailedError("scope=library searches every video: leave out video_id",
                                    field="scope")
    heard = sound_label(sound) if sound is not None else None
    inside = segment_type(segment) if segment is not None else None
    filtered = entity or heard or inside
    asked = search_terms.entity_filter_candidates(limit) if filtered else limit
    found = search_service.search(uow.session, q, mode=mode, limit=asked, video_id=video_id,
                                  weak=weak, speaker=speaker)
    hits = search_terms.only_mentioning(uow.session, found.hits, entity) if entity else found.hits
    if heard or inside:  # while a sound is heard, inside a typed segment (store/sounds.py)
        keep = during(uow.session, [(h.video_id, h.start_ms, h.end_ms) for h in hits],
                      sound=heard, segment=inside)
        hits = [h for i, h in enumerate(hits) if i in keep]
    hits = hits[:limit]
    more = search_terms.refine(uow.session, q, found.mode, hits)
    return SearchOut(query=q, mode=found.mode, vector_index=found.vector_index,
                     hits=[SearchHitOut.of(h, lang) for h, lang in zip(hits, more.languages, strict=True)],
                     weaker=found.weaker, notes=more.notes, query_language=more.query_language,
                     facets=[SearchFacetOut(**vars(f)) for f in more.facets])


def _db_now(factory) -> float:  # type: ignore[no-untyped-def]
    with UnitOfWork(factory) as uow:
        return float(uow.session.execute(text("SELECT extract(epoch FROM now())")).scalar_one())


def _changed_runs(factory, since_s: float) -> tuple[list[RunOut], float]:  # type: ignore[no-untyped-def]
    """Runs that are active or finished in the last few seconds, and the database clock."""
    with UnitOfWork(factory) as uow:
        now = uow.session.execute(text("SELECT extract(epoch FROM now())")).scalar_one()
        return [RunOut.model_validate(r) for r in uow.runs.changed_since(since_s)], float(now)


@router.get("/v1/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}, **BUSY})
async def library_events(
    request: Request,
    timeout_s: Annotated[float, Query(gt=0, le=86_400, description="Close after this long.")] = 3600,
) -> Response:
    """Server-Sent Events for the whole library: a `run` event (the run as JSON)
    whenever any run is queued, progresses or finishes. One connection serves a
    page of many videos. A server keeps a few dozen streams open (503 beyond)."""
    factory = request.app.state.session_factory
    started = await run_in_threadpool(_db_now, factory)
    release = stream_slot(request)
    if release is None:
        return streams_busy()

    async def stream() -> AsyncIterator[str]:
        seen: dict[uuid.UUID, tuple[str, float]] = {}
        since = started - 2
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        yield ": connected\n\n"
        while loop.time() < deadline and not await request.is_disconnected():
            runs, now = await run_in_threadpool(_changed_runs, factory, since)
            for run in runs:
                state = (run.status, run.progress)
                if seen.get(run.run_id) != state:
                    seen[run.run_id] = state
                    yield f"event: run\ndata: {run.model_dump_json()}\n\n"
            since = now - 2  # overlap: a run finishing between polls is never missed
            await asyncio.sleep(POLL_S)
        yield f"event: done\ndata: {json.dumps({'reason': 'timeout'})}\n\n"

    return event_stream(stream(), release)
