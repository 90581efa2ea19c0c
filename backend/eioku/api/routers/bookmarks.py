"""Bookmarks: a point or range of a video with a note and tags (services/bookmarks.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from eioku.api.deps import SettingsDep, UowDep
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.services import bookmarks as svc
from eioku.store.bookmarks import Bookmark

router = APIRouter(tags=["bookmarks"])

Ms = Annotated[int, Field(ge=0, le=MAX_SPAN_MS)]
# generous: the service says what is wrong, in words a person reads
Note = Annotated[str, Field(max_length=8_000)]
Tags = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=100)]


class BookmarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_ms: Ms
    end_ms: Ms | None = Field(None, description="The range's end; none: a point (end = start).")
    note: Note = ""
    tags: Tags = Field(default_factory=list, description="Words to find it by (at most 20, "
                                                         "50 characters each; kept lowercase).")


class BookmarkPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_ms: Ms | None = None
    end_ms: Ms | None = None
    note: Note | None = None
    tags: Tags | None = None


class BookmarkOut(BaseModel):
    bookmark_id: uuid.UUID
    video_id: uuid.UUID
    start_ms: int
    end_ms: int
    note: str
    tags: list[str]
    author: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, b: Bookmark) -> BookmarkOut:
        return cls(bookmark_id=b.bookmark_id, video_id=b.asset_id, start_ms=b.start_ms,
                   end_ms=b.end_ms, note=b.note, tags=b.tags, author=b.author,
                   created_at=b.created_at, updated_at=b.updated_at)


class BookmarkList(BaseModel):
    bookmarks: list[BookmarkOut]


@router.post("/v1/videos/{video_id}/bookmarks", response_model=BookmarkOut, status_code=201)
def add_bookmark(video_id: uuid.UUID, body: BookmarkIn, uow: UowDep,
                 settings: SettingsDep) -> BookmarkOut:
    """Mark a point (no `end_ms`) or a range of this video with a note and tags. It
    shows at once as the timeline's Bookmarks row, in find (`source=bookmark` or
    `all`) and jump (`kind=bookmark`); no analysis changes it. 404: no such video;
    422: a span outside the video, backwards or over six hours, a note over 2,000
    characters, more than 20 tags."""
    bookmark = svc.add(uow, video_id, start_ms=body.start_ms, end_ms=body.end_ms, note=body.note,
                       tags=body.tags, by=svc.author(settings))
    uow.commit()
    return BookmarkOut.of(bookmark)


@router.get("/v1/videos/{video_id}/bookmarks", response_model=BookmarkList)
def video_bookmarks(video_id: uuid.UUID, uow: UowDep) -> BookmarkList:
    """This video's bookmarks, in time order."""
    return BookmarkList(bookmarks=[BookmarkOut.of(b) for b in svc.listed(uow, video_id=video_id,
                                                                          limit=10_000)])


@router.get("/v1/bookmarks", response_model=BookmarkList)
def all_bookmarks(uow: UowDep, tag: Annotated[str | None, Query(max_length=200)] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> BookmarkList:
    """Every bookmark of the library (or those with a tag), by video and time."""
    return BookmarkList(bookmarks=[BookmarkOut.of(b) for b in svc.listed(
        uow, tag=tag, limit=limit, offset=offset)])


@router.get("/v1/bookmarks/{bookmark_id}", response_model=BookmarkOut)
def get_bookmark(bookmark_id: uuid.UUID, uow: UowDep) -> BookmarkOut:
    return BookmarkOut.of(svc.get(uow, bookmark_id))


@router.patch("/v1/bookmarks/{bookmark_id}", response_model=BookmarkOut)
def edit_bookmark(bookmark_id: uuid.UUID, body: BookmarkPatch, uow: UowDep) -> BookmarkOut:
    """Change a bookmark's span, note or tags (what is not given stays)."""
    bookmark = svc.update(uow, bookmark_id, body.model_dump(exclude_unset=True, exclude_none=True))
    uow.commit()
    return BookmarkOut.of(bookmark)


@router.delete("/v1/bookmarks/{bookmark_id}", status_code=204)
def delete_bookmark(bookmark_id: uuid.UUID, uow: UowDep) -> None:
    """Delete a bookmark (collections keep the moments made from it)."""
    svc.delete(uow, bookmark_id)
    uow.commit()
