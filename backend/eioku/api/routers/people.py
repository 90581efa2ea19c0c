"""People: library-wide face identities — list, rename, merge, unmerge, face crops."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from eioku.api.deps import UowDep
from eioku.api.schemas_library import (
    AppearanceOut,
    AppearancesOut,
    MergeOut,
    MergePerson,
    PeopleOut,
    PersonDetail,
    PersonOut,
    RenamePerson,
)
from eioku.domain.errors import NotFoundError
from eioku.media.images import MediaCache, face_crop
from eioku.services.ingest import readable_path

router = APIRouter(tags=["people"])
PersonId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.get("/v1/people", response_model=PeopleOut)
@router.get("/v1/faces", response_model=PeopleOut, include_in_schema=False)
def list_people(uow: UowDep, limit: Limit = 100, offset: Offset = 0) -> PeopleOut:
    """People (library-wide face identities) with their name and how many videos,
    appearances and detections show them, most widely seen first, under each
    video's selection policy. Jump to them with `kind=face&label=<id or name>`,
    per video or across the library. (`/v1/faces` is the same list.)"""
    return PeopleOut(people=[PersonOut.of(p) for p in uow.people.seen(limit, offset)])


@router.get("/v1/people/{person}", response_model=PersonDetail)
def get_person(person: PersonId, uow: UowDep) -> PersonDetail:
    """One person by id or name (a merged-away id answers with the person it joined),
    with who was merged into them and the names those had."""
    found = uow.people.resolve(person)
    return PersonDetail.of(found, uow.people.merged_names(found.identity_id))


@router.get("/v1/people/{person}/appearances", response_model=AppearancesOut)
def person_appearances(person: PersonId, uow: UowDep, limit: Limit = 100,
                       offset: Offset = 0) -> AppearancesOut:
    """Every appearance of a person (id or name) across the library, under each
    video's selection policy: in recording order, then by time, each with its
    video's id and title; `total` and `videos` count them all (page with
    `limit`/`offset`)."""
    found = uow.people.resolve(person)
    found_appearances, total, videos = uow.people.appearances(found.identity_id, limit, offset)
    return AppearancesOut(cluster_id=found.identity_id, name=found.name, total=total,
                          videos=videos, limit=limit, offset=offset,
                          appearances=[AppearanceOut.of(a) for a in found_appearances])


@router.patch("/v1/people/{person}", response_model=PersonDetail)
def rename_person(person: PersonId, body: RenamePerson, uow: UowDep) -> PersonDetail:
    """Name a person ("person-3" -> "Alice"); `null` removes the name. Names are
    unique (case-insensitive, 409 otherwise) and work wherever a person id does."""
    renamed = uow.people.rename(uow.people.resolve(person).identity_id, body.name)
    uow.commit()
    return PersonDetail.of(renamed, uow.people.merged_names(renamed.identity_id))


@router.post("/v1/people/{person}/merge", response_model=MergeOut)
def merge_person(person: PersonId, body: MergePerson, uow: UowDep) -> MergeOut:
    """Merge this person into another (`into`: id or name): every face of theirs
    becomes the other's, in every video. Nothing is deleted; the merge is recorded
    and `POST /v1/people/{person}/unmerge` undoes it."""
    merge = uow.people.merge(person, body.into)
    uow.commit()
    return MergeOut(merge_id=merge.merge_id, source=merge.source_id, into=merge.target_id,
                    moved=merge.moved)


@router.post("/v1/people/{person}/unmerge", response_model=MergeOut)
def unmerge_person(person: PersonId, uow: UowDep) -> MergeOut:
    """Undo the merge that made this identity part of another person."""
    merge = uow.people.unmerge(person)
    uow.commit()
    return MergeOut(merge_id=merge.merge_id, source=merge.source_id, into=merge.target_id,
                    moved=merge.moved)


@router.get("/v1/people/{person}/face.jpg", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}})
async def person_face(person: PersonId, request: Request) -> FileResponse:
    """A square crop of this person's clearest face (JPEG, cached)."""
    settings = request.app.state.settings

    def make() -> str:
        from eioku.store.uow import UnitOfWork

        with UnitOfWork(request.app.state.session_factory) as uow:
            identity = uow.people.resolve(person).identity_id
            sample = uow.people.best_face(identity)
            if sample is None:
                raise NotFoundError(f"no face of {identity} in a completed run")
            video = uow.videos.get(sample.video_id)
        path = readable_path(video, settings)
        out = MediaCache(settings.cache_dir).file(
            sample.video_id, f"face-{sample.artifact_id}.jpg",
            lambda tmp: face_crop(path, sample.time_ms, sample.bbox, sample.analysed_width, tmp))
        return str(out)

    return FileResponse(await run_in_threadpool(make), media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=60"})
